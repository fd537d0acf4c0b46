"""Clients for Parley's web transports and the helpers the web, BOSH, WebSocket, stream-management and browser
tests share (not a test module: pytest does not collect it).

* ``http_request``: one plain HTTP/1.1 exchange with ``http.client`` (status, headers, body).
* ``WSClient``: XMPP over WebSocket (RFC 7395) with the PyPI ``websockets`` package: one element per text
  frame, every frame kept for reports, stanzas counted for XEP-0198 (``h_in``), the server's ``<r/>``
  answered automatically, and ``abort()`` to drop the TCP connection without a WebSocket or XMPP close.
* ``BoshClient``: XEP-0124/0206 over ``http.client``: bodies built with a running ``rid``, long polls in
  threads, parsed ``<body/>`` answers.
* ``Focus``: a raw TCP client logged in as focus@auth.meet.jitsi/focus (STARTTLS, PLAIN) that creates rooms
  the way Jicofo does (the Jitsi preset lets only focus create rooms and holds joins until it is in).
* ``start_with_config``: a server with a YAML section that the server may not know yet; if it refuses the
  key, the test is marked xfail with the server's words.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import http.client
import inspect
import itertools
import random
import re
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    FOCUS_JID,
    FOCUS_PASSWORD,
    HOST,
    NS_BIND,
    NS_CLIENT,
    NS_SASL,
    NS_STREAM_ERRORS,
    NS_STREAMS,
    fixture_stanza,
    q,
    raw_secured_client,
)

NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
NS_HTTPBIND = "http://jabber.org/protocol/httpbind"
NS_XBOSH = "urn:xmpp:xbosh"
NS_SM = "urn:xmpp:sm:3"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_NICK = "http://jabber.org/protocol/nick"
NS_JINGLE = "urn:xmpp:jingle:1"

MUC_DOMAIN = "muc.meet.jitsi"
PRESENCE = q(NS_CLIENT, "presence")
MESSAGE = q(NS_CLIENT, "message")
IQ = q(NS_CLIENT, "iq")
STANZAS = (PRESENCE, MESSAGE, IQ)

SM_ID_RE = re.compile(r"[A-Za-z0-9_-]+")

_room_counter = itertools.count(1)


def host_identities(port: int) -> dict:
    """The identities of the host's disco#info as a fresh anonymous WebSocket client sees them, keyed by
    (category, type), valued by name: how lib-jitsi-meet finds Jitsi's components."""
    client = WSClient(port)
    try:
        client.login()
        client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='host-disco' to='{ANON_DOMAIN}'>"
                    f"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        info = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "host-disco", what="the host's disco#info")
    finally:
        client.close()
    return {(i.get("category"), i.get("type")): i.get("name")
            for i in info.iter("{http://jabber.org/protocol/disco#info}identity")}


def error_from(domain: str):
    """Matches a message error sent back by a component."""
    return lambda e: e.tag == MESSAGE and e.get("from") == domain and e.get("type") == "error"


def unique_room(prefix: str) -> str:
    """A room name the room-name policy accepts (letters only before the random hex; no digits run long
    enough to look like a phone number)."""
    return f"{prefix}{next(_room_counter)}x{random.getrandbits(24):06x}"


def show(element: ET.Element | None, limit: int = 1200) -> str:
    if element is None:
        return "(none)"
    text = ET.tostring(element, encoding="unicode")
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit} chars)"


def status_codes(presence: ET.Element) -> set[str]:
    x = presence.find(q(NS_MUC_USER, "x"))
    return set() if x is None else {s.get("code") for s in x.findall(q(NS_MUC_USER, "status"))}


def stream_error_condition(element: ET.Element) -> str | None:
    """The condition of a <stream:error/> element."""
    if element.tag != q(NS_STREAMS, "error"):
        return None
    for child in element:
        if child.tag.startswith("{" + NS_STREAM_ERRORS + "}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return "(none)"


def participant_join(room: str, nick: str, display: str) -> str:
    """lib-jitsi-meet's join presence (Tests/Fixtures/jitsi/participant-join-presence.xml), re-addressed."""
    stanza = fixture_stanza("participant-join-presence.xml")
    stanza = stanza.replace("weeklysync@muc.meet.jitsi/3f9a1c7e", f"{room}@{MUC_DOMAIN}/{nick}")
    stanza = stanza.replace("3f9a1c7e", nick).replace("Rosalind-mQZ", f"{display}-stats")
    return stanza.replace("Alice Example", display).replace("alice@example.org", f"{display.lower()}@example.org")


def relayed_children(presence: ET.Element):
    """A presence's children other than the MUC <x/> elements, as comparable trees."""

    def tree(element: ET.Element):
        text = (element.text or "").strip() if len(element) else (element.text or "")
        return (element.tag, tuple(sorted(element.attrib.items())), text, tuple(tree(c) for c in element))

    return [tree(c) for c in presence if c.tag not in (q(NS_MUC, "x"), q(NS_MUC_USER, "x"))]


# ---------------------------------------------------------------------------------------------------------------
# Plain HTTP
# ---------------------------------------------------------------------------------------------------------------


def http_request(port: int, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
                 timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """One request on a new connection. Returns (status, headers with lower-case names, body)."""
    if isinstance(body, str):
        body = body.encode()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def assert_server_healthy(server, context: str, timeout: float = 3.0):
    """The server answers /health. A crashing Swift process can stay alive for seconds while its backtracer
    prints, so a dead-looking server is given time to exit and is then reported with its stderr."""
    problem = None
    try:
        status, _, _ = http_request(server.ports["http"], "GET", "/health", timeout=timeout)
        if status != 200:
            problem = f"/health answered HTTP {status}"
    except (OSError, http.client.HTTPException) as error:
        problem = f"/health failed: {error!r}"
    if problem is None:
        return
    deadline = time.monotonic() + 15
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    server.assert_alive(context)
    pytest.fail(f"the server no longer answers /health {context} ({problem})\n{server.describe()}")


# ---------------------------------------------------------------------------------------------------------------
# WebSocket (RFC 7395)
# ---------------------------------------------------------------------------------------------------------------

_CONNECT_TAKES_LEGACY = "legacy" in inspect.signature(ws_connect).parameters


class WSClosed(AssertionError):
    pass


class WSClient:
    """XMPP over WebSocket. `elements` holds the parsed frames not yet consumed; `frames` every frame both ways
    (for reports); `h_in` counts the stanzas received (XEP-0198 `h`) once `count_stanzas` is set."""

    def __init__(self, port: int, query: str = "", *, subprotocols=("xmpp",), timeout: float = 5.0,
                 auto_ack: bool = True, path: str = "/xmpp-websocket", headers: dict | None = None,
                 source: str | None = None):
        """`headers`: extra request headers (X-Forwarded-For, as a proxy adds it); `source`: the local address to
        connect from (another loopback address, 127.0.0.2, is a different client to the server)."""
        self.url = f"ws://{HOST}:{port}{path}" + (f"?{query}" if query else "")
        self.timeout = timeout
        self.auto_ack = auto_ack
        self.frames: list[tuple[str, str]] = []
        self.elements: collections.deque = collections.deque()
        self.history: list[ET.Element] = []
        self.h_in = 0
        self.count_stanzas = False
        self.closed = False
        self.close_code: int | None = None
        self.jid: str | None = None
        kwargs = dict(subprotocols=list(subprotocols) if subprotocols else None, open_timeout=timeout,
                      close_timeout=2, ping_interval=None, max_size=None, compression=None)
        if _CONNECT_TAKES_LEGACY:
            kwargs["legacy"] = True
        if headers:
            kwargs["additional_headers"] = headers
        if source is not None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((source, 0))
            sock.settimeout(timeout)
            sock.connect((HOST, port))
            kwargs["sock"] = sock
        self.ws = ws_connect(self.url, **kwargs)

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol

    def transcript(self, limit: int = 40) -> str:
        lines = [f"{'C' if d == '>' else 'S'}: {t if len(t) < 700 else t[:700] + '…'}" for d, t in self.frames[-limit:]]
        state = f"closed (code {self.close_code})" if self.closed else "open"
        return f"\n--- WebSocket {self.url} ({state}), last {len(lines)} frames ---\n" + "\n".join(lines)

    def send(self, data: str | bytes):
        self.frames.append((">", data if isinstance(data, str) else f"<binary {len(data)} bytes>"))
        self.ws.send(data)

    def _recv_frame(self, timeout: float) -> str | None:
        """One frame, None on timeout; raises WSClosed when the connection is closed."""
        if self.closed:
            raise WSClosed(f"the WebSocket is closed{self.transcript()}")
        try:
            data = self.ws.recv(timeout=max(timeout, 0.001))
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            self.closed = True
            rcvd = getattr(closed, "rcvd", None)
            self.close_code = rcvd.code if rcvd is not None else None
            raise WSClosed(f"the server closed the WebSocket{self.transcript()}") from None
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
            self.frames.append(("<", f"<binary frame> {data}"))
        else:
            self.frames.append(("<", data))
        return data

    def _pump(self, timeout: float) -> bool:
        frame = self._recv_frame(timeout)
        if frame is None:
            return False
        try:
            element = ET.fromstring(frame)
        except ET.ParseError as error:
            raise AssertionError(f"the server sent a frame that is not one XML element ({error}): {frame!r}"
                                 f"{self.transcript()}") from None
        self.history.append(element)
        if self.count_stanzas and element.tag in STANZAS:
            self.h_in += 1
        if self.auto_ack and element.tag == q(NS_SM, "r"):
            self.send(f"<a xmlns='{NS_SM}' h='{self.h_in}'/>")
        self.elements.append(element)
        return True

    def next_element(self, timeout: float | None = None) -> ET.Element:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.elements:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no frame from the server within the time limit{self.transcript()}")
            self._pump(remaining)
        return self.elements.popleft()

    def expect(self, tag: str, timeout: float | None = None, skip_acks: bool = True) -> ET.Element:
        while True:
            element = self.next_element(timeout)
            if skip_acks and element.tag == q(NS_SM, "r"):
                continue
            if element.tag != tag:
                raise AssertionError(f"expected {tag}, got {show(element)}{self.transcript()}")
            return element

    def wait_for(self, predicate, timeout: float | None = None, what: str = "a matching element") -> ET.Element:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for index, element in enumerate(self.elements):
                if predicate(element):
                    del self.elements[index]
                    return element
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within the time limit{self.transcript()}")
            try:
                self._pump(remaining)
            except WSClosed:
                raise WSClosed(f"the server closed the WebSocket before {what}{self.transcript()}") from None

    def take_all(self, predicate) -> list[ET.Element]:
        found = [e for e in self.elements if predicate(e)]
        for e in found:
            self.elements.remove(e)
        return found

    def poll(self, seconds: float):
        """Reads whatever arrives within `seconds` (stops early if the connection closes)."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                self._pump(remaining)
            except WSClosed:
                return

    def read_until_closed(self, timeout: float = 5.0) -> list[ET.Element]:
        deadline = time.monotonic() + timeout
        while not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the server did not close the WebSocket within {timeout} s{self.transcript()}")
            try:
                self._pump(remaining)
            except WSClosed:
                break
        elements = list(self.elements)
        self.elements.clear()
        return elements

    def expect_stream_error(self, conditions: str | tuple, timeout: float = 5.0) -> ET.Element:
        """RFC 7395 §3.6: <stream:error/>, then <close/>, then the WebSocket closes."""
        wanted = (conditions,) if isinstance(conditions, str) else conditions
        self.read_until_closed(timeout)
        errors = [e for e in self.history if e.tag == q(NS_STREAMS, "error")]
        assert errors, f"expected a stream error {wanted}, got none before the close{self.transcript()}"
        condition = stream_error_condition(errors[0])
        assert condition in wanted, f"expected stream error {wanted}, got <{condition}/>{self.transcript()}"
        last = self.history[-1]
        assert last.tag == q(NS_FRAMING, "close"), (
            f"the stream error was not followed by <close xmlns='{NS_FRAMING}'/> (RFC 7395 §3.6){self.transcript()}"
        )
        return errors[0]

    # -- XMPP negotiation -------------------------------------------------------------------------------------

    def open(self, to: str = ANON_DOMAIN) -> tuple[ET.Element, ET.Element]:
        """Sends <open/>; returns the server's <open/> and <stream:features/>."""
        self.send(f"<open xmlns='{NS_FRAMING}' to='{to}' version='1.0'/>")
        opened = self.expect(q(NS_FRAMING, "open"))
        features = self.expect(q(NS_STREAMS, "features"))
        return opened, features

    def authenticate_anonymous(self, to: str = ANON_DOMAIN) -> ET.Element:
        """<open/>, SASL ANONYMOUS, restart. Returns the post-authentication features."""
        _, features = self.open(to)
        mechanisms = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
        assert "ANONYMOUS" in mechanisms, f"ANONYMOUS not offered: {mechanisms}{self.transcript()}"
        self.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
        answer = self.next_element()
        assert answer.tag == q(NS_SASL, "success"), f"ANONYMOUS refused: {show(answer)}{self.transcript()}"
        _, features = self.open(to)
        return features

    def bind(self) -> str:
        self.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>")
        reply = self.wait_for(lambda e: e.tag == IQ and e.get("id") == "bind_1", what="the bind result")
        jid = reply.findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}")
        assert reply.get("type") == "result" and jid, f"bind failed: {show(reply)}{self.transcript()}"
        self.jid = jid
        return jid

    def login(self, to: str = ANON_DOMAIN) -> ET.Element:
        """ANONYMOUS + bind. Returns the post-authentication features."""
        features = self.authenticate_anonymous(to)
        self.bind()
        return features

    def enable_sm(self) -> ET.Element:
        """XEP-0198 <enable resume='true'/>; returns <enabled/> (or fails with what came instead)."""
        self.send(f"<enable xmlns='{NS_SM}' resume='true'/>")
        answer = self.wait_for(lambda e: e.tag in (q(NS_SM, "enabled"), q(NS_SM, "failed")), what="<enabled/> or <failed/>")
        assert answer.tag == q(NS_SM, "enabled"), f"<enable resume='true'/> was refused: {show(answer)}{self.transcript()}"
        self.count_stanzas = True
        self.h_in = 0
        return answer

    # -- closing ----------------------------------------------------------------------------------------------

    def abort(self):
        """Drops the TCP connection at once (RST): no <close/>, no WebSocket close frame."""
        sock = self.ws.socket
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass
        self.closed = True
        try:
            self.ws.close_socket()
        except Exception:
            pass

    def close(self):
        if self.closed:
            try:
                self.ws.socket.close()
            except OSError:
                pass
            return
        self.closed = True
        try:
            self.ws.close()
        except Exception:
            try:
                self.ws.socket.close()
            except OSError:
                pass


@pytest.fixture
def ws_clients():
    """`ws_clients(WSClient(...))` registers a client to close after the test."""
    opened: list[WSClient] = []

    def track(client: WSClient) -> WSClient:
        opened.append(client)
        return client

    yield track
    for client in opened:
        client.close()


def ws_join(client: "WSClient", room: str, display: str) -> tuple[str, str]:
    """lib-jitsi-meet's join (nick = the first 8 characters of the anonymous username); waits for the
    self-presence with status 110. Returns (occupant JID, the join stanza sent)."""
    nick = client.jid.split("@", 1)[0][:8]
    occupant = f"{room}@{MUC_DOMAIN}/{nick}"
    stanza = participant_join(room, nick, display)
    client.send(stanza)
    own = client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant and e.get("type") is None,
                          what=f"self-presence in {room}")
    assert "110" in status_codes(own), f"self-presence without status 110: {show(own)}{client.transcript()}"
    return occupant, stanza


# ---------------------------------------------------------------------------------------------------------------
# BOSH (XEP-0124, XEP-0206)
# ---------------------------------------------------------------------------------------------------------------


class BoshReply:
    def __init__(self, status: int, headers: dict, raw: bytes, rid: int, elapsed: float):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.rid = rid
        self.elapsed = elapsed
        self.body: ET.Element | None = None
        self.parse_error: str | None = None
        if raw.strip():
            try:
                self.body = ET.fromstring(raw)
            except ET.ParseError as error:
                self.parse_error = str(error)

    @property
    def type(self) -> str | None:
        return None if self.body is None else self.body.get("type")

    @property
    def condition(self) -> str | None:
        return None if self.body is None else self.body.get("condition")

    @property
    def children(self) -> list[ET.Element]:
        return [] if self.body is None else list(self.body)

    def __repr__(self) -> str:
        text = self.raw.decode("utf-8", "replace")
        return f"<HTTP {self.status} rid={self.rid} after {self.elapsed:.2f}s: {text[:1500]}>"


class BoshClient:
    """One BOSH session. `request(payload)` takes the next rid; `post(rid, ...)` sends any rid. Every exchange is
    kept in `log` for reports."""

    def __init__(self, port: int, query: str = "", path: str = "/http-bind", timeout: float = 70.0):
        self.port = port
        self.path = path + (f"?{query}" if query else "")
        self.timeout = timeout
        self.rid = random.randint(10**6, 10**9)
        self.sid: str | None = None
        self.log: list[str] = []
        self.jid: str | None = None
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="bosh")

    def transcript(self, limit: int = 30) -> str:
        with self._lock:
            lines = self.log[-limit:]
        return f"\n--- BOSH {self.path} sid={self.sid}, last {len(lines)} exchanges ---\n" + "\n".join(lines)

    def post_raw(self, body: str | bytes, rid: int = 0, headers: dict | None = None) -> BoshReply:
        raw = body.encode() if isinstance(body, str) else body
        started = time.monotonic()
        with self._lock:
            self.log.append(f"C rid={rid}: {raw[:700].decode('utf-8', 'replace')}{'…' if len(raw) > 700 else ''}")
        all_headers = {"Content-Type": "text/xml; charset=utf-8"}
        all_headers.update(headers or {})
        status, response_headers, data = http_request(self.port, "POST", self.path, raw, all_headers, self.timeout)
        reply = BoshReply(status, response_headers, data, rid, time.monotonic() - started)
        with self._lock:
            self.log.append(f"S rid={rid} HTTP {status} +{reply.elapsed:.2f}s: {data[:900].decode('utf-8', 'replace')}")
        return reply

    def body(self, rid: int, payload: str = "", **attributes) -> str:
        attrs = {"rid": str(rid), "xmlns": NS_HTTPBIND}
        if self.sid is not None:
            attrs["sid"] = self.sid
        for name, value in attributes.items():
            attrs[name.replace("__", ":").rstrip("_")] = str(value)
        text = " ".join(f"{name}='{value}'" for name, value in attrs.items())
        if any(name.startswith("xmpp:") for name in attrs):
            text += f" xmlns:xmpp='{NS_XBOSH}'"
        return f"<body {text}>{payload}</body>" if payload else f"<body {text}/>"

    def post(self, rid: int, payload: str = "", **attributes) -> BoshReply:
        return self.post_raw(self.body(rid, payload, **attributes), rid)

    def next_rid(self) -> int:
        self.rid += 1
        return self.rid

    def create(self, wait: int = 60, hold: int = 1, to: str = ANON_DOMAIN, **extra) -> BoshReply:
        """The session-creation request, as Strophe sends it (XEP-0124 §7.1, XEP-0206 §5)."""
        reply = self.post(self.rid, to=to, xml__lang="en", wait=wait, hold=hold, content="text/xml; charset=utf-8",
                          ver="1.6", xmpp__version="1.0", **extra)
        assert reply.status == 200 and reply.body is not None and reply.body.get("sid"), (
            f"BOSH session creation failed: {reply!r}{self.transcript()}"
        )
        self.sid = reply.body.get("sid")
        return reply

    def request(self, payload: str = "", **attributes) -> BoshReply:
        return self.post(self.next_rid(), payload, **attributes)

    def request_async(self, payload: str = "", **attributes) -> concurrent.futures.Future:
        rid = self.next_rid()
        return self._pool.submit(self.post, rid, payload, **attributes)

    def login(self, wait: int = 60) -> str:
        """Session creation, SASL ANONYMOUS, xmpp:restart, bind. Returns the bound JID."""
        created = self.create(wait=wait)
        features = created.body.find(q(NS_STREAMS, "features")) if created.body is not None else None
        if features is None:
            features = self.wait_element(lambda e: e.tag == q(NS_STREAMS, "features"), "stream features")
        reply = self.request(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
        assert any(c.tag == q(NS_SASL, "success") for c in reply.children), f"ANONYMOUS failed: {reply!r}{self.transcript()}"
        reply = self.request(to=ANON_DOMAIN, xml__lang="en", xmpp__restart="true")
        assert any(c.tag == q(NS_STREAMS, "features") for c in reply.children), (
            f"no features after xmpp:restart: {reply!r}{self.transcript()}"
        )
        reply = self.request(f"<iq xmlns='{NS_CLIENT}' type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>")
        iq = next((c for c in reply.children if c.tag == IQ and c.get("id") == "bind_1"), None)
        jid = None if iq is None else iq.findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}")
        assert jid, f"bind failed: {reply!r}{self.transcript()}"
        self.jid = jid
        return jid

    def wait_element(self, predicate, what: str, timeout: float = 8.0) -> ET.Element:
        """Polls (empty requests) until an element satisfying `predicate` arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.request()
            assert reply.status == 200 and reply.type != "terminate", f"session ended while waiting for {what}: {reply!r}"
            for child in reply.children:
                if predicate(child):
                    return child
        raise AssertionError(f"no {what} within {timeout} s{self.transcript()}")

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------------------------------
# Focus (Jicofo's part): creates the rooms
# ---------------------------------------------------------------------------------------------------------------


class Focus:
    """focus@auth.meet.jitsi/focus over raw TCP (STARTTLS + PLAIN + bind), creating rooms like Jicofo."""

    def __init__(self, server, timeout: float = 5.0):
        self.client = raw_secured_client(server.c2s, AUTH_DOMAIN, timeout)
        token = base64.b64encode(f"\0focus\0{FOCUS_PASSWORD}".encode()).decode()
        answer = self.client.auth("PLAIN", token)
        assert answer.tag == q(NS_SASL, "success"), f"focus login failed: {show(answer)}{self.client.transcript()}"
        self.client.open_stream(AUTH_DOMAIN)
        jid = self.client.bind("focus")
        assert jid == f"{FOCUS_JID}/focus", jid
        self.client.send("<presence/>")

    def create_room(self, room: str) -> ET.Element:
        """Joins `room@muc.meet.jitsi/focus` with Jicofo's presence; returns the self-presence (110 + 201)."""
        occupant = f"{room}@{MUC_DOMAIN}/focus"
        stanza = fixture_stanza("focus-join-presence.xml").replace("weeklysync@muc.meet.jitsi/focus", occupant)
        self.client.send(stanza)
        own = self.client.wait_for(
            lambda e: e.tag == PRESENCE and e.get("from") == occupant and e.get("type") is None,
            what=f"focus's self-presence in {room}",
        )
        assert "110" in status_codes(own), f"focus did not get its self-presence in {room}: {show(own)}"
        return own

    def presences_from(self, occupant: str, seconds: float = 0.0) -> list[ET.Element]:
        """Every presence from `occupant` received so far (after reading for `seconds`)."""
        self.client.poll(seconds)
        found = [e for e in self.client.elements if e.tag == PRESENCE and e.get("from") == occupant]
        return found

    def wait_presence(self, occupant: str, available: bool, timeout: float = 5.0) -> ET.Element:
        def match(e):
            if e.tag != PRESENCE or e.get("from") != occupant:
                return False
            return (e.get("type") is None) if available else (e.get("type") == "unavailable")

        return self.client.wait_for(match, timeout=timeout,
                                    what=f"{'available' if available else 'unavailable'} presence from {occupant}")

    def send(self, xml: str):
        self.client.send(xml)

    def close(self):
        self.client.close()


@pytest.fixture
def focus_factory():
    made: list[Focus] = []

    def make(server) -> Focus:
        focus = Focus(server)
        made.append(focus)
        return focus

    yield make
    for focus in made:
        focus.close()


# ---------------------------------------------------------------------------------------------------------------
# Servers with configuration keys that may not exist yet
# ---------------------------------------------------------------------------------------------------------------


def start_with_config(start, config: dict | str, keys: str):
    """`start(config=...)` (a parley_factory or pool start). When the server refuses the configuration, the
    test is marked xfail naming `keys` and quoting the server's complaint."""
    try:
        return start(config=config)
    except pytest.fail.Exception as failure:
        message = str(failure)
        complaint = next((line for line in message.splitlines() if "error" in line.lower()), message[:400])
        pytest.xfail(f"the server refused the configuration key(s) {keys}: {complaint.strip()}")
