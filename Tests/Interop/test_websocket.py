"""XMPP over WebSocket (RFC 7395) at /xmpp-websocket with the PyPI `websockets` client: the `xmpp` subprotocol,
<open/>/<close/> framing, one element per frame, size limits, ping/pong, bad frames, and what happens to a
room occupant whose WebSocket goes away.

Spec: RFC 7395 §3.1 (handshake), §3.3 (framing), §3.4 (stream errors), §3.6 (closing), RFC 6455 §5.5
(control frames); jitsi-requirements R4, §3.3, §3.4. One server for the module (the Jitsi preset)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import struct
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from websockets.exceptions import InvalidHandshake, InvalidStatus

from conftest import ANON_DOMAIN, DEFAULT_ACCOUNTS, NS_CLIENT, NS_SASL, NS_STREAMS, ServerSlot, q
from webxmpp import (
    assert_server_healthy,
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    NS_FRAMING,
    PRESENCE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    relayed_children,
    show,
    unique_room,
    ws_join,
    ws_clients,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.timeout(30)

NS_PING = "urn:xmpp:ping"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
STANZA_LIMIT = 256 * 1024  # c2s.max_stanza_bytes of the preset


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


def handshake_status(port: int, subprotocols, query: str = "") -> int | None:
    """Tries a WebSocket handshake; returns the HTTP status of a refusal, or None if it was accepted."""
    try:
        client = WSClient(port, query, subprotocols=subprotocols)
    except InvalidStatus as refused:
        return refused.response.status_code
    except InvalidHandshake as error:
        raise AssertionError(f"handshake failed without an HTTP status: {error!r}") from None
    client.close()
    return None


def logged_in(ws_clients, server, query: str = "") -> WSClient:
    client = ws_clients(WSClient(server.ports["http"], query))
    client.login()
    return client


def ping(client: WSClient, ident: str) -> ET.Element:
    client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='{ident}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>")
    return client.wait_for(lambda e: e.tag == IQ and e.get("id") == ident, what=f"the reply to ping {ident}")


# ---------------------------------------------------------------------------------------------------------------
# Handshake
# ---------------------------------------------------------------------------------------------------------------


def test_subprotocol_required(server):
    """RFC 7395 §3.1: without the `xmpp` subprotocol the upgrade is refused (HTTP 400)."""
    assert handshake_status(server.ports["http"], None) == 400
    assert handshake_status(server.ports["http"], ["chat"]) == 400


def test_subprotocol_echoed(server, ws_clients):
    client = ws_clients(WSClient(server.ports["http"], subprotocols=["chat", "xmpp"]))
    assert client.subprotocol == "xmpp", f"Sec-WebSocket-Protocol answered {client.subprotocol!r}"


def test_refused_room_parameter_refuses_upgrade(server):
    """The room-name policy refuses `?room=` before the upgrade (403)."""
    query = urllib.parse.urlencode({"room": "alice@example.org"})
    assert handshake_status(server.ports["http"], ["xmpp"], query) == 403


def test_jitsi_query_string_accepted(server, ws_clients):
    """lib-jitsi-meet's URL (nginx adds `prefix=`): the session works."""
    client = ws_clients(WSClient(server.ports["http"], "prefix=&room=weeklysync&previd="))
    client.login()
    assert ping(client, "q1").get("type") == "result"


def _raw_handshake(port: int, key: str, extra: str = "", pieces: int = 1, after: bytes = b"") -> tuple[socket.socket, bytes, bytes]:
    """Sends a handshake over a raw socket, cut into `pieces` sends, with `after` in the last one; returns the
    socket, the response head and what followed it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    request = (f"GET /xmpp-websocket?room=weeklysync HTTP/1.1\r\nHost: {ANON_DOMAIN}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: xmpp\r\n{extra}\r\n").encode() + after
    step = max(1, len(request) // pieces)
    for start in range(0, len(request), step):
        sock.sendall(request[start:start + step])
        if pieces > 1:
            time.sleep(0.02)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        assert chunk, f"no WebSocket handshake answer: {received!r}"
        received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    return sock, head, rest


def _response_headers(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode().split("\r\n")
    return lines[0], [(name.lower(), value.strip()) for name, value in (line.split(":", 1) for line in lines[1:])]


def test_handshake_answered_alike_on_both_paths(server):
    """A browser's plain handshake is answered by Parley's own handler, one with a header value that is not ASCII by NIO's
    upgrader: the same status line and headers (RFC 6455 §4.2.2), and the accept value the RFC computes."""
    key = base64.b64encode(os.urandom(16)).decode()
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    answers = []
    opening = f"<open xmlns='{NS_FRAMING}' to='{ANON_DOMAIN}' version='1.0'/>".encode()
    for extra in ("", "X-Note: caf\u00e9\r\n"):
        # The first frame in the same packet as the head: each path hands it to the session.
        sock, head, rest = _raw_handshake(server.ports["http"], key, extra, after=_masked_text_frame(opening))
        try:
            answers.append(_response_headers(head))
            assert b"<open " in _read_until(sock, rest, b"features>"), extra
        finally:
            sock.close()
    assert answers[0] == answers[1], answers
    status, headers = answers[0]
    assert status == "HTTP/1.1 101 Switching Protocols", status
    assert ("sec-websocket-accept", accept) in headers, headers
    assert ("sec-websocket-protocol", "xmpp") in headers and ("upgrade", "websocket") in headers, headers


@pytest.mark.parametrize("pieces", [1, 7])
def test_handshake_in_pieces_with_the_first_frame_after_it(server, pieces):
    """The head may arrive in several packets, and the client's first frame in the same packet as its end: the
    stream opens either way."""
    key = base64.b64encode(os.urandom(16)).decode()
    opening = f"<open xmlns='{NS_FRAMING}' to='{ANON_DOMAIN}' version='1.0'/>".encode()
    sock, head, rest = _raw_handshake(server.ports["http"], key, pieces=pieces, after=_masked_text_frame(opening))
    try:
        assert b" 101 " in head.split(b"\r\n", 1)[0], head
        received = rest
        while b"</stream:features>" not in received and b"features>" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"closed before the stream features: {received!r}"
            received += chunk
        assert b"<open " in received, received
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------------------------
# Framing
# ---------------------------------------------------------------------------------------------------------------


def test_open_features_and_close(server, ws_clients):
    """RFC 7395 §3.3.2: <open/> is answered with <open/> (from, id, version) and features in their own frame;
    §3.6: <close/> is answered with <close/> and the WebSocket closes normally (1000)."""
    client = ws_clients(WSClient(server.ports["http"]))
    opened, features = client.open()
    assert opened.get("from") == ANON_DOMAIN and opened.get("id") and opened.get("version") == "1.0", show(opened)
    assert [m.text for m in features.iter(q(NS_SASL, "mechanism"))] == ["ANONYMOUS"], show(features)
    client.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
    client.expect(q(NS_SASL, "success"))
    reopened, features = client.open()
    assert reopened.get("id") and reopened.get("id") != opened.get("id"), "the restarted stream needs a new id"
    client.bind()
    client.send(f"<close xmlns='{NS_FRAMING}'/>")
    rest = client.read_until_closed()
    assert [e.tag for e in rest] == [q(NS_FRAMING, "close")], f"expected only <close/>, got {[show(e) for e in rest]}"
    assert client.close_code == 1000, f"WebSocket close code {client.close_code}{client.transcript()}"


def test_one_element_per_frame_with_namespaces(server, ws_clients):
    """RFC 7395 §3.3.3: every frame the server sends is one complete element; stanzas carry jabber:client,
    features the stream namespace (each frame parses on its own: checked for every frame received)."""
    client = logged_in(ws_clients, server)
    for n in range(5):
        client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='burst-{n}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>")
    results = [client.wait_for(lambda e, n=n: e.get("id") == f"burst-{n}", what=f"burst-{n}") for n in range(5)]
    assert all(r.tag == IQ and r.get("type") == "result" for r in results), [show(r) for r in results]
    assert len([f for d, f in client.frames if d == "<"]) == len(client.history), "a frame held more than one element"
    assert client.history[1].tag == q(NS_STREAMS, "features")


def test_two_elements_in_one_frame_stream_error(server, ws_clients):
    """RFC 7395 §3.3.3: a frame with two elements is refused with a stream error, then <close/>."""
    client = logged_in(ws_clients, server)
    client.send(f"<presence xmlns='{NS_CLIENT}'/><presence xmlns='{NS_CLIENT}'/>")
    client.expect_stream_error(("not-well-formed", "bad-format", "policy-violation"))


def test_bad_xml_not_well_formed(server, ws_clients):
    client = logged_in(ws_clients, server)
    client.send(f"<message xmlns='{NS_CLIENT}'><body>x</message>")
    client.expect_stream_error("not-well-formed")


def test_binary_frame_stream_error(server, ws_clients):
    """RFC 7395 §3.2: text frames only; a binary frame ends the session with a stream error."""
    client = logged_in(ws_clients, server)
    client.send(f"<presence xmlns='{NS_CLIENT}'/>".encode())
    client.expect_stream_error(("bad-format", "unsupported-encoding", "policy-violation"))


def test_stanza_over_limit_policy_violation(server, ws_clients):
    """A frame within the WebSocket frame limit but over the stanza limit (256 KiB): policy-violation."""
    client = logged_in(ws_clients, server)
    client.send(f"<message xmlns='{NS_CLIENT}' to='{ANON_DOMAIN}'><body>{'x' * (STANZA_LIMIT + 2048)}</body></message>")
    client.expect_stream_error("policy-violation")
    assert client.close_code in (1008, 1009), client.close_code


def test_frame_over_frame_limit_policy_violation(server, ws_clients):
    """A frame over the WebSocket frame-size limit (300 KiB): the session ends with the policy-violation stream
    error too, not only a WebSocket close."""
    client = logged_in(ws_clients, server)
    client.send(f"<message xmlns='{NS_CLIENT}' to='{ANON_DOMAIN}'><body>{'x' * (300 * 1024)}</body></message>")
    client.read_until_closed()
    errors = [e for e in client.history if e.tag == q(NS_STREAMS, "error")]
    assert errors, (
        f"a 300 KiB frame closed the WebSocket (code {client.close_code}) without a <stream:error><policy-violation/>"
        f"</stream:error> and <close/> (RFC 7395 §3.4, §3.6){client.transcript(6)}"
    )
    client.expect_stream_error("policy-violation")


def _masked_text_frame(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    """One client frame (RFC 6455 §5.2), a final text frame unless told, masked as clients must."""
    mask = os.urandom(4)
    length = len(payload)
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        header = bytes([first, 0x80 | length])
    elif length < 65536:
        header = bytes([first, 0x80 | 126]) + struct.pack(">H", length)
    else:
        header = bytes([first, 0x80 | 127]) + struct.pack(">Q", length)
    key = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big") if length else b""
    return header + mask + masked


def _bound_raw_socket(port: int) -> tuple[socket.socket, bytes]:
    """A raw WebSocket connection, logged in anonymously and bound; returns it and what it read after the bind."""
    key = base64.b64encode(os.urandom(16)).decode()
    opening = f"<open xmlns='{NS_FRAMING}' to='{ANON_DOMAIN}' version='1.0'/>".encode()
    sock, head, received = _raw_handshake(port, key)
    assert b" 101 " in head.split(b"\r\n", 1)[0], head
    for element in (opening, f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>".encode(), opening,
                    f"<iq xmlns='{NS_CLIENT}' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".encode()):
        sock.sendall(_masked_text_frame(element))
    while b"</jid>" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed before the bind result: {received!r}"
        received += chunk
    return sock, received.split(b"</jid>", 1)[1]


def _read_until(sock: socket.socket, received: bytes, marker: bytes) -> bytes:
    while marker not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed before {marker!r}: {received[-400:]!r}"
        received += chunk
    return received


def test_fragmented_message_with_a_ping_between_fragments(server):
    """RFC 6455 §5.4: a message in three fragments, a ping among them (§5.5.2: control frames may come between
    fragments). The ping is answered at once with its payload, and the message is read as one stanza."""
    sock, received = _bound_raw_socket(server.ports["http"])
    try:
        stanza = f"<iq xmlns='{NS_CLIENT}' type='get' id='frag1' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>".encode()
        sock.sendall(_masked_text_frame(stanza[:20], fin=False))
        sock.sendall(_masked_text_frame(b"are-you-there", opcode=0x9))
        received = _read_until(sock, received, b"are-you-there")
        pong = received.index(b"are-you-there")
        assert received[pong - 2:pong] == bytes([0x8A, len(b"are-you-there")]), received[pong - 8:pong + 13]
        sock.sendall(_masked_text_frame(stanza[20:50], opcode=0x0, fin=False))
        sock.sendall(_masked_text_frame(stanza[50:], opcode=0x0, fin=True))
        received = _read_until(sock, received, b"frag1")
        reply = re.search(rb"<iq [^>]*id=.frag1.[^>]*>", received)
        assert reply and b"type='result'" in reply.group(0), received[-300:]
    finally:
        sock.close()


def test_continuation_without_a_message_is_a_policy_violation(server):
    """A continuation frame with no message begun is not WebSocket (RFC 6455 §5.4): the stream ends with
    policy-violation, and the server goes on serving others."""
    sock, received = _bound_raw_socket(server.ports["http"])
    try:
        sock.sendall(_masked_text_frame(b"<presence/>", opcode=0x0, fin=True))
        received = _read_until(sock, received, b"policy-violation")
        assert b"<close " in _read_until(sock, received, b"<close ")
    finally:
        sock.close()
    assert_server_healthy(server, "after a stray continuation frame")


def test_frame_over_limit_ends_without_reset(server):
    """The rest of a refused frame keeps arriving after our stream error; it must be read and dropped, not
    answered with a TCP reset, which makes the peer's kernel discard the error and <close/> unread
    (RFC 7395 §3.6). A raw socket sends the whole frame before reading anything, as a busy client would."""
    sock = socket.create_connection(("127.0.0.1", server.ports["http"]), timeout=10)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /xmpp-websocket HTTP/1.1\r\nHost: {ANON_DOMAIN}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Protocol: xmpp\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(4096)
            assert chunk, f"no WebSocket handshake answer: {received!r}"
            received += chunk
        assert b" 101 " in received.split(b"\r\n", 1)[0], received
        opening = f"<open xmlns='{NS_FRAMING}' to='{ANON_DOMAIN}' version='1.0'/>".encode()
        for element in (opening, f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>".encode(), opening,
                        f"<iq xmlns='{NS_CLIENT}' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".encode()):
            sock.sendall(_masked_text_frame(element))
        received = b""
        while b"</jid>" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed before the bind result: {received!r}"
            received += chunk
        body = b"x" * (300 * 1024)
        sock.sendall(_masked_text_frame(b"<message xmlns='jabber:client' to='" + ANON_DOMAIN.encode()
                                        + b"'><body>" + body + b"</body></message>"))
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                pytest.fail(f"the server reset the connection; read before the reset: {received[:400]!r}")
            if not chunk:
                break
            received += chunk
        assert b"policy-violation" in received, received[:400]
        assert b"<close " in received, received[:400]
    finally:
        sock.close()


def test_websocket_ping_answered_with_pong(server, ws_clients):
    """RFC 6455 §5.5.2: a ping frame gets a pong with the same payload; the session goes on."""
    client = logged_in(ws_clients, server)
    waiter = client.ws.ping(b"jitsi-keepalive")
    assert waiter.wait(3), "no pong within 3 s"
    assert ping(client, "after-pong").get("type") == "result"


def test_advertised_session_iq_answered_with_result(server, ws_clients):
    """The features after SASL advertise RFC 3921 <session/> (with <optional/>); a client that sends the session
    IQ anyway (Debian's strophe.js 1.2.14 always does) must get a result (draft-cridland-xmpp-session §2)."""
    client = ws_clients(WSClient(server.ports["http"]))
    features = client.authenticate_anonymous()
    client.bind()
    session = features.find(q(NS_SESSION, "session"))
    if session is None:
        pytest.skip("<session/> is not advertised: nothing to answer")
    client.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='sess_1'><session xmlns='{NS_SESSION}'/></iq>")
    reply = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "sess_1", what="the session IQ's answer")
    assert reply.get("type") == "result", (
        f"the server advertises {show(session)} but answers the session IQ with {show(reply)}"
    )


def test_stanza_before_authentication_refused(server, ws_clients):
    client = ws_clients(WSClient(server.ports["http"]))
    client.open()
    client.send(f"<message xmlns='{NS_CLIENT}' to='{ANON_DOMAIN}'><body>early</body></message>")
    client.expect_stream_error("not-authorized")


# ---------------------------------------------------------------------------------------------------------------
# Rooms: presence with Jitsi's extensions, and the end of a session
# ---------------------------------------------------------------------------------------------------------------


def test_two_websocket_participants_presence_and_groupchat(server, ws_clients, focus_factory):
    room = unique_room("wsroom")
    focus = focus_factory(server)
    focus.create_room(room)
    a = logged_in(ws_clients, server, f"room={room}")
    b = logged_in(ws_clients, server, f"room={room}")
    a_occupant, _ = ws_join(a, room, "Ada")
    b_occupant, b_join = ws_join(b, room, "Bob")
    seen = a.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == b_occupant, what="Bob's presence")
    assert relayed_children(seen) == relayed_children(ET.fromstring(b_join)), (
        f"Bob's Jitsi presence extensions changed on the way:\nsent {b_join}\ngot  {show(seen)}"
    )
    b.send(f"<message xmlns='{NS_CLIENT}' to='{room}@{MUC_DOMAIN}' type='groupchat'><body>hello</body></message>")
    got = a.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == b_occupant, what="Bob's groupchat")
    assert got.findtext(q(NS_CLIENT, "body")) == "hello" and got.get("type") == "groupchat", show(got)
    assert a_occupant != b_occupant


@pytest.mark.parametrize("how", ["close-frame", "tcp-reset", "xmpp-close"])
def test_lost_websocket_without_sm_leaves_room(server, ws_clients, focus_factory, how):
    """A session without stream management whose WebSocket goes away (close frame without <close/>, TCP reset,
    or a clean <close/>) ends at once: its room gets the unavailable presence (jitsi §3.4)."""
    room = unique_room("wsgone")
    focus = focus_factory(server)
    focus.create_room(room)
    client = logged_in(ws_clients, server, f"room={room}")
    occupant, _ = ws_join(client, room, "Gone")
    focus.wait_presence(occupant, available=True)
    if how == "close-frame":
        client.ws.close()
        client.closed = True
    elif how == "tcp-reset":
        client.abort()
    else:
        client.send(f"<close xmlns='{NS_FRAMING}'/>")
    focus.wait_presence(occupant, available=False, timeout=5)
