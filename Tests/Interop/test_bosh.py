"""BOSH (XEP-0124, XEP-0206) at /http-bind, and the other plain-HTTP answers of the web listener (keep-alive
GET on /xmpp-websocket, /health, the `room` query parameter, CORS), with raw HTTP (`http.client`).

Spec: XEP-0124 §7 (session creation), §9 (restart), §12 (terminate), §14 (rid window, retransmission),
§11 (overactivity), §17 (errors); XEP-0206 §5 (xmpp:version), §6 (xmpp:restart); jitsi-requirements §1.2, R3,
R4, §3.3, §3.4. One server for the module (the Jitsi preset); tests that need configuration start their own."""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.parse

import pytest

from conftest import ANON_DOMAIN, DEFAULT_ACCOUNTS, NS_CLIENT, NS_SASL, NS_STREAMS, ServerSlot, q
from webxmpp import (
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    NS_BIND,
    NS_HTTPBIND,
    NS_XBOSH,
    PRESENCE,
    BoshClient,
    assert_server_healthy,
    focus_factory,  # noqa: F401  (fixture)
    http_request,
    participant_join,
    show,
    start_with_config,
    status_codes,
    unique_room,
)

pytestmark = pytest.mark.timeout(30)

NS_PING = "urn:xmpp:ping"
# Over the server's BOSH body limit (256 KiB stanza limit + 8 KiB of <body/> overhead).
TOO_LARGE = 300 * 1024


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


@pytest.fixture
def bosh_clients():
    made: list[BoshClient] = []

    def make(port: int, **kwargs) -> BoshClient:
        client = BoshClient(port, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def ping_payload(ident: str) -> str:
    return f"<iq xmlns='{NS_CLIENT}' type='get' id='{ident}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>"


def iq_ids(reply) -> list[str]:
    return [c.get("id") for c in reply.children if c.tag == IQ]


def assert_session_gone(bosh: BoshClient, what: str):
    """A request on an ended session: HTTP 404 with <body type='terminate' condition='item-not-found'/>."""
    reply = bosh.post(bosh.rid + 1)
    assert reply.status == 404 and reply.type == "terminate" and reply.condition == "item-not-found", (
        f"after {what}, a request on the old sid should get HTTP 404 + terminate/item-not-found, got {reply!r}"
        f"{bosh.transcript()}"
    )


def join_room(bosh: BoshClient, room: str) -> str:
    """lib-jitsi-meet's join presence over BOSH; returns the occupant JID once the self-presence (110) came."""
    nick = bosh.jid.split("@", 1)[0][:8]
    occupant = f"{room}@{MUC_DOMAIN}/{nick}"
    reply = bosh.request(participant_join(room, nick, "Bosh"))
    own = [c for c in reply.children if c.tag == PRESENCE and c.get("from") == occupant]
    if not own:
        own = [bosh.wait_element(lambda e: e.tag == PRESENCE and e.get("from") == occupant, f"self-presence in {room}")]
    assert "110" in status_codes(own[0]), f"self-presence without 110: {show(own[0])}{bosh.transcript()}"
    return occupant


# ---------------------------------------------------------------------------------------------------------------
# Session creation
# ---------------------------------------------------------------------------------------------------------------


def test_session_creation_attributes_and_features(server, bosh_clients):
    """XEP-0124 §7.1 / XEP-0206 §5: the creation response carries sid, wait (capped at 60), hold=1,
    requests=2, inactivity=60, polling, ver, authid, from and xmpp:version, and the stream features."""
    bosh = bosh_clients(server.ports["http"], query="room=weeklysync")
    reply = bosh.create(wait=90)
    body = reply.body
    assert reply.status == 200, reply
    assert reply.headers.get("content-type", "").startswith("text/xml"), reply.headers
    assert body.tag == q(NS_HTTPBIND, "body"), show(body)
    attrs = body.attrib
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,}", attrs.get("sid", "")), f"sid {attrs.get('sid')!r}"
    assert attrs.get("wait") == "60", f"wait=90 requested: the server must cap it at 60, got {attrs.get('wait')}"
    assert attrs.get("hold") == "1", show(body)
    assert attrs.get("requests") == "2", show(body)
    assert attrs.get("inactivity") == "60", show(body)
    assert attrs.get("polling", "").isdigit(), f"polling: {attrs.get('polling')!r}"
    assert re.fullmatch(r"1\.\d+", attrs.get("ver", "")), f"ver: {attrs.get('ver')!r}"
    assert attrs.get("from") == ANON_DOMAIN, show(body)
    assert attrs.get("authid"), f"no authid (XEP-0206 §5: the stream id): {show(body)}"
    assert attrs.get(q(NS_XBOSH, "version")) == "1.0", f"xmpp:version: {show(body)}"
    features = body.find(q(NS_STREAMS, "features"))
    assert features is not None, f"the creation response has no <stream:features/>: {show(body)}"
    mechanisms = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
    assert mechanisms == ["ANONYMOUS"], mechanisms


def test_smaller_wait_honoured_and_empty_poll_held(server, bosh_clients):
    """A client asking for wait=2 gets it; an empty request is held about that long, then answered empty."""
    bosh = bosh_clients(server.ports["http"])
    reply = bosh.create(wait=2)
    assert reply.body.get("wait") == "2", show(reply.body)
    poll = bosh.request()
    assert poll.status == 200 and poll.type is None and poll.children == [], poll
    assert 1.5 <= poll.elapsed <= 4.5, f"an empty request with wait=2 was answered after {poll.elapsed:.2f} s"


def test_login_restart_bind_and_ping(server, bosh_clients):
    """SASL ANONYMOUS, xmpp:restart (XEP-0206 §6) with bind in the new features, bind, then an IQ round trip."""
    bosh = bosh_clients(server.ports["http"])
    bosh.create(wait=10)
    reply = bosh.request(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
    assert [c.tag for c in reply.children] == [q(NS_SASL, "success")], f"{reply!r}{bosh.transcript()}"
    restart = bosh.request(to=ANON_DOMAIN, xml__lang="en", xmpp__restart="true")
    features = next((c for c in restart.children if c.tag == q(NS_STREAMS, "features")), None)
    assert features is not None and features.find(q(NS_BIND, "bind")) is not None, (
        f"no <bind/> in the features after xmpp:restart: {restart!r}"
    )
    reply = bosh.request(f"<iq xmlns='{NS_CLIENT}' type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>")
    jid = reply.children[0].findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}") if reply.children else None
    assert jid and re.fullmatch(r"[a-z0-9]+@meet\.jitsi/.+", jid), f"{reply!r}"
    reply = bosh.request(ping_payload("ping-1"))
    assert iq_ids(reply) == ["ping-1"] and reply.children[0].get("type") == "result", reply


# ---------------------------------------------------------------------------------------------------------------
# rid: order, window, retransmission, overactivity (XEP-0124 §14, §11)
# ---------------------------------------------------------------------------------------------------------------


def test_requests_processed_in_rid_order(server, bosh_clients):
    """A request that overtakes its predecessor (rid N+2 before N+1) waits for it; payloads are processed in
    rid order."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=10)
    first_rid, second_rid = bosh.rid + 1, bosh.rid + 2
    second = bosh._pool.submit(bosh.post, second_rid, ping_payload("second"))
    time.sleep(0.4)
    assert not second.done(), f"rid {second_rid} was answered before rid {first_rid} arrived: {second.result()!r}"
    first = bosh.post(first_rid, ping_payload("first"))
    second_reply = second.result(timeout=12)
    bosh.rid = second_rid
    assert first.status == 200 and second_reply.status == 200, (first, second_reply)
    order = iq_ids(first) + iq_ids(second_reply)
    assert order == ["first", "second"], f"ping results in rid order expected ['first', 'second'], got {order}{bosh.transcript()}"


def test_rid_outside_window_terminates_item_not_found(server, bosh_clients):
    """XEP-0124 §14.2: a rid beyond the window (last rid + requests) ends the session with item-not-found."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=10)
    reply = bosh.post(bosh.rid + 3, ping_payload("too-far"))
    assert reply.type == "terminate" and reply.condition == "item-not-found", f"{reply!r}{bosh.transcript()}"
    assert "too-far" not in iq_ids(reply), reply
    assert_session_gone(bosh, "a rid outside the window")


def test_old_rid_no_longer_cached_terminates(server, bosh_clients):
    """XEP-0124 §14.3: a rid far behind (its response no longer kept) ends the session with item-not-found."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=10)
    old = bosh.rid - 3
    reply = bosh.post(old)
    assert reply.type == "terminate" and reply.condition == "item-not-found", f"{reply!r}{bosh.transcript()}"


def test_retransmitted_rid_gets_the_same_response(server, bosh_clients):
    """XEP-0124 §14.3: a request sent again with the same rid (its response was lost) gets the same response,
    and its payload is not processed twice."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=2)
    rid = bosh.next_rid()
    original = bosh.post(rid, ping_payload("once"))
    assert iq_ids(original) == ["once"], original
    again = bosh.post(rid, ping_payload("once"))
    assert again.status == 200 and again.raw == original.raw, (
        f"the retransmission got a different response:\nfirst  {original!r}\nsecond {again!r}"
    )
    poll = bosh.request()
    assert "once" not in iq_ids(poll), f"the retransmitted ping was processed twice: {poll!r}"


def test_overactivity_policy_violation(server, bosh_clients):
    """XEP-0124 §11: more requests outstanding than `requests` (2) ends the session with policy-violation."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=10)
    n = bosh.rid
    held = bosh._pool.submit(bosh.post, n + 1)  # held (nothing to say)
    time.sleep(0.3)
    ahead = bosh._pool.submit(bosh.post, n + 3)  # waits for n + 2
    time.sleep(0.3)
    try:
        third = bosh.post(n + 2)  # now three outstanding
        replies = [third, held.result(timeout=12), ahead.result(timeout=12)]
    except (ConnectionError, OSError) as error:
        assert_server_healthy(server, f"after three outstanding BOSH requests (rids n+1, n+3, n+2; requests=2): {error!r}")
        raise
    time.sleep(0.3)
    assert_server_healthy(server, "after answering three outstanding BOSH requests (requests=2) with terminate")
    conditions = [r.condition for r in replies]
    assert "policy-violation" in conditions, f"three outstanding requests with requests=2: {replies!r}{bosh.transcript()}"
    assert all(r.type == "terminate" for r in replies), f"every outstanding request ends with terminate: {replies!r}"
    bosh.rid = n + 3
    assert_session_gone(bosh, "overactivity")


def test_unknown_sid_item_not_found(server):
    """XEP-0124 §17.2: HTTP 404 and <body type='terminate' condition='item-not-found'/>."""
    body = f"<body xmlns='{NS_HTTPBIND}' rid='100' sid='nosuchsessionatall'/>"
    status, headers, data = http_request(server.ports["http"], "POST", "/http-bind", body, {"Content-Type": "text/xml"})
    assert status == 404, (status, data)
    assert re.search(rb"type=['\"]terminate['\"]", data) and re.search(rb"condition=['\"]item-not-found['\"]", data), data


def test_body_too_large_413(server, bosh_clients):
    """A body over the size limit gets HTTP 413, on a live session as well as at creation."""
    bosh = bosh_clients(server.ports["http"])
    bosh.login(wait=2)
    padding = "x" * TOO_LARGE
    payload = f"<message xmlns='{NS_CLIENT}' to='{ANON_DOMAIN}'><body>{padding}</body></message>"
    reply = bosh.post_raw(bosh.body(bosh.rid + 1, payload), bosh.rid + 1)
    assert reply.status == 413, f"{len(payload)}-byte body: {reply!r}"
    status, _, _ = http_request(server.ports["http"], "POST", "/http-bind",
                                f"<body xmlns='{NS_HTTPBIND}' rid='1' to='{ANON_DOMAIN}'>{padding}</body>")
    assert status == 413, status


def test_malformed_body_bad_request(server):
    status, _, data = http_request(server.ports["http"], "POST", "/http-bind", "<body xmlns='nope' rid='1'", {})
    assert status == 400, (status, data)


# ---------------------------------------------------------------------------------------------------------------
# Ends of a session: terminate, inactivity (the room gets unavailable presence)
# ---------------------------------------------------------------------------------------------------------------


def test_terminate_ends_session_and_room_gets_unavailable(server, bosh_clients, focus_factory):
    """XEP-0124 §12: type='terminate' ends the session; the occupant it left in a room is removed (jitsi §3.4:
    the server generates the unavailable presence)."""
    room = unique_room("boshterm")
    focus = focus_factory(server)
    focus.create_room(room)
    bosh = bosh_clients(server.ports["http"], query=f"room={room}")
    bosh.login(wait=10)
    occupant = join_room(bosh, room)
    seen = focus.wait_presence(occupant, available=True)
    assert seen.find(q("http://jabber.org/protocol/nick", "nick")) is not None, show(seen)
    reply = bosh.request(type="terminate")
    assert reply.status == 200 and reply.type == "terminate", reply
    gone = focus.wait_presence(occupant, available=False)
    assert gone.get("type") == "unavailable", show(gone)
    assert_session_gone(bosh, "terminate")


def test_inactivity_ends_session_configured(parley_factory, bosh_clients, focus_factory):
    """http.bosh_inactivity: 2 (and bosh_max_wait: 2): a session with no request for 2 s ends; its room gets
    the occupant's unavailable presence; the sid is forgotten."""
    server = start_with_config(parley_factory, "http:\n  bosh_inactivity: 2\n  bosh_max_wait: 2\n",
                               "http.bosh_inactivity, http.bosh_max_wait")
    room = unique_room("boshidle")
    focus = focus_factory(server)
    focus.create_room(room)
    probe = bosh_clients(server.ports["http"])
    created = probe.create(wait=60)
    assert created.body.get("wait") == "2", f"bosh_max_wait: 2 caps wait=60 at 2: {show(created.body)}"
    assert created.body.get("inactivity") == "2", show(created.body)
    bosh = bosh_clients(server.ports["http"], query=f"room={room}")
    bosh.login(wait=2)
    occupant = join_room(bosh, room)
    focus.wait_presence(occupant, available=True)
    started = time.monotonic()
    focus.wait_presence(occupant, available=False, timeout=8)
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed <= 7.0, f"unavailable presence {elapsed:.1f} s after the last request (inactivity 2 s)"
    assert_session_gone(bosh, "the inactivity timeout")


@pytest.mark.skipif(os.environ.get("PARLEY_SLOW_TESTS") != "1", reason="slow (62 s); set PARLEY_SLOW_TESTS=1")
@pytest.mark.timeout(120)
def test_inactivity_default_60_seconds_slow(server, bosh_clients, focus_factory):
    """The default inactivity of 60 s (Prosody's bosh_max_inactivity)."""
    room = unique_room("boshidleslow")
    focus = focus_factory(server)
    focus.create_room(room)
    bosh = bosh_clients(server.ports["http"], query=f"room={room}")
    bosh.login(wait=5)
    occupant = join_room(bosh, room)
    focus.wait_presence(occupant, available=True)
    started = time.monotonic()
    focus.wait_presence(occupant, available=False, timeout=75)
    elapsed = time.monotonic() - started
    assert 55 <= elapsed <= 70, f"unavailable presence after {elapsed:.1f} s (inactivity 60 s)"
    assert_session_gone(bosh, "the inactivity timeout")


# ---------------------------------------------------------------------------------------------------------------
# Query string, keep-alive, health, CORS
# ---------------------------------------------------------------------------------------------------------------


REFUSED_ROOMS = ["alice@example.org", "aliceexample.org", "4917612345678"]


@pytest.mark.parametrize("room", REFUSED_ROOMS, ids=["email", "email-without-at", "phone"])
def test_refused_room_parameter_403(server, room):
    """The `room` query parameter of the first request is checked by the room-name policy (early refusal):
    BOSH session creation, the keep-alive GET and the WebSocket upgrade all get 403."""
    query = urllib.parse.urlencode({"room": room})
    body = (f"<body xmlns='{NS_HTTPBIND}' rid='5' to='{ANON_DOMAIN}' wait='60' hold='1' ver='1.6' "
            f"xmlns:xmpp='{NS_XBOSH}' xmpp:version='1.0'/>")
    status, _, data = http_request(server.ports["http"], "POST", f"/http-bind?{query}", body, {"Content-Type": "text/xml"})
    assert status == 403, f"BOSH creation with ?{query}: HTTP {status} {data[:200]!r}"
    assert room.encode() not in data, f"the refusal repeats the room name: {data!r}"
    status, _, data = http_request(server.ports["http"], "GET", f"/xmpp-websocket?{query}")
    assert status == 403, f"keep-alive GET with ?{query}: HTTP {status} {data[:200]!r}"


def test_accepted_room_parameter_and_prefix(server, bosh_clients):
    """Jitsi's query (nginx adds `prefix=`): the session is created."""
    bosh = bosh_clients(server.ports["http"], query="prefix=&room=weeklysync&token=")
    reply = bosh.create()
    assert reply.status == 200 and reply.body.get("sid"), reply


def test_keepalive_get_on_xmpp_websocket(server):
    """jitsi R4: a plain GET on /xmpp-websocket (lib-jitsi-meet's keep-alive) gets a small 200 answer."""
    status, headers, data = http_request(server.ports["http"], "GET", "/xmpp-websocket?room=weeklysync")
    assert status == 200 and 0 < len(data) < 4096, (status, data)


def test_get_on_http_bind(server):
    status, _, data = http_request(server.ports["http"], "GET", "/http-bind")
    assert status == 200 and 0 < len(data) < 4096, (status, data)


def test_health(server):
    status, _, data = http_request(server.ports["http"], "GET", "/health")
    assert status == 200 and data == b"OK\n", (status, data)  # docker's mod_http_health


def test_unknown_path_404(server):
    status, _, _ = http_request(server.ports["http"], "GET", "/nothing-here")
    assert status == 404


def test_cors_for_configured_origins(parley_factory):
    """http.cors_origins: preflight and POST from a configured origin get Access-Control-Allow-Origin; another
    origin gets none."""
    origin = "https://meet.example.org"
    server = start_with_config(parley_factory, {"http": {"cors_origins": [origin]}}, "http.cors_origins")
    port = server.ports["http"]
    status, headers, _ = http_request(port, "OPTIONS", "/http-bind", None, {
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert status in (200, 204), status
    assert headers.get("access-control-allow-origin") == origin, headers
    assert "POST" in headers.get("access-control-allow-methods", ""), headers
    assert "content-type" in headers.get("access-control-allow-headers", "").lower(), headers
    body = (f"<body xmlns='{NS_HTTPBIND}' rid='7' to='{ANON_DOMAIN}' wait='60' hold='1' ver='1.6' "
            f"xmlns:xmpp='{NS_XBOSH}' xmpp:version='1.0'/>")
    status, headers, _ = http_request(port, "POST", "/http-bind", body, {"Origin": origin, "Content-Type": "text/xml"})
    assert status == 200 and headers.get("access-control-allow-origin") == origin, (status, headers)
    status, headers, _ = http_request(port, "OPTIONS", "/http-bind", None, {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in headers, headers


def test_no_cors_by_default(server):
    status, headers, _ = http_request(server.ports["http"], "OPTIONS", "/http-bind", None, {
        "Origin": "https://meet.example.org", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in headers, headers


def test_message_between_bosh_sessions_in_a_room(server, bosh_clients, focus_factory):
    """Two BOSH participants in a room: presence with Jitsi's extensions and a groupchat message."""
    room = unique_room("boshroom")
    focus = focus_factory(server)
    focus.create_room(room)
    a = bosh_clients(server.ports["http"], query=f"room={room}")
    b = bosh_clients(server.ports["http"], query=f"room={room}")
    a.login(wait=3)
    b.login(wait=3)
    a_occupant = join_room(a, room)
    b_occupant = join_room(b, room)
    seen = a.wait_element(lambda e: e.tag == PRESENCE and e.get("from") == b_occupant, "b's presence")
    assert seen.findtext("stats-id") == "Bosh-stats" or seen.findtext(q(NS_CLIENT, "stats-id")) == "Bosh-stats", show(seen)
    reply = b.request(f"<message xmlns='{NS_CLIENT}' to='{room}@{MUC_DOMAIN}' type='groupchat'><body>hi over BOSH</body></message>")
    got = a.wait_element(lambda e: e.tag == MESSAGE and e.get("from") == b_occupant, "b's groupchat message")
    assert got.findtext(q(NS_CLIENT, "body")) == "hi over BOSH", show(got)
    assert reply.status == 200
    assert a_occupant != b_occupant


# ---------------------------------------------------------------------------------------------------------------
# The plain path (`BOSHHTTPHandler`) over raw sockets: pipelining, HTTP/1.0 as nginx sends it, requests in pieces,
# and the hand-over to NIO's pipeline in the middle of a connection
# ---------------------------------------------------------------------------------------------------------------


def creation_body(rid: int) -> bytes:
    return (f"<body xmlns='{NS_HTTPBIND}' rid='{rid}' to='{ANON_DOMAIN}' wait='60' hold='1' ver='1.6' "
            f"xmlns:xmpp='{NS_XBOSH}' xmpp:version='1.0'/>").encode()


def post_bytes(body: bytes, *, version: str = "1.1", headers: dict | None = None, path: str = "/http-bind") -> bytes:
    lines = [f"POST {path} HTTP/{version}", "Host: meet.jitsi", "Content-Type: text/xml; charset=utf-8",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_responses(sock, count: int, timeout: float = 8.0) -> tuple[list[tuple[str, dict, bytes]], bytes]:
    """`count` whole responses (status line, lower-cased headers, body by Content-Length), and any bytes after."""
    sock.settimeout(timeout)
    data = b""
    responses = []
    while len(responses) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in head[1:])}
            length = int(headers.get("content-length", "0"))
            if len(data) >= end + 4 + length:
                responses.append((head[0], headers, data[end + 4:end + 4 + length]))
                data = data[end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(responses)} of {count} responses: {data[:300]!r}"
        data += chunk
    return responses, data


def test_pipelined_requests_answered_in_order(server):
    """RFC 9112 §9.3.2: two requests in one write on one connection get their responses in request order: the
    session creation (200 with features), then a request for an unknown sid (404 item-not-found)."""
    unknown = (f"<body xmlns='{NS_HTTPBIND}' rid='5' sid='no-such-sid'/>").encode()
    with socket.create_connection(("127.0.0.1", server.ports["http"])) as sock:
        sock.sendall(post_bytes(creation_body(100)) + post_bytes(unknown))
        (first, second), rest = read_responses(sock, 2)
    assert first[0] == "HTTP/1.1 200 OK" and b"sid=" in first[2], first
    assert second[0] == "HTTP/1.1 404 Not Found" and b"item-not-found" in second[2], second
    assert rest == b"", rest


def test_http10_request_as_nginx_sends_it(server):
    """nginx's default towards an upstream: HTTP/1.0 with `Connection: close`. The answer is HTTP/1.0 with
    `Connection: close`, and the server closes the connection after it."""
    with socket.create_connection(("127.0.0.1", server.ports["http"])) as sock:
        sock.sendall(post_bytes(creation_body(200), version="1.0",
                                headers={"Connection": "close", "X-Forwarded-For": "192.0.2.9"}))
        (response,), rest = read_responses(sock, 1)
        sock.settimeout(5)
        tail = rest + sock.recv(100)
    assert response[0] == "HTTP/1.0 200 OK", response
    assert response[1].get("connection") == "close", response[1]
    assert response[1].get("content-type", "").startswith("text/xml"), response[1]
    assert b"sid=" in response[2], response
    assert tail == b"", f"the connection should close after the response, got {tail!r}"


def test_request_in_pieces(server):
    """A request written a few bytes at a time (head and body split anywhere) is answered once it is whole."""
    data = post_bytes(creation_body(300), headers={"Origin": "https://meet.jitsi"})
    with socket.create_connection(("127.0.0.1", server.ports["http"])) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(data), 7):
            sock.sendall(data[start:start + 7])
            time.sleep(0.002)
        (response,), _ = read_responses(sock, 1)
    assert response[0] == "HTTP/1.1 200 OK" and b"sid=" in response[2], response


def test_other_requests_on_a_bosh_connection(server):
    """One keep-alive connection: a BOSH request, then a health check and a chunked BOSH request (both left to
    NIO's HTTP pipeline), then another BOSH request: each gets its answer, in order."""
    chunked_body = creation_body(500)
    chunked = (b"POST /http-bind HTTP/1.1\r\nHost: meet.jitsi\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{len(chunked_body):x}\r\n".encode() + chunked_body + b"\r\n0\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.ports["http"])) as sock:
        sock.sendall(post_bytes(creation_body(400)))
        (first,), _ = read_responses(sock, 1)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: meet.jitsi\r\n\r\n")
        (health,), _ = read_responses(sock, 1)
        sock.sendall(chunked)
        (second,), _ = read_responses(sock, 1)
        sock.sendall(post_bytes(creation_body(600)))
        (third,), rest = read_responses(sock, 1)
    assert first[0] == "HTTP/1.1 200 OK" and b"sid=" in first[2], first
    assert health[0] == "HTTP/1.1 200 OK", health
    assert second[0] == "HTTP/1.1 200 OK" and b"sid=" in second[2], second
    assert third[0] == "HTTP/1.1 200 OK" and b"sid=" in third[2], third
    assert rest == b""


def test_many_pipelined_requests_answered_at_once(server):
    """A thousand pipelined requests whose bodies are refused at once (400 `bad-request`) in one write: each gets
    its answer, in order, and the server keeps serving."""
    count = 1000
    with socket.create_connection(("127.0.0.1", server.ports["http"])) as sock:
        sock.sendall(b"".join(post_bytes(b"<nope/>") for _ in range(count)))
        responses, rest = read_responses(sock, count, timeout=20)
    assert [r[0] for r in responses] == ["HTTP/1.1 400 Bad Request"] * count, responses[:3]
    assert all(b"bad-request" in r[2] for r in responses)
    assert rest == b""
    assert_server_healthy(server, "after 1,000 pipelined BOSH requests")
