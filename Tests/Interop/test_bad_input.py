"""Hostile and broken input over raw sockets. Each test asserts the error RFC 6120 requires, that a bystander
(a slixmpp client bound before the bad input) is still served afterwards, and that the server process lives.

The server of this module: max_stanza_bytes 10000, negotiation_timeout 2 s, STARTTLS required,
focus@auth.meet.jitsi exempt from the stanza limit. A test that kills the server fails with its stderr and
the next test gets a new server."""

from __future__ import annotations

import asyncio
import base64
import random
import ssl
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    DEFAULT_ACCOUNTS,
    FOCUS_JID,
    FOCUS_PASSWORD,
    JVB_JID,
    JVB_PASSWORD,
    NS_CLIENT,
    NS_PING,
    NS_SASL,
    NS_STREAMS,
    RawClient,
    ServerSlot,
    assert_still_served,
    client_tls_context,
    connect_client,
    q,
    raw_bound_client,
    raw_secured_client,
    stanza_error,
    stream_header,
)

pytestmark = pytest.mark.timeout(30)

CONFIG = {
    "c2s": {
        "max_stanza_bytes": 10000,
        "negotiation_timeout": 2,
        "require_encryption": True,
        "unlimited_jids": [FOCUS_JID],
    }
}
SILENT_CONFIG = {"c2s": {"max_stanza_bytes": 10000, "negotiation_timeout": 1, "require_encryption": True}}


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS, config=CONFIG)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


@pytest.fixture
def bystander(server, aio):
    """jvb, bound over STARTTLS + SCRAM-SHA-256 before the bad input."""
    return aio.run(
        connect_client(server.c2s, f"{JVB_JID}/bystander", JVB_PASSWORD, "SCRAM-SHA-256", runner=aio), timeout=15
    )


def no_message_for(aio, client, seconds=0.3):
    """True if `client` received no message (drains what it got)."""

    async def check():
        await asyncio.sleep(seconds)
        got = []
        while not client.messages.empty():
            got.append(client.messages.get_nowait())
        return got

    got = aio.run(check(), timeout=seconds + 5)
    return [str(m) for m in got]


def secured_pre_auth(server, raw_clients, domain=ANON_DOMAIN) -> RawClient:
    return raw_clients(raw_secured_client(server.c2s, domain))


# ----------------------------------------------------------------------------------------------------------------
# Malformed XML
# ----------------------------------------------------------------------------------------------------------------


def test_malformed_xml_mismatched_end_tag_after_bind(server, aio, bystander, raw_clients):
    client = raw_clients(raw_bound_client(server.c2s))
    client.send(f"<message to='{bystander.boundjid.full}' type='chat'><body>hi</message>")
    client.expect_stream_error("not-well-formed")
    assert no_message_for(aio, bystander) == [], "the malformed message was delivered"
    assert_still_served(server, aio, bystander, "a mismatched end tag")


def test_malformed_xml_lt_in_attribute_before_tls(server, aio, bystander, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    client.open_stream()
    client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls' x='<'/>")
    client.expect_stream_error("not-well-formed")
    assert_still_served(server, aio, bystander, "'<' in an attribute value")


def test_malformed_xml_garbage_instead_of_header(server, aio, bystander, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    client.send(b"HELO meet.jitsi\r\n<<<>>>\r\n")
    # RFC 6120 §4.9.1.1: an error in the initiating entity's header still gets the server's header first.
    client.expect_stream_error("not-well-formed")
    assert_still_served(server, aio, bystander, "garbage instead of a stream header")


def test_malformed_xml_invalid_utf8_after_bind(server, aio, bystander, raw_clients):
    client = raw_clients(raw_bound_client(server.c2s))
    client.send(b"<message to='" + bystander.boundjid.full.encode() + b"' type='chat'><body>\xff\xfe\xc3</body></message>")
    client.read_until_closed(5)
    # RFC 6120 §4.9.3.22 names <unsupported-encoding/> for data violating UTF-8; an XML parser sees a
    # well-formedness error. Either is acceptable; what matters is that the stream ends and nothing is delivered.
    error = client.stream_error()
    assert error is not None and error[0] in ("unsupported-encoding", "not-well-formed"), client.transcript()
    assert client.stream_closed, client.transcript()
    assert no_message_for(aio, bystander) == [], "the invalid UTF-8 message was delivered"
    assert_still_served(server, aio, bystander, "invalid UTF-8")


# ----------------------------------------------------------------------------------------------------------------
# Restricted XML (RFC 6120 §11.1): no DOCTYPE, comments, processing instructions
# ----------------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    + "".join(f"<!ENTITY lol{i} '{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}'>" for i in range(1, 10))
    + "]>"
)


def test_doctype_entity_bomb_before_header(server, aio, bystander, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    started = time.monotonic()
    client.send(BILLION_LAUGHS.encode() + stream_header(ANON_DOMAIN, declaration=False) + b"<x>&lol9;</x>")
    client.expect_stream_error("restricted-xml", timeout=5)
    assert time.monotonic() - started < 5
    assert_still_served(server, aio, bystander, "a DOCTYPE entity bomb")


@pytest.mark.parametrize("restart", ["after-starttls", "after-sasl-success"])
def test_doctype_in_restarted_stream(server, aio, bystander, raw_clients, restart):
    """The error comes before the server's header for the new stream: it must send one first (§4.9.1.1)."""
    client = raw_clients(RawClient(server.c2s))
    client.open_stream()
    client.starttls()
    if restart == "after-sasl-success":
        client.open_stream()
        assert client.auth("ANONYMOUS").tag == q(NS_SASL, "success"), client.transcript()
        client._reset_parser()
    client.send(BILLION_LAUGHS.encode() + stream_header(ANON_DOMAIN, declaration=False))
    client.expect_stream_error("restricted-xml", timeout=5)
    assert_still_served(server, aio, bystander, f"a DOCTYPE in the stream restarted {restart}")


@pytest.mark.parametrize(
    "construct",
    ["<!-- a comment -->", "<?php echo 'pi'; ?>", "<message type='chat'><!-- in a stanza --><body>x</body></message>"],
    ids=["comment", "processing-instruction", "comment-inside-stanza"],
)
def test_restricted_xml_after_bind(server, aio, bystander, raw_clients, construct):
    client = raw_clients(raw_bound_client(server.c2s))
    client.send(construct)
    client.expect_stream_error("restricted-xml")
    assert_still_served(server, aio, bystander, f"{construct!r} in a bound stream")


# ----------------------------------------------------------------------------------------------------------------
# Stanza size limit (max_stanza_bytes: 10000)
# ----------------------------------------------------------------------------------------------------------------


def _send_in_chunks(client: RawClient, data: bytes, chunk=4096):
    for offset in range(0, len(data), chunk):
        client.send(data[offset:offset + chunk])
        if client.eof:
            break


def test_oversized_stanza_complete(server, aio, bystander, raw_clients):
    client = raw_clients(raw_bound_client(server.c2s))
    stanza = f"<message to='{bystander.boundjid.full}' type='chat'><body>{'x' * 12000}</body></message>".encode()
    _send_in_chunks(client, stanza)
    client.expect_stream_error("policy-violation")
    assert no_message_for(aio, bystander) == [], "the oversized message was delivered"
    assert_still_served(server, aio, bystander, "a 12 KB stanza")


def test_oversized_stanza_never_terminated(server, aio, bystander, raw_clients):
    """The limit must cut a stanza off while it streams in, not after its end tag (which never comes)."""
    client = raw_clients(raw_bound_client(server.c2s))
    _send_in_chunks(client, f"<message to='{bystander.boundjid.full}' type='chat'><body>".encode() + b"y" * 60000)
    client.expect_stream_error("policy-violation")
    assert_still_served(server, aio, bystander, "a 60 KB unterminated stanza")


def test_oversized_element_before_auth(server, aio, bystander, raw_clients):
    client = secured_pre_auth(server, raw_clients, AUTH_DOMAIN)
    _send_in_chunks(client, f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>".encode() + b"A" * 60000)
    client.expect_stream_error("policy-violation")
    assert_still_served(server, aio, bystander, "a 60 KB <auth/> before authentication")


def test_stanza_under_limit_delivered_and_unlimited_jid_exempt(server, aio, bystander, raw_clients):

    client = raw_clients(raw_bound_client(server.c2s))
    body = "z" * 9000
    client.send(f"<message to='{bystander.boundjid.full}' type='chat' id='small'><body>{body}</body></message>")
    message = aio.run(asyncio.wait_for(bystander.messages.get(), 5), timeout=8)
    assert message["id"] == "small" and message["body"] == body
    assert message["from"].full == client.jid

    # focus@auth.meet.jitsi is in unlimited_jids: a 50 KB stanza passes (Jicofo's large Jingle/Colibri IQs).
    jicofo = aio.run(connect_client(server.c2s, f"{FOCUS_JID}/focus", FOCUS_PASSWORD, "SCRAM-SHA-1", runner=aio), 15)
    big = "w" * 50000
    jicofo.send_message(mto=bystander.boundjid.full, mbody=big, mtype="chat")
    message = aio.run(asyncio.wait_for(bystander.messages.get(), 5), timeout=8)
    assert message["body"] == big and message["from"].full == jicofo.boundjid.full
    assert not jicofo.disconnected_event.is_set() and jicofo.stream_errors == []
    assert_still_served(server, aio, bystander, "stanzas near and over the limit")


# ----------------------------------------------------------------------------------------------------------------
# Stream header: namespaces and host
# ----------------------------------------------------------------------------------------------------------------

HEADERS = {
    "content-namespace-jabber-server": (stream_header(ANON_DOMAIN, xmlns="jabber:server"), "invalid-namespace"),
    "stream-namespace-wrong": (stream_header(ANON_DOMAIN, stream_ns="http://example.org/not-streams"), "invalid-namespace"),
    "root-not-in-streams-namespace": (
        f"<?xml version='1.0'?><stream to='{ANON_DOMAIN}' version='1.0' xmlns='jabber:client'>".encode(),
        "invalid-namespace",
    ),
    "unknown-host": (stream_header("unknown.example"), "host-unknown"),
}


@pytest.mark.parametrize("case", list(HEADERS))
def test_bad_stream_header(server, aio, bystander, raw_clients, case):
    header, condition = HEADERS[case]
    client = raw_clients(RawClient(server.c2s))
    client.send(header)
    client.expect_stream_error(condition, header_first=True)
    assert_still_served(server, aio, bystander, f"stream header {case}")


def test_wrong_namespace_on_restart_after_tls(server, aio, bystander, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    client.open_stream()
    client.starttls()
    client.send(stream_header(ANON_DOMAIN, xmlns="jabber:server"))
    client.expect_stream_error("invalid-namespace", header_first=True)
    assert_still_served(server, aio, bystander, "jabber:server after STARTTLS")


# ----------------------------------------------------------------------------------------------------------------
# SASL
# ----------------------------------------------------------------------------------------------------------------


def test_unknown_sasl_mechanism_keeps_stream_open(server, aio, bystander, raw_clients):
    client = secured_pre_auth(server, raw_clients)
    answer = client.auth("X-UNKNOWN")
    assert answer.tag == q(NS_SASL, "failure"), client.transcript()
    assert answer.find(q(NS_SASL, "invalid-mechanism")) is not None, client.transcript()
    # The stream stays open: authenticate and bind on it.
    answer = client.auth("ANONYMOUS")
    assert answer.tag == q(NS_SASL, "success"), client.transcript()
    client.open_stream(ANON_DOMAIN)
    client.bind()
    assert client.ping_server("after-x-unknown").get("type") == "result"
    assert_still_served(server, aio, bystander, "an unknown SASL mechanism")


def test_wrong_password_keeps_stream_open(server, aio, bystander, raw_clients):

    client = secured_pre_auth(server, raw_clients, AUTH_DOMAIN)
    wrong = base64.b64encode(b"\0focus\0not-the-password").decode()
    answer = client.auth("PLAIN", wrong)
    assert answer.tag == q(NS_SASL, "failure"), client.transcript()
    assert answer.find(q(NS_SASL, "not-authorized")) is not None, client.transcript()
    right = base64.b64encode(f"\0focus\0{FOCUS_PASSWORD}".encode()).decode()
    answer = client.auth("PLAIN", right)
    assert answer.tag == q(NS_SASL, "success"), client.transcript()
    client.open_stream(AUTH_DOMAIN)
    assert client.bind("after-retry") == f"{FOCUS_JID}/after-retry"
    assert_still_served(server, aio, bystander, "a wrong password")


# ----------------------------------------------------------------------------------------------------------------
# Stanzas before authentication (RFC 6120 §6.4.x / §4.9.3.12: not-authorized)
# ----------------------------------------------------------------------------------------------------------------

PRE_AUTH_STANZAS = {
    "message": "<message to='{to}' type='chat' id='m1'><body>sneaky</body></message>",
    "iq": "<iq type='get' id='i1' to='{to}'><ping xmlns='urn:xmpp:ping'/></iq>",
    "presence": "<presence to='{to}'/>",
}


@pytest.mark.parametrize("kind", list(PRE_AUTH_STANZAS))
@pytest.mark.parametrize("stage", ["before-tls", "after-tls", "after-sasl-before-bind"])
def test_stanza_before_authentication(server, aio, bystander, raw_clients, stage, kind):
    if stage == "before-tls":
        client = raw_clients(RawClient(server.c2s))
        client.open_stream()
    elif stage == "after-tls":
        client = secured_pre_auth(server, raw_clients)
    else:
        client = secured_pre_auth(server, raw_clients)
        assert client.auth("ANONYMOUS").tag == q(NS_SASL, "success"), client.transcript()
        client.open_stream()
    client.send(PRE_AUTH_STANZAS[kind].format(to=bystander.boundjid.full))
    client.expect_stream_error("not-authorized")
    assert no_message_for(aio, bystander) == [], f"a {kind} sent {stage} was delivered"
    assert_still_served(server, aio, bystander, f"a {kind} {stage}")


# ----------------------------------------------------------------------------------------------------------------
# Invalid JIDs from a bound client: stanza error jid-malformed (modify), stream stays open
# ----------------------------------------------------------------------------------------------------------------

BAD_JIDS = {"a@b@c": "a@b@c", "localpart-1024-bytes": "l" * 1024 + "@" + ANON_DOMAIN}


@pytest.mark.parametrize("kind", ["message", "iq"])
@pytest.mark.parametrize("jid_case", list(BAD_JIDS))
def test_invalid_jid_jid_malformed(server, aio, bystander, raw_clients, jid_case, kind):
    client = raw_clients(raw_bound_client(server.c2s))
    to = BAD_JIDS[jid_case]
    if kind == "message":
        client.send(f"<message to='{to}' type='chat' id='bad-jid'><body>x</body></message>")
    else:
        client.send(f"<iq to='{to}' type='get' id='bad-jid'><ping xmlns='{NS_PING}'/></iq>")
    reply = client.wait_for(lambda e: e.get("id") == "bad-jid", what="the error reply")
    assert reply.tag == q(NS_CLIENT, kind), client.transcript()
    assert reply.get("type") == "error", client.transcript()
    assert stanza_error(reply) == ("modify", "jid-malformed"), client.transcript()
    # The stream stays open.
    assert client.ping_server("after-bad-jid").get("type") == "result"
    assert not client.eof
    assert_still_served(server, aio, bystander, f"to='{to[:20]}…' in a {kind}")


# ----------------------------------------------------------------------------------------------------------------
# Flood: 10,000 pings on one connection, nothing lost
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_flood_10000_pings_all_answered(server, aio, bystander, raw_clients):
    total, batch = 10_000, 250
    client = raw_clients(raw_bound_client(server.c2s, timeout=10))
    answered: dict[str, str] = {}
    others: list[bytes] = []

    def collect():
        while client.elements:
            element = client.elements.popleft()
            ident = element.get("id", "")
            if element.tag == q(NS_CLIENT, "iq") and ident.startswith("f"):
                answered[ident] = element.get("type")
            else:
                others.append(ET.tostring(element)[:300])
        client.history.clear()

    started = time.monotonic()
    for first in range(0, total, batch):
        client.send(
            "".join(
                f"<iq type='get' id='f{i}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>"
                for i in range(first, min(first + batch, total))
            )
        )
        assert not client.eof, f"connection closed while flooding after {first} pings{client.transcript()}"
        client.poll(0)
        collect()
    deadline = time.monotonic() + 40
    while len(answered) < total and time.monotonic() < deadline and not client.eof:
        client.poll(0.5)
        collect()
    elapsed = time.monotonic() - started
    missing = [f"f{i}" for i in range(total) if f"f{i}" not in answered]
    assert not missing, (
        f"{len(missing)} of {total} pings unanswered after {elapsed:.1f} s (first: {missing[:5]}); "
        f"connection {'closed: ' + client.eof_reason if client.eof else 'open'}; other elements: {others[:3]}"
    )
    not_result = {k: v for k, v in answered.items() if v != "result"}
    assert not not_result, f"{len(not_result)} pings answered with a non-result: {list(not_result.items())[:5]}"
    assert not others, f"unexpected elements during the flood: {others[:3]}"
    assert_still_served(server, aio, bystander, f"a flood of {total} pings ({elapsed:.1f} s)")


# ----------------------------------------------------------------------------------------------------------------
# Silence: negotiation_timeout
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def silent_server(parley_factory):
    return parley_factory(config=SILENT_CONFIG)


@pytest.mark.parametrize("stage", ["nothing", "header-only", "after-starttls", "after-tls-header", "direct-tls-handshake-only"])
def test_silent_connection_times_out(silent_server, aio, raw_clients, stage):
    server = silent_server
    bystander = aio.run(
        connect_client(server.c2s, f"{JVB_JID}/bystander", JVB_PASSWORD, "SCRAM-SHA-256", runner=aio), timeout=15
    )
    started = time.monotonic()
    if stage == "direct-tls-handshake-only":
        client = raw_clients(RawClient(server.c2s_tls, direct_tls=True))
    else:
        client = raw_clients(RawClient(server.c2s))
        if stage != "nothing":
            client.open_stream()
        if stage in ("after-starttls", "after-tls-header"):
            client.starttls()
            started = time.monotonic()
        if stage == "after-tls-header":
            client.open_stream()
    # negotiation_timeout is 1 s; allow generous slack on a loaded 2-core machine.
    client.expect_stream_error("connection-timeout", timeout=8)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.5, f"closed after {elapsed:.2f} s, before the 1 s timeout{client.transcript()}"
    # The bound bystander was silent for longer than negotiation_timeout too, and must not be cut off.
    time.sleep(max(0.0, 1.5 - (time.monotonic() - started)))
    assert_still_served(server, aio, bystander, f"a silent connection ({stage}) timed out")


@pytest.mark.parametrize("where", ["direct-tls-port", "after-starttls-proceed"])
def test_silent_connection_without_tls_handshake_closed(silent_server, aio, raw_clients, where):
    """No ClientHello ever comes: no stream error can be sent, but negotiation_timeout must still close it."""
    server = silent_server
    bystander = aio.run(
        connect_client(server.c2s, f"{JVB_JID}/bystander", JVB_PASSWORD, "SCRAM-SHA-256", runner=aio), timeout=15
    )
    if where == "direct-tls-port":
        client = raw_clients(RawClient(server.c2s_tls))  # TCP only
    else:
        client = raw_clients(RawClient(server.c2s))
        client.open_stream()
        client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        client.expect(q("urn:ietf:params:xml:ns:xmpp-tls", "proceed"))
    started = time.monotonic()
    client.read_until_closed(6)  # negotiation_timeout is 1 s
    elapsed = time.monotonic() - started
    assert elapsed >= 0.5, f"closed after {elapsed:.2f} s{client.transcript()}"
    assert_still_served(server, aio, bystander, f"a silent connection without TLS handshake ({where})")


# ----------------------------------------------------------------------------------------------------------------
# Garbage instead of a TLS handshake
# ----------------------------------------------------------------------------------------------------------------


def _client_hello() -> bytes:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_tls_context().wrap_bio(incoming, outgoing, server_hostname=ANON_DOMAIN)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


GARBAGE = {
    "plaintext-xmpp-header": stream_header(ANON_DOMAIN),
    "http-request": b"GET / HTTP/1.1\r\nHost: meet.jitsi\r\n\r\n",
    "random-4k": random.Random(6120).randbytes(4096),
    "tls-record-header-then-junk": b"\x16\x03\x01\x40\x00" + b"\x00" * 16384,
    "truncated-client-hello": None,  # filled at run time
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_garbage_instead_of_tls_handshake_on_direct_tls_port(server, aio, bystander, raw_clients, case):
    data = GARBAGE[case] if case != "truncated-client-hello" else _client_hello()[:60]
    client = raw_clients(RawClient(server.c2s_tls))
    client.send(data)
    # Closed: at once for garbage, after negotiation_timeout (2 s) at the latest for a half handshake.
    client.read_until_closed(6)
    assert b"<stream:stream" not in client.received, client.transcript()
    assert_still_served(server, aio, bystander, f"{case} on the direct-TLS port")


def test_garbage_instead_of_tls_handshake_after_starttls(server, aio, bystander, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    client.open_stream()
    client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    client.expect(q("urn:ietf:params:xml:ns:xmpp-tls", "proceed"))
    client.send(random.Random(6121).randbytes(2048))
    client.read_until_closed(8)
    assert_still_served(server, aio, bystander, "garbage after <proceed/>")
