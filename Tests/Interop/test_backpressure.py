"""Backpressure (issue 16, point 1): a client that sends without reading must not grow the server's memory.

Each flood test binds a session on one transport, then writes up to FLOOD_BYTES (50 MiB) of XEP-0199 pings as
fast as the socket takes them and reads nothing. Meanwhile:

- the server's RSS (VmRSS of the `parley` process) must stay within RSS_BOUND_MIB of its value before the flood;
- a second client, bound beforehand over STARTTLS, pings the server every PROBE_INTERVAL and every answer must
  come back within PROBE_RTT_LIMIT;
- the flood phase ends when the server stops taking bytes for STALL_SECONDS (backpressure at work: the client's
  socket is full), when all FLOOD_BYTES are written, or after FLOOD_DEADLINE.

Then the flooder reads: it must get one result per ping it wrote, in the order written (ids counted).

On a server without backpressure the flooder writes the whole 50 MiB and the replies pile up in the server
(about 1 GiB of RSS in debug builds, a 1 KiB buffer per reply); the test stops flooding as soon as the bound is
crossed, so it fails quickly and stops by itself. The flood is written in large batches of small stanzas.

The backlog tests check the other bound (`c2s.max_output_backlog`): output sent to a non-reading client by
other sessions ends its stream with `<resource-constraint/>` after what was queued (RFC 6120 §4.9.3.17), or
its BOSH session with `policy-violation` (XEP-0124 §17.2).
"""

from __future__ import annotations

import base64
import os
import re
import select
import socket
import ssl
import time

import pytest

from conftest import (
    ANON_DOMAIN,
    HOST,
    NS_BIND,
    NS_CLIENT,
    NS_PING,
    NS_SASL,
    NS_STREAM_ERRORS,
    RawClient,
    q,
    raw_bound_client,
)
from webxmpp import BoshClient

FLOOD_BYTES = 50 * 1024 * 1024
RSS_BOUND_MIB = 64
PROBE_RTT_LIMIT = 0.100
PROBE_INTERVAL = 0.05
STALL_SECONDS = 2.0
FLOOD_DEADLINE = 20.0
DRAIN_DEADLINE = 25.0
BATCH = 2000  # stanzas per write batch
NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"

REPLY_ID = re.compile(rb"<iq\b[^>]*?\bid=['\"](\d+)['\"]")

pytestmark = pytest.mark.timeout(60)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def ping_stanza(ident: int, xmlns: bool) -> str:
    ns = f" xmlns='{NS_CLIENT}'" if xmlns else ""
    return f"<iq{ns} type='get' id='{ident}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>"


# ---------------------------------------------------------------------------------------------------------------
# Transports: how a batch of pings is written and how replies are read back
# ---------------------------------------------------------------------------------------------------------------


class StreamFraming:
    """TCP (STARTTLS or direct TLS): stanzas back to back in one XML stream."""

    xmlns = False

    def __init__(self):
        self.buffer = bytearray()

    def encode(self, stanzas: list[str]) -> bytes:
        return "".join(stanzas).encode()

    def ids(self, data: bytes) -> list[int]:
        self.buffer += data
        end = self.buffer.rfind(b">")
        if end < 0:
            return []
        found = [int(m) for m in REPLY_ID.findall(self.buffer, 0, end + 1)]
        del self.buffer[: end + 1]
        return found


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """A masked client frame (RFC 6455 §5.2). The masking key is zero, which leaves the payload as it is: any key
    is valid and the server must unmask with whatever key it is given."""
    n = len(payload)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


class WebSocketFraming:
    """RFC 7395: one stanza per text frame."""

    xmlns = True

    def __init__(self):
        self.buffer = bytearray()

    def encode(self, stanzas: list[str]) -> bytes:
        return b"".join(ws_frame(s.encode()) for s in stanzas)

    def frames(self, data: bytes) -> list[bytes]:
        self.buffer += data
        frames = []
        offset = 0
        while len(self.buffer) - offset >= 2:
            length = self.buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if len(self.buffer) - offset < 4:
                    break
                length = int.from_bytes(self.buffer[offset + 2 : offset + 4], "big")
                start = offset + 4
            elif length == 127:
                if len(self.buffer) - offset < 10:
                    break
                length = int.from_bytes(self.buffer[offset + 2 : offset + 10], "big")
                start = offset + 10
            if len(self.buffer) < start + length:
                break
            frames.append(bytes(self.buffer[start : start + length]))
            offset = start + length
        del self.buffer[:offset]
        return frames

    def ids(self, data: bytes) -> list[int]:
        found = []
        for frame in self.frames(data):
            found += [int(m) for m in REPLY_ID.findall(frame)]
        return found


class BoshFraming:
    """XEP-0124 over one keep-alive HTTP/1.1 connection: POSTs pipelined, each with BATCH pings in its body."""

    xmlns = True

    def __init__(self, port: int, sid: str, rid: int):
        self.port = port
        self.sid = sid
        self.rid = rid
        self.buffer = bytearray()
        self.responses = 0
        self.problems: list[str] = []

    def encode(self, stanzas: list[str]) -> bytes:
        self.rid += 1
        body = (f"<body rid='{self.rid}' sid='{self.sid}' xmlns='http://jabber.org/protocol/httpbind'>"
                + "".join(stanzas) + "</body>").encode()
        head = (f"POST /http-bind HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Type: text/xml; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        return head + body

    def collect(self) -> bytes:
        """An empty request: every answer but the first to a batch waits for the next request (XEP-0124 §8)."""
        return self.encode([])

    def ids(self, data: bytes) -> list[int]:
        self.buffer += data
        found = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(self.buffer[:end]).decode("latin-1")
            match = re.search(r"(?im)^content-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            if len(self.buffer) < end + 4 + length:
                break
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            self.responses += 1
            if not head.startswith("HTTP/1.1 200") or b"type='terminate'" in body or b'type="terminate"' in body:
                self.problems.append(f"{head.splitlines()[0]}: {body[:300]!r}")
            found += [int(m) for m in REPLY_ID.findall(body)]
        return found


# ---------------------------------------------------------------------------------------------------------------
# Logins
# ---------------------------------------------------------------------------------------------------------------


def direct_tls_bound_client(port: int) -> RawClient:
    client = RawClient(port, direct_tls=True)
    client.open_stream(ANON_DOMAIN)
    answer = client.auth("ANONYMOUS")
    assert answer.tag == q(NS_SASL, "success"), client.transcript()
    client.open_stream(ANON_DOMAIN)
    client.bind()
    return client


def ws_recv_frames(sock: socket.socket, framing: WebSocketFraming, until: bytes, timeout: float = 5.0) -> bytes:
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(65536)
        assert data, f"WebSocket closed during login; got {seen[-500:]!r}"
        for frame in framing.frames(data):
            seen += frame
            if until in frame:
                return seen
    raise AssertionError(f"no frame with {until!r} within {timeout} s; got {seen[-500:]!r}")


def ws_bound_socket(port: int) -> socket.socket:
    """RFC 7395 over a raw socket: the upgrade, <open/>, SASL ANONYMOUS, <open/> again, bind."""
    sock = socket.create_connection((HOST, port), timeout=5.0)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /xmpp-websocket HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: xmpp\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        data = sock.recv(4096)
        assert data, f"no upgrade answer: {response!r}"
        response += data
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    framing = WebSocketFraming()
    framing.buffer += rest
    open_frame = ws_frame(f"<open xmlns='{NS_FRAMING}' to='{ANON_DOMAIN}' version='1.0'/>".encode())
    sock.sendall(open_frame)
    ws_recv_frames(sock, framing, b"features")
    sock.sendall(ws_frame(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>".encode()))
    ws_recv_frames(sock, framing, b"success")
    sock.sendall(open_frame)
    ws_recv_frames(sock, framing, b"features")
    sock.sendall(ws_frame(f"<iq xmlns='{NS_CLIENT}' type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>".encode()))
    ws_recv_frames(sock, framing, b"bind_1")
    assert not framing.buffer, f"unexpected bytes after bind: {bytes(framing.buffer)!r}"
    return sock


# ---------------------------------------------------------------------------------------------------------------
# The flood
# ---------------------------------------------------------------------------------------------------------------


class Flood:
    def __init__(self, server, sock: socket.socket, framing, probe: RawClient):
        self.server = server
        self.sock = sock
        self.framing = framing
        self.probe = probe
        self.pid = server.proc.pid
        self.written_bytes = 0
        self.next_id = 1
        self.rtts: list[float] = []
        self.baseline = 0
        self.peak = 0
        self.pending = b""  # the batch being written, from its first unwritten byte
        self.pending_last_id = 0
        self.complete_ids = 0  # ids of batches written completely
        self.stalled = False

    def sample_rss(self):
        rss = rss_kib(self.pid)
        self.peak = max(self.peak, rss)
        growth = (self.peak - self.baseline) / 1024
        assert growth <= RSS_BOUND_MIB, (
            f"server RSS grew by {growth:.0f} MiB (bound {RSS_BOUND_MIB} MiB) after the flooder wrote "
            f"{self.written_bytes / 2**20:.1f} MiB without reading"
        )

    def probe_once(self):
        ident = f"probe{len(self.rtts)}"
        started = time.monotonic()
        self.probe.ping_server(ident)
        self.rtts.append(time.monotonic() - started)

    def next_batch(self) -> bytes:
        first = self.next_id
        self.next_id += BATCH
        self.pending_last_id = self.next_id - 1
        return self.framing.encode([ping_stanza(i, self.framing.xmlns) for i in range(first, self.next_id)])

    def write_some(self) -> int:
        """Writes what the socket takes without blocking; returns the bytes written."""
        total = 0
        while self.written_bytes < FLOOD_BYTES or self.pending:
            if not self.pending:
                self.pending = self.next_batch()
            piece = self.pending[:16384]  # an SSL write is retried with the same bytes
            try:
                sent = self.sock.send(piece)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            self.pending = self.pending[sent:]
            self.written_bytes += sent
            total += sent
            if not self.pending:
                self.complete_ids = self.pending_last_id
                if self.written_bytes >= FLOOD_BYTES:
                    break
        return total

    def run(self):
        self.sock.setblocking(False)
        self.probe_once()  # warm
        self.rtts.clear()
        self.baseline = self.peak = rss_kib(self.pid)
        started = time.monotonic()
        last_progress = started
        next_probe = started
        while True:
            now = time.monotonic()
            if self.write_some() > 0:
                last_progress = now
            if self.written_bytes >= FLOOD_BYTES and not self.pending:
                break
            if now - last_progress >= STALL_SECONDS:
                self.stalled = True
                break
            assert now - started < FLOOD_DEADLINE + STALL_SECONDS, "flood phase did not end"
            if now - started >= FLOOD_DEADLINE:
                break
            if now >= next_probe:
                self.probe_once()
                next_probe = time.monotonic() + PROBE_INTERVAL
                self.sample_rss()
            select.select([], [self.sock], [], 0.01)
        self.flood_seconds = time.monotonic() - started
        self.flood_bytes = self.written_bytes
        self.sample_rss()
        self.server.assert_alive("during the flood")
        self.drain()

    def drain(self):
        """Reads every answer while the rest of the batch being written goes out (no new batches)."""
        self.written_bytes = FLOOD_BYTES  # no new batches
        expected = self.pending_last_id if self.pending else self.complete_ids
        received: list[int] = []
        started = time.monotonic()
        next_sample = started
        collect = getattr(self.framing, "collect", None)
        while len(received) < expected:
            if collect is not None and not self.pending:
                self.pending = collect()  # BOSH: one more request takes what is left
                collect = None
            assert time.monotonic() - started < DRAIN_DEADLINE, (
                f"only {len(received)} of {expected} answers within {DRAIN_DEADLINE} s of reading again"
            )
            if self.pending:
                self.write_some()
            readable, _, _ = select.select([self.sock], [], [], 0.05)
            if readable or (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
                while True:
                    try:
                        data = self.sock.recv(262144)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        break
                    assert data, f"the server closed the flooder's connection after {len(received)} answers"
                    received += self.framing.ids(data)
            if time.monotonic() >= next_sample:
                self.sample_rss()
                next_sample = time.monotonic() + 0.2
        self.drain_seconds = time.monotonic() - started
        assert received == list(range(1, expected + 1)), (
            f"answers out of order or missing: {len(received)} answers for {expected} pings, first difference at "
            f"{next((i for i, (a, b) in enumerate(zip(received, range(1, expected + 1))) if a != b), None)}"
        )
        self.answers = len(received)

    def report(self) -> str:
        rtts = sorted(self.rtts)
        return (f"wrote {self.flood_bytes / 2**20:.1f} MiB ({self.answers} pings) in {self.flood_seconds:.1f} s, "
                f"stalled={self.stalled}; RSS {self.baseline // 1024} MiB → peak {self.peak // 1024} MiB; "
                f"{len(rtts)} probes, max {rtts[-1] * 1000:.0f} ms, median {rtts[len(rtts) // 2] * 1000:.0f} ms; "
                f"drained in {self.drain_seconds:.1f} s")

    def check(self):
        assert self.stalled, (
            f"the server took all {FLOOD_BYTES / 2**20:.0f} MiB from a client that reads nothing: {self.report()}"
        )
        assert self.rtts and max(self.rtts) <= PROBE_RTT_LIMIT, (
            f"a bystander's ping took longer than {PROBE_RTT_LIMIT * 1000:.0f} ms during the flood: {self.report()}"
        )
        print(self.report())


@pytest.fixture
def server(parley_factory):
    return parley_factory()


def flood(server, sock, framing):
    probe = raw_bound_client(server.c2s)
    try:
        run = Flood(server, sock, framing, probe)
        run.run()
        run.check()
        assert getattr(framing, "problems", []) == [], framing.problems[:3]
        probe.ping_server("after")
        return run
    finally:
        probe.close()
        sock.close()


def test_flood_over_starttls_is_held_back(server):
    client = raw_bound_client(server.c2s)
    flood(server, client.sock, StreamFraming())


def test_flood_over_direct_tls_is_held_back(server):
    client = direct_tls_bound_client(server.c2s_tls)
    flood(server, client.sock, StreamFraming())


def test_flood_over_websocket_is_held_back(server):
    flood(server, ws_bound_socket(server.ports["http"]), WebSocketFraming())


def test_flood_over_bosh_pipelined_requests_is_held_back(server):
    """BOSH's model: a client can only send by making requests, each answered with the replies to its pings. A
    client pipelining requests on one connection without reading the responses is held back like the others."""
    bosh = BoshClient(server.ports["http"])
    try:
        bosh.login()
        sock = socket.create_connection((HOST, server.ports["http"]), timeout=5.0)
        flood(server, sock, BoshFraming(server.ports["http"], bosh.sid, bosh.rid))
    finally:
        bosh.close()


# ---------------------------------------------------------------------------------------------------------------
# The backlog bound: output from other sessions to a client that does not read
# ---------------------------------------------------------------------------------------------------------------

BACKLOG_BOUND = 1024 * 1024
# No unlimited_jids: the bound in force is never below twice the largest stanza anyone may send (10 MiB for them).
BACKLOG_CONFIG = {"c2s": {"max_output_backlog": BACKLOG_BOUND, "unlimited_jids": []}}
MESSAGE_BODY = "x" * 100_000
MAX_BATCHES = 40  # of ten 100 kB messages: 40 MB, far beyond the socket buffers plus the 1 MiB bound


def send_until_gone(sender: RawClient, to: str, deadline: float = 20.0) -> int:
    """Sends batches of ten 100 kB messages to `to`, each batch followed by a ping to it, until a ping comes back
    as an error (the session is gone). Returns the number of messages sent."""
    started = time.monotonic()
    sent = 0
    for batch in range(MAX_BATCHES):
        for _ in range(10):
            sent += 1
            sender.send(f"<message to='{to}' type='chat' id='m{sent}'><body>{MESSAGE_BODY}</body></message>")
        sender.send(f"<iq type='get' to='{to}' id='gone{batch}'><ping xmlns='{NS_PING}'/></iq>")
        sender.poll(0.02)
        if any(e.get("type") == "error" and (e.get("id") or "").startswith("gone") for e in sender.elements):
            return sent
        assert time.monotonic() - started < deadline, "the session was not ended within the deadline"
    raise AssertionError(f"{sent} messages ({sent * len(MESSAGE_BODY) // 2**20} MiB) to a client that does not "
                         f"read, and its session was not ended (max_output_backlog {BACKLOG_BOUND})")


def test_backlog_from_others_ends_the_stream_with_resource_constraint(parley_factory):
    """RFC 6120 §4.9.3.17: past `c2s.max_output_backlog` the stream ends with <resource-constraint/>, written after
    everything queued before it: the client, reading again, gets every message up to the error, in order."""
    from webxmpp import start_with_config

    server = start_with_config(parley_factory, BACKLOG_CONFIG, "c2s.max_output_backlog")
    slow = raw_bound_client(server.c2s)
    sender = raw_bound_client(server.c2s)
    try:
        sent = send_until_gone(sender, slow.jid)
        elements = slow.read_until_closed(timeout=10.0)
        ids = [int(e.get("id")[1:]) for e in elements if e.tag == q(NS_CLIENT, "message")]
        assert ids and ids == list(range(1, len(ids) + 1)), f"messages missing or out of order: {ids[:5]}…{ids[-5:]}"
        assert len(ids) < sent
        error = slow.stream_error()
        assert error is not None and error[0] == "resource-constraint", f"stream error {error}"
        assert slow.stream_closed
        print(f"resource-constraint after {len(ids)} of {sent} messages")
        sender.ping_server("after")
    finally:
        slow.close()
        sender.close()


def test_backlog_for_a_bosh_client_that_stops_polling_ends_with_policy_violation(parley_factory):
    """XEP-0124 §17.2: a BOSH client that stops collecting what it is sent gets `policy-violation` on its next
    request once the backlog passes the bound; the sid is then forgotten."""
    from webxmpp import start_with_config

    server = start_with_config(parley_factory, BACKLOG_CONFIG, "c2s.max_output_backlog")
    bosh = BoshClient(server.ports["http"])
    sender = raw_bound_client(server.c2s)
    try:
        jid = bosh.login()
        send_until_gone(sender, jid)
        reply = bosh.request()
        assert reply.type == "terminate" and reply.condition == "policy-violation", f"{reply!r}"
        assert len(reply.raw) < 4096, "the dropped backlog was sent in the terminate body"
        again = bosh.request()
        assert again.status == 404 and again.condition == "item-not-found", f"{again!r}"
        sender.ping_server("after")
    finally:
        bosh.close()
        sender.close()


def test_stream_management_client_that_never_acks_is_closed_with_resource_constraint(server):
    """XEP-0198: the server keeps what it sent until the client acknowledges it. A client that reads but never
    answers `<r/>` would grow that queue without bound; past 10,000 unacknowledged stanzas the stream ends with
    <resource-constraint/> (as Prosody's mod_smacks does past `smacks_max_queue_size`)."""
    from webxmpp import NS_SM

    client = raw_bound_client(server.c2s)
    try:
        client.send(f"<enable xmlns='{NS_SM}'/>")
        client.expect(q(NS_SM, "enabled"))
        sent = 0
        while sent < 12_000 and not client.eof:
            client.send("".join(ping_stanza(i, False) for i in range(sent + 1, sent + 1001)))
            sent += 1000
            client.poll(0.05)
        client.read_until_closed(timeout=10.0)
        results = sum(1 for e in client.history if e.tag == q(NS_CLIENT, "iq") and e.get("type") == "result")
        assert 10_000 <= results < sent, f"{results} results for {sent} pings"
        error = client.stream_error()
        assert error is not None and error[0] == "resource-constraint", f"stream error {error}"
    finally:
        client.close()
