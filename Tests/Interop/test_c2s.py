"""Client-to-server interop with an independent client (slixmpp 1.17): TLS, SASL, bind, routing between two
clients with Jitsi's own stanzas, and the server's own services (ping, disco#info, roster).

One server for the module (accounts focus@ and jvb@auth.meet.jitsi); every test checks it is still alive."""

from __future__ import annotations

import asyncio
import re
import signal
import xml.etree.ElementTree as ET

import pytest
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    DEFAULT_ACCOUNTS,
    FOCUS_JID,
    FOCUS_PASSWORD,
    JVB_JID,
    JVB_PASSWORD,
    NS_BIND,
    NS_CLIENT,
    NS_DISCO_INFO,
    NS_DISCO_ITEMS,
    NS_PING,
    NS_SASL,
    NS_STREAMS,
    NS_TLS,
    RawClient,
    ServerSlot,
    connect_client,
    fixture_stanza,
    ping,
    q,
    raw_bound_client,
    raw_secured_client,
    readdress,
    stanza_error,
)

pytestmark = pytest.mark.timeout(30)

NS_JINGLE = "urn:xmpp:jingle:1"
NS_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0"
NS_JITMEET = "http://jitsi.org/jitmeet"


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


def login(aio, server, jid, password="", mechanism=None, **kwargs):
    port = server.c2s_tls if kwargs.get("direct_tls") else server.c2s
    return aio.run(connect_client(port, jid, password, mechanism, runner=aio, **kwargs), timeout=15)


def anonymous(aio, server):
    return login(aio, server, ANON_DOMAIN, "", "ANONYMOUS")


def focus(aio, server):
    return login(aio, server, f"{FOCUS_JID}/focus", FOCUS_PASSWORD, "SCRAM-SHA-1")


async def next_message(client, timeout=5.0):
    return await asyncio.wait_for(client.messages.get(), timeout)


async def send_and_capture_iq(client, xml: str, ident: str, timeout=5.0):
    """Sends raw XML and returns the first IQ that comes back with `id` == ident (any type, any sender)."""
    loop = asyncio.get_running_loop()
    reply = loop.create_future()

    def capture(stanza):
        if stanza["id"] == ident and stanza["type"] in ("result", "error") and not reply.done():
            reply.set_result(stanza)

    name = f"capture-{ident}"
    client.register_handler(Callback(name, MatchXPath(f"{{{NS_CLIENT}}}iq"), capture))
    try:
        client.send_raw(xml)
        return await asyncio.wait_for(reply, timeout)
    finally:
        client.remove_handler(name)


# ----------------------------------------------------------------------------------------------------------------
# TLS, SASL, bind
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mechanism, jid, password, expected",
    [
        ("SCRAM-SHA-1", f"{FOCUS_JID}/focus", FOCUS_PASSWORD, f"{FOCUS_JID}/focus"),
        ("SCRAM-SHA-256", f"{JVB_JID}/jvb-1", JVB_PASSWORD, f"{JVB_JID}/jvb-1"),
        ("PLAIN", f"{FOCUS_JID}/focus-plain", FOCUS_PASSWORD, f"{FOCUS_JID}/focus-plain"),
    ],
    ids=["SCRAM-SHA-1-focus", "SCRAM-SHA-256-jvb-password-with-colon", "PLAIN"],
)
def test_starttls_account_login_and_bind(server, aio, mechanism, jid, password, expected):
    client = login(aio, server, jid, password, mechanism)
    assert client.boundjid.full == expected
    assert client.plugin["feature_mechanisms"].mech.name == mechanism
    assert client.tls_version in ("TLSv1.2", "TLSv1.3")


def test_server_assigned_resource(server, aio):
    client = login(aio, server, JVB_JID, JVB_PASSWORD, "SCRAM-SHA-256")
    assert client.boundjid.bare == JVB_JID
    assert client.boundjid.resource, f"no resource assigned: {client.boundjid}"


def test_direct_tls_login_xep0368(server, aio):
    client = login(aio, server, f"{FOCUS_JID}/direct", FOCUS_PASSWORD, "SCRAM-SHA-256", direct_tls=True)
    assert client.boundjid.full == f"{FOCUS_JID}/direct"
    assert client.tls_version in ("TLSv1.2", "TLSv1.3")


def test_anonymous_login_random_lowercase_localpart(server, aio):
    first = anonymous(aio, server)
    second = anonymous(aio, server)
    for client in (first, second):
        jid = client.boundjid
        assert jid.domain == ANON_DOMAIN
        assert re.fullmatch(r"[a-z0-9]{8,}", jid.user), f"localpart not random lowercase: {jid.user!r}"
        assert jid.resource, f"no resource: {jid}"
        assert client.plugin["feature_mechanisms"].mech.name == "ANONYMOUS"
    assert first.boundjid.user != second.boundjid.user


@pytest.mark.parametrize(
    "mechanism, jid, password",
    [
        ("SCRAM-SHA-1", FOCUS_JID, "wrong-password"),
        ("SCRAM-SHA-256", JVB_JID, "jvb"),  # the part of jvb's password before its ':'
        ("PLAIN", FOCUS_JID, "wrong-password"),
        ("PLAIN", "nobody@auth.meet.jitsi", "whatever"),
    ],
    ids=["SCRAM-SHA-1", "SCRAM-SHA-256-password-prefix", "PLAIN", "PLAIN-unknown-user"],
)
def test_wrong_password_not_authorized(server, aio, mechanism, jid, password):
    with pytest.raises(ConnectionError) as info:
        login(aio, server, jid, password, mechanism)
    client = info.value.client
    conditions = [failure["condition"] for failure in client.auth_failures]
    assert conditions == ["not-authorized"], f"SASL failures: {conditions} ({info.value})"


def test_starttls_required_and_mechanisms_per_host(server, raw_clients):
    # Before TLS: only <starttls><required/></starttls>, no SASL mechanisms.
    plain = raw_clients(RawClient(server.c2s))
    features = plain.open_stream(AUTH_DOMAIN)
    starttls = features.find(q(NS_TLS, "starttls"))
    assert starttls is not None, f"no <starttls/>{plain.transcript()}"
    assert starttls.find(q(NS_TLS, "required")) is not None, f"STARTTLS not <required/>{plain.transcript()}"
    assert features.find(q(NS_SASL, "mechanisms")) is None, f"SASL offered before TLS{plain.transcript()}"

    def mechanisms(domain):
        client = raw_clients(raw_secured_client(server.c2s, domain))
        element = client.features.find(q(NS_SASL, "mechanisms"))
        assert element is not None, f"no mechanisms on {domain}{client.transcript()}"
        return client, [m.text for m in element.findall(q(NS_SASL, "mechanism"))]

    anon, offered = mechanisms(ANON_DOMAIN)
    assert offered == ["ANONYMOUS"]
    # A mechanism of the other host is refused (a browser can't log in with PLAIN on meet.jitsi).
    answer = anon.auth("PLAIN", "AGZvY3VzAGZvY3VzLXNlY3JldA==")  # \0focus\0focus-secret
    assert answer.tag == q(NS_SASL, "failure"), f"PLAIN on meet.jitsi: {ET.tostring(answer)!r}"
    assert answer.find(q(NS_SASL, "invalid-mechanism")) is not None, ET.tostring(answer)

    auth, offered = mechanisms(AUTH_DOMAIN)
    assert sorted(offered) == ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"]
    answer = auth.auth("ANONYMOUS")
    assert answer.tag == q(NS_SASL, "failure"), f"ANONYMOUS on auth.meet.jitsi: {ET.tostring(answer)!r}"
    assert answer.find(q(NS_SASL, "invalid-mechanism")) is not None, ET.tostring(answer)


def test_plain_password_never_accepted_before_tls(server, raw_clients):
    client = raw_clients(RawClient(server.c2s))
    client.open_stream(AUTH_DOMAIN)
    client.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>AGZvY3VzAGZvY3VzLXNlY3JldA==</auth>")
    try:
        answer = client.next_element()
    except AssertionError:
        answer = None  # closed with a stream error: acceptable
    if answer is not None:
        assert answer.tag != q(NS_SASL, "success"), f"PLAIN accepted over plaintext{client.transcript()}"
        assert answer.tag in (q(NS_SASL, "failure"), q(NS_STREAMS, "error")), client.transcript()


def test_second_session_with_same_resource_replaces_first(server, aio):
    first = focus(aio, server)
    second = focus(aio, server)
    assert second.boundjid.full == f"{FOCUS_JID}/focus"
    aio.run(asyncio.wait_for(first.disconnected_event.wait(), 5), timeout=8)
    assert [e["condition"] for e in first.stream_errors] == ["conflict"]
    reply = aio.run(ping(second, AUTH_DOMAIN))
    assert reply["type"] == "result"


# ----------------------------------------------------------------------------------------------------------------
# Routing between two clients (Jitsi stanzas)
# ----------------------------------------------------------------------------------------------------------------


def test_messages_between_two_clients(server, aio):
    jicofo = focus(aio, server)
    browser = anonymous(aio, server)

    # An E2EE key-info endpoint message (type chat, no id), addressed to Jicofo's full JID.
    endpoint = fixture_stanza("endpoint-message.xml")
    expected_json = ET.fromstring(endpoint).findtext(q(NS_JITMEET, "json-message"))
    browser.send_raw(readdress(endpoint, jicofo.boundjid.full))
    message = aio.run(next_message(jicofo))
    assert message["from"].full == browser.boundjid.full
    assert message["to"].full == jicofo.boundjid.full
    assert message["type"] == "chat"
    assert message.xml.findtext(q(NS_JITMEET, "json-message")) == expected_json

    # An ordinary chat text (groupchat, with a Strophe id), to the same full JID (RFC 6121 §8.5.3.1).
    chat = fixture_stanza("chat-message.xml")
    chat_id = ET.fromstring(chat).get("id")
    browser.send_raw(readdress(chat, jicofo.boundjid.full))
    message = aio.run(next_message(jicofo))
    assert message["from"].full == browser.boundjid.full
    assert message["id"] == chat_id
    assert message["type"] == "groupchat"
    assert message["body"] == "Slides are in the shared folder, starting in 2 minutes."

    # And back, built by slixmpp.
    jicofo.send_message(mto=browser.boundjid.full, mbody="ack ✓ <&>", mtype="chat")
    message = aio.run(next_message(browser))
    assert message["from"].full == jicofo.boundjid.full
    assert message["body"] == "ack ✓ <&>"


def test_iq_between_two_clients(server, aio):
    jicofo = focus(aio, server)
    browser = anonymous(aio, server)
    received = []

    def on_jingle(iq):
        received.append(iq)
        iq.reply().send()

    jicofo.register_handler(Callback("jingle", MatchXPath(f"{{{NS_CLIENT}}}iq/{{{NS_JINGLE}}}jingle"), on_jingle))

    stanza = readdress(fixture_stanza("jingle-source-add.xml"), jicofo.boundjid.full)
    ident = ET.fromstring(stanza).get("id")
    reply = aio.run(send_and_capture_iq(browser, stanza, ident))

    assert len(received) == 1
    request = received[0]
    assert request["from"].full == browser.boundjid.full
    assert request["id"] == ident
    assert request["type"] == "set"
    jingle = request.xml.find(q(NS_JINGLE, "jingle"))
    assert jingle.get("action") == "source-add" and jingle.get("sid") == "8ctv1u3m0gq4k"
    ssrcs = [s.get("ssrc") for s in jingle.iter(q(NS_SSMA, "source")) if s.get("name")]
    assert ssrcs == ["1559038264", "2904716135"]
    assert [g.get("semantics") for g in jingle.iter(q(NS_SSMA, "ssrc-group"))] == ["FID"]

    assert reply["type"] == "result", reply
    assert reply["id"] == ident
    assert reply["from"].full == jicofo.boundjid.full


def test_iq_to_absent_full_jid_service_unavailable(server, aio):
    browser = anonymous(aio, server)
    stanza = readdress(fixture_stanza("jingle-source-add.xml"), f"{FOCUS_JID}/not-connected")
    ident = ET.fromstring(stanza).get("id")
    reply = aio.run(send_and_capture_iq(browser, stanza, ident))
    assert reply["type"] == "error", reply
    assert reply["error"]["condition"] == "service-unavailable", reply
    assert reply["error"]["type"] == "cancel", reply


def test_ring_of_ten_concurrent_clients(server, aio):
    """Ten anonymous browsers log in concurrently; each pings the server and messages its neighbour."""

    async def scenario():
        clients = await asyncio.gather(
            *(connect_client(server.c2s, ANON_DOMAIN, "", "ANONYMOUS", runner=aio) for _ in range(10))
        )
        assert len({c.boundjid.full for c in clients}) == 10
        replies = await asyncio.gather(*(ping(c) for c in clients))
        assert all(r["type"] == "result" for r in replies)
        for i, client in enumerate(clients):
            client.send_message(mto=clients[(i + 1) % 10].boundjid.full, mbody=f"hello {i}", mtype="chat")
        for i, client in enumerate(clients):
            message = await next_message(client)
            sender = clients[(i - 1) % 10]
            assert message["from"].full == sender.boundjid.full
            assert message["body"] == f"hello {(i - 1) % 10}"

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# The server's own services
# ----------------------------------------------------------------------------------------------------------------


def test_ping_server(server, aio):
    browser = anonymous(aio, server)
    reply = aio.run(ping(browser, ANON_DOMAIN))
    assert reply["type"] == "result" and reply["from"].full == ANON_DOMAIN
    jicofo = focus(aio, server)
    reply = aio.run(ping(jicofo, AUTH_DOMAIN))
    assert reply["type"] == "result" and reply["from"].full == AUTH_DOMAIN


def test_disco_info_server(server, aio):
    browser = anonymous(aio, server)
    reply = aio.run(browser.plugin["xep_0030"].get_info(jid=ANON_DOMAIN, timeout=5))
    assert reply["type"] == "result"
    features = set(reply["disco_info"]["features"])
    assert {NS_PING, NS_DISCO_INFO, NS_DISCO_ITEMS} <= features, features
    identities = {(category, kind) for category, kind, _lang, _name in reply["disco_info"]["identities"]}
    assert ("server", "im") in identities, identities


def test_roster_get_empty(server, aio):
    for client in (anonymous(aio, server), focus(aio, server)):
        reply = aio.run(client.get_roster(timeout=5))
        assert reply["type"] == "result"
        query = reply.xml.find(q("jabber:iq:roster", "query"))
        assert query is not None and len(query) == 0, ET.tostring(reply.xml)


def test_iq_unknown_payload_service_unavailable(server, raw_clients):
    client = raw_clients(raw_bound_client(server.c2s))
    client.send(f"<iq type='get' id='u1' to='{ANON_DOMAIN}'><query xmlns='urn:example:unknown'/></iq>")
    reply = client.wait_for(lambda e: e.get("id") == "u1", what="reply to u1")
    assert reply.get("type") == "error", client.transcript()
    assert stanza_error(reply)[1] == "service-unavailable", client.transcript()
    assert client.ping_server("after").get("type") == "result"


@pytest.mark.parametrize(
    "stanza",
    [
        f"<iq type='get' id='two' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/><query xmlns='{NS_DISCO_INFO}'/></iq>",
        f"<iq type='get' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>",
    ],
    ids=["two-children", "no-id"],
)
def test_iq_bad_request(server, raw_clients, stanza):
    client = raw_clients(raw_bound_client(server.c2s))
    client.send(stanza)
    reply = client.wait_for(lambda e: e.tag == q(NS_CLIENT, "iq"), what="a reply")
    assert reply.get("type") == "error", f"expected an error reply{client.transcript()}"
    assert stanza_error(reply)[1] == "bad-request", client.transcript()
    # The stream stays open.
    assert client.ping_server("after").get("type") == "result"


# ----------------------------------------------------------------------------------------------------------------
# Process lifecycle
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_right_after_the_ports_line_is_not_lost(parley_factory, sig):
    """A harness may stop the server as soon as it has printed its ports. The stop signals are blocked from the
    first line of `serve` and taken with sigwait; before, a signal in the moment between that line and the
    signal handler's registration was ignored and the server ran on (5 of 10 tries hung)."""
    for _ in range(4):
        server = parley_factory()
        problem = server.signal_and_wait(sig)
        assert problem is None, f"{problem}\n{server.describe()}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_server_and_ends_sessions(parley_factory, raw_clients, sig):
    server = parley_factory()
    client = raw_clients(raw_bound_client(server.c2s))
    problem = server.signal_and_wait(sig)
    assert problem is None, f"{problem}\n{server.describe()}"
    client.read_until_closed(3)
    # RFC 6120 §4.9.3.22: a stream error on shutdown, if any, is <system-shutdown/>.
    error = client.stream_error()
    assert error is None or error[0] == "system-shutdown", client.transcript()
