"""Fixtures and helpers for the Parley interop suite.

* ``parley_factory`` / ``parley_module_factory``: start ``parley serve --ephemeral`` (accounts, YAML config),
  read its one JSON line of ports, stop it afterwards (SIGTERM, wait, SIGKILL) and fail the test loudly,
  with the server's stderr, if the process died on its own (crash, trap) or did not exit on SIGTERM.
* ``aio``: an asyncio loop in a background thread where slixmpp clients live; the test body stays
  synchronous and calls ``aio.run(coroutine)``.
* ``connect_client``: a slixmpp ``ClientXMPP`` over STARTTLS (or XEP-0368 direct TLS) that accepts the
  self-signed certificate, with a chosen SASL mechanism.
* ``RawClient``: a plain socket (wrapped with TLS after ``<proceed/>``) that sends exact bytes and parses what
  the server sends into top-level elements; ``raw_bound_client`` does STARTTLS + SASL ANONYMOUS + bind.

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import queue
import re
import select
import signal
import socket
import ssl
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath
from slixmpp.exceptions import IqError, IqTimeout

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures" / "jitsi"
PARLEY_BIN = os.environ.get("PARLEY_BIN", str(REPO / ".build" / "debug" / "parley"))
HOST = "127.0.0.1"

# Namespaces
NS_STREAMS = "http://etherx.jabber.org/streams"
NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
NS_STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_CLIENT = "jabber:client"
NS_PING = "urn:xmpp:ping"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_ROSTER = "jabber:iq:roster"

ANON_DOMAIN = "meet.jitsi"
AUTH_DOMAIN = "auth.meet.jitsi"

# Accounts every server started by the default fixtures has. jvb's password contains ':' on purpose
# (the CLI splits `JID:PASSWORD` at the first ':' after the '@').
FOCUS_JID = "focus@auth.meet.jitsi"
FOCUS_PASSWORD = "focus-secret"
JVB_JID = "jvb@auth.meet.jitsi"
JVB_PASSWORD = "jvb:s3cret pass"
DEFAULT_ACCOUNTS = (f"{FOCUS_JID}:{FOCUS_PASSWORD}", f"{JVB_JID}:{JVB_PASSWORD}")

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0


def q(ns: str, name: str) -> str:
    """Clark notation ``{ns}name``."""
    return f"{{{ns}}}{name}"


def fixture_stanza(name: str) -> str:
    """A Jitsi fixture as it travels on the wire: whitespace between tags removed (text is never changed)."""
    text = (FIXTURES / name).read_text(encoding="utf-8").strip()
    return re.sub(r">\s+<", "><", text)


def readdress(stanza: str, to: str) -> str:
    """Replaces the root element's `to` attribute."""
    root_end = stanza.index(">")
    head, rest = stanza[:root_end], stanza[root_end:]
    head, n = re.subn(r"""\sto=(["'])[^"']*\1""", f' to="{to}"', head, count=1)
    assert n == 1, f"no to= in {stanza[:120]}"
    return head + rest


def to_yaml(value, indent: int = 0) -> str:
    """Tiny YAML emitter for the config (nested dicts, lists of scalars, scalars)."""
    pad = "  " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(item, indent + 1))
        elif isinstance(item, (list, tuple)):
            lines.append(f"{pad}{key}: [{', '.join(_yaml_scalar(v) for v in item)}]")
        else:
            lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    return "\n".join(lines)


def _yaml_scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


# ---------------------------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------------------------


class ParleyServer:
    """One `parley serve --ephemeral` process."""

    def __init__(self, workdir: Path, accounts=DEFAULT_ACCOUNTS, config: dict | str | None = None, name="parley",
                 env: dict | None = None, extra_args: tuple = ()):
        self.args = [PARLEY_BIN, "serve", "--ephemeral", *extra_args]
        if config is not None:
            config_path = workdir / f"{name}.yaml"
            config_path.write_text(config if isinstance(config, str) else to_yaml(config) + "\n")
            self.args += ["--config", str(config_path)]
        for account in accounts:
            self.args += ["--account", account]
        self.stderr_path = workdir / f"{name}.stderr.log"
        self.stopped_by_us = False
        self.exit_code: int | None = None
        if not os.access(PARLEY_BIN, os.X_OK):
            pytest.fail(f"parley binary not found at {PARLEY_BIN} (build it: swift build --product parley, or set PARLEY_BIN)")
        self._stderr = open(self.stderr_path, "wb")
        # `env`: variables added to the test's own environment (docker-jitsi-meet's, for a server without --config).
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, close_fds=True,
            env=None if env is None else {**os.environ, **env},
        )
        self._stdout_lines: queue.Queue = queue.Queue()
        self._stdout_extra: list[bytes] = []
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        self.ports = self._read_ports()
        self.c2s: int = self.ports["c2s"]
        self.c2s_tls: int = self.ports["c2s_tls"]

    def _pump_stdout(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._stdout_lines.put(line)
        self._stdout_lines.put(None)

    def _read_ports(self) -> dict:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                pytest.fail(f"parley printed no JSON line within {STARTUP_TIMEOUT} s.\n{self.describe()}")
            try:
                line = self._stdout_lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
                self.exit_code = code
                pytest.fail(f"parley exited ({describe_exit(code)}) before printing its ports.\n{self.describe()}")
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                ports = json.loads(text)
            except ValueError:
                self.stop()
                pytest.fail(f"parley's first stdout line is not JSON: {text!r}\n{self.describe()}")
            if not (isinstance(ports, dict) and isinstance(ports.get("c2s"), int) and isinstance(ports.get("c2s_tls"), int)):
                self.stop()
                pytest.fail(f"parley's JSON line lacks integer c2s/c2s_tls ports: {text!r}\n{self.describe()}")
            return ports

    def alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self, context: str = ""):
        code = self.proc.poll()
        if code is not None:
            self.exit_code = code
            pytest.fail(f"parley died ({describe_exit(code)}){' ' + context if context else ''}.\n{self.describe()}")

    def stderr_tail(self, limit: int = 6000) -> str:
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            data = self.stderr_path.read_bytes()
        except OSError:
            return "(no stderr)"
        text = data.decode("utf-8", "replace")
        return text if len(text) <= limit else "…" + text[-limit:]

    def describe(self) -> str:
        return f"command: {' '.join(self.args)}\n--- parley stderr (tail) ---\n{self.stderr_tail()}\n--- end of stderr ---"

    def signal_and_wait(self, sig: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> str | None:
        """Sends `sig` (the server must exit by itself) and waits. Returns a problem description or None."""
        name = signal.Signals(sig).name
        self.stopped_by_us = True
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = self.proc.wait(timeout=SHUTDOWN_TIMEOUT)
            return f"parley did not exit within {timeout} s of {name} (killed)"
        self.exit_code = code
        if code not in (0, -sig, 128 + sig):
            return f"parley exited abnormally on {name} ({describe_exit(code)})"
        return None

    def stop(self) -> str | None:
        """Stops the server. Returns a failure message when it had died by itself, misbehaved on SIGTERM, or
        printed more than its JSON line on stdout."""
        problem = None
        code = self.proc.poll()
        if code is not None:
            if not self.stopped_by_us:
                problem = f"parley died during the test ({describe_exit(code)})"
            self.exit_code = code
        else:
            problem = self.signal_and_wait(signal.SIGTERM)
        if not self._stderr.closed:
            self._stderr.close()
        extra = []
        while True:
            try:
                line = self._stdout_lines.get(timeout=1.0)
            except queue.Empty:
                break
            if line is None:
                break
            if line.strip():
                extra.append(line.decode("utf-8", "replace").rstrip())
        if extra and problem is None:
            problem = f"parley printed more than its one JSON line on stdout: {extra[:5]!r}"
        return problem


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _ServerPool:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.servers: list[ParleyServer] = []

    def start(self, accounts=DEFAULT_ACCOUNTS, config: dict | str | None = None, env: dict | None = None,
              extra_args: tuple = ()) -> ParleyServer:
        server = ParleyServer(self.workdir, accounts=accounts, config=config, name=f"parley-{len(self.servers)}",
                              env=env, extra_args=extra_args)
        self.servers.append(server)
        return server

    def stop_all(self):
        problems = []
        for server in self.servers:
            problem = server.stop()
            if problem:
                problems.append(f"{problem}\n{server.describe()}")
        self.servers.clear()
        if problems:
            pytest.fail("\n\n".join(problems), pytrace=False)


class ServerSlot:
    """A server shared by a module's tests, started on first use and started anew after a test that killed it
    (that test fails with the server's stderr; the following tests get a fresh server)."""

    def __init__(self, pool: "_ServerPool", **kwargs):
        self.pool = pool
        self.kwargs = kwargs
        self.server: ParleyServer | None = None

    def acquire(self) -> ParleyServer:
        if self.server is None or not self.server.alive():
            self.server = self.pool.start(**self.kwargs)
        return self.server

    def check(self, test_name: str):
        server = self.server
        if server is not None and not server.alive():
            self.server = None
            self.pool.servers.remove(server)
            problem = server.stop()
            pytest.fail(f"{problem} [{test_name}]\n{server.describe()}", pytrace=False)


@pytest.fixture
def parley_factory(tmp_path):
    """`parley_factory(accounts=..., config={...})` starts a server stopped after the test."""
    pool = _ServerPool(tmp_path)
    yield pool.start
    pool.stop_all()


@pytest.fixture(scope="module")
def parley_module_pool(tmp_path_factory):
    """A pool of servers that live for the whole test module (see ServerSlot)."""
    pool = _ServerPool(tmp_path_factory.mktemp("parley"))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    """The module's shared server with the default accounts (a module that needs another set defines its own)."""
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    """The module's shared server for one test; a test that killed it fails with its stderr."""
    yield slot.acquire()
    slot.check(request.node.name)


# ---------------------------------------------------------------------------------------------------------------
# asyncio loop thread for slixmpp
# ---------------------------------------------------------------------------------------------------------------


class AsyncRunner:
    """An event loop in a daemon thread. `run(coro, timeout)` runs a coroutine there and returns its result."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="slixmpp-loop", daemon=True)
        self.clients: list[slixmpp.ClientXMPP] = []
        self.thread.start()

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro, timeout: float = 10.0):
        async def bounded():
            return await asyncio.wait_for(coro, timeout)

        future = asyncio.run_coroutine_threadsafe(bounded(), self.loop)
        try:
            return future.result(timeout + 5)
        except BaseException:
            future.cancel()
            raise

    def close(self):
        async def shutdown():
            for client in self.clients:
                await close_client(client)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()


@pytest.fixture
def aio():
    runner = AsyncRunner()
    yield runner
    runner.close()


# ---------------------------------------------------------------------------------------------------------------
# slixmpp clients
# ---------------------------------------------------------------------------------------------------------------


class InteropClient(slixmpp.ClientXMPP):
    """A slixmpp client that accepts the self-signed certificate and records what happens to it."""

    def __init__(self, jid: str, password: str, mechanism: str | None, direct_tls: bool):
        super().__init__(jid, password, sasl_mech=mechanism)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # STARTTLS only (the STARTTLS port), or XEP-0368 direct TLS only (the c2s_tls port); never plaintext.
        self.enable_direct_tls = direct_tls
        self.enable_starttls = not direct_tls
        self.enable_plaintext = False
        mechanisms = self.plugin["feature_mechanisms"]
        mechanisms.unencrypted_plain = False
        mechanisms.unencrypted_scram = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        loop = asyncio.get_running_loop()
        self.session_started: asyncio.Future = loop.create_future()
        self.auth_failures: list = []
        self.stream_errors: list = []
        self.disconnected_event = asyncio.Event()
        self.messages: asyncio.Queue = asyncio.Queue()
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("failed_auth", self._on_failed_auth)
        self.add_event_handler("failed_all_auth", lambda _: self._fail_start("all SASL mechanisms failed"))
        self.add_event_handler("no_auth", lambda _: self._fail_start("no acceptable SASL mechanism offered"))
        self.add_event_handler("stream_error", self._on_stream_error)
        self.add_event_handler("disconnected", self._on_disconnected)
        # Every <message/> (slixmpp's own 'message' event only fires for messages with a <body/>).
        self.register_handler(
            Callback("interop-messages", MatchXPath(f"{{{NS_CLIENT}}}message"), self.messages.put_nowait)
        )

    def _on_session_start(self, _):
        if not self.session_started.done():
            self.session_started.set_result(self.boundjid.full)

    def _on_failed_auth(self, stanza):
        self.auth_failures.append(stanza)
        self._fail_start(f"SASL failure: {stanza['condition']}")

    def _on_stream_error(self, error):
        self.stream_errors.append(error)
        self._fail_start(f"stream error: {error['condition']} {error['text']}")

    def _on_disconnected(self, reason):
        self.disconnected_event.set()
        self._fail_start(f"disconnected before the session started ({reason})")

    def _fail_start(self, why: str):
        if not self.session_started.done():
            self.session_started.set_exception(ConnectionError(why))

    @property
    def tls_version(self) -> str | None:
        sock = self.socket
        if isinstance(sock, (ssl.SSLObject, ssl.SSLSocket)):
            return sock.version()
        return None


async def connect_client(
    port: int,
    jid: str,
    password: str = "",
    mechanism: str | None = None,
    *,
    direct_tls: bool = False,
    timeout: float = 8.0,
    runner: AsyncRunner | None = None,
) -> InteropClient:
    """Connects, negotiates TLS + SASL + bind and waits for `session_start`. Raises ConnectionError on failure
    (the client is then returned in the exception's `client` attribute, already disconnected)."""
    client = InteropClient(jid, password, mechanism, direct_tls)
    if runner is not None:
        runner.clients.append(client)
    client.connect(HOST, port)
    try:
        await asyncio.wait_for(asyncio.shield(client.session_started), timeout)
    except (ConnectionError, asyncio.TimeoutError) as error:
        await close_client(client)
        wrapped = ConnectionError(f"{jid} via {HOST}:{port} ({mechanism or 'default'}): {error or 'timeout'}")
        wrapped.client = client  # type: ignore[attr-defined]
        raise wrapped from error
    if client.tls_version is None:
        await close_client(client)
        raise AssertionError(f"{jid}: session started without TLS")
    return client


async def close_client(client: slixmpp.ClientXMPP):
    client.cancel_connection_attempt()
    if client.transport is not None:
        try:
            await asyncio.wait_for(client.disconnect(wait=1.0), 3)
        except Exception:
            client.abort()
    client.cancel_connection_attempt()


async def ping(client: slixmpp.ClientXMPP, to: str = ANON_DOMAIN, timeout: float = 5.0):
    """Sends a ping IQ and returns the reply (raises IqError on an error reply)."""
    return await client.plugin["xep_0199"].send_ping(to, timeout=timeout)


def assert_still_served(server: ParleyServer, runner: AsyncRunner, client: InteropClient, context: str):
    """The server process is alive and the bystander `client`, bound before the bad input, still gets a ping
    result from the server."""
    server.assert_alive(f"after {context}")
    assert not client.disconnected_event.is_set(), (
        f"the bystander {client.boundjid} was disconnected after {context} "
        f"(stream errors: {[e['condition'] for e in client.stream_errors]})"
    )
    try:
        reply = runner.run(ping(client, ANON_DOMAIN, timeout=5.0), timeout=8.0)
    except (IqError, IqTimeout, asyncio.TimeoutError) as error:
        server.assert_alive(f"after {context}")
        pytest.fail(f"the bystander {client.boundjid} got no ping result after {context}: {error!r}")
    assert reply["type"] == "result", f"bystander ping after {context}: {reply}"
    server.assert_alive(f"after {context}")


# ---------------------------------------------------------------------------------------------------------------
# Raw sockets
# ---------------------------------------------------------------------------------------------------------------


def client_tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def stream_header(to: str = ANON_DOMAIN, *, xmlns: str = NS_CLIENT, stream_ns: str = NS_STREAMS, version="1.0",
                  declaration: bool = True) -> bytes:
    decl = "<?xml version='1.0'?>" if declaration else ""
    return (
        f"{decl}<stream:stream to='{to}' version='{version}' xml:lang='en' xmlns='{xmlns}' "
        f"xmlns:stream='{stream_ns}'>"
    ).encode()


class RawClosed(AssertionError):
    pass


class RawClient:
    """A byte-exact client. Everything the server sends is kept in `received` (for reports) and parsed into the
    top-level elements of the current stream (`elements`, a deque of ElementTree elements in Clark notation).
    `header` is the server's current `<stream:stream>` start tag; `stream_closed` is set on `</stream:stream>`;
    `eof` when the connection is closed."""

    def __init__(self, port: int, *, direct_tls: bool = False, timeout: float = 5.0):
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sent = bytearray()
        self.received = bytearray()
        self.eof = False
        self.eof_reason = ""
        self.elements: collections.deque = collections.deque()
        self.history: list[ET.Element] = []
        self.jid: str | None = None
        self._reset_parser()
        if direct_tls:
            self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=ANON_DOMAIN)
            self.sock.settimeout(timeout)

    # -- parsing ---------------------------------------------------------------------------------------------

    def _reset_parser(self):
        self._stream_start = len(getattr(self, "received", b""))
        self._parser = ET.XMLPullParser(("start", "end"))
        self._depth = 0
        self.header: ET.Element | None = None
        self.stream_closed = False
        self.parse_error: str | None = None

    def _feed(self, data: bytes):
        if self.parse_error is not None:
            return
        try:
            self._parser.feed(data)
            for event, element in self._parser.read_events():
                if event == "start":
                    self._depth += 1
                    if self._depth == 1:
                        self.header = element
                else:
                    if self._depth == 2:
                        self.elements.append(element)
                        self.history.append(element)
                        # keep the root's child list short (10,000-stanza floods)
                        if self.header is not None and len(self.header) and self.header[-1] is element:
                            self.header.remove(element)
                    elif self._depth == 1:
                        self.stream_closed = True
                    self._depth -= 1
        except ET.ParseError as error:
            self.parse_error = str(error)

    # -- I/O ---------------------------------------------------------------------------------------------------

    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode()
        self.sent += data
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError) as error:
            self._mark_eof(f"send failed: {error!r}")

    def _mark_eof(self, reason: str):
        if not self.eof:
            self.eof = True
            self.eof_reason = reason

    def _recv(self, timeout: float) -> bool:
        """Receives once (up to `timeout`). False on timeout or EOF."""
        if self.eof:
            return False
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0
        if not pending:
            readable, _, _ = select.select([self.sock], [], [], max(timeout, 0))
            if not readable:
                return False
        self.sock.settimeout(max(timeout, 0.05))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ssl.SSLWantReadError:
            return False
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError) as error:
            self._mark_eof(f"TLS closed: {error.__class__.__name__}")
            return False
        except (ConnectionResetError, ssl.SSLError, OSError) as error:
            self._mark_eof(f"{error!r}")
            return False
        if not data:
            self._mark_eof("TCP FIN")
            return False
        self.received += data
        self._feed(data)
        return True

    def poll(self, timeout: float = 0.0):
        """Reads whatever arrives within `timeout`."""
        deadline = time.monotonic() + timeout
        while self._recv(max(0.0, deadline - time.monotonic())):
            pass

    def transcript(self, limit: int = 3000) -> str:
        def clip(data: bytes) -> str:
            text = data.decode("utf-8", "replace")
            return text if len(text) <= limit else f"…({len(text) - limit} chars before)…" + text[-limit:]

        return (
            f"\n--- sent ({len(self.sent)} bytes) ---\n{clip(bytes(self.sent))}"
            f"\n--- received ({len(self.received)} bytes) ---\n{clip(bytes(self.received))}"
            f"\n--- connection: {'closed (' + self.eof_reason + ')' if self.eof else 'open'}"
            f"{'; server XML parse error: ' + self.parse_error if self.parse_error else ''}"
        )

    def next_element(self, timeout: float | None = None) -> ET.Element:
        """Waits for the next top-level element of the stream."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.elements:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no element from the server within the time limit{self.transcript()}")
            if not self._recv(remaining) and self.eof and not self.elements:
                raise RawClosed(f"the server closed the connection{self.transcript()}")
        return self.elements.popleft()

    def expect(self, tag: str, timeout: float | None = None) -> ET.Element:
        element = self.next_element(timeout)
        if element.tag != tag:
            raise AssertionError(f"expected {tag}, got {ET.tostring(element)!r}{self.transcript()}")
        return element

    def wait_for(self, predicate, timeout: float | None = None, what: str = "a matching element") -> ET.Element:
        """Skips elements until one satisfies `predicate`."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within the time limit{self.transcript()}")
            element = self.next_element(remaining)
            if predicate(element):
                return element

    def read_until_closed(self, timeout: float = 5.0) -> list[ET.Element]:
        """Reads until the server closes the TCP connection; returns the elements received meanwhile."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the server did not close the connection within {timeout} s{self.transcript()}")
            self._recv(remaining)
        elements = list(self.elements)
        self.elements.clear()
        return elements

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- stream errors -----------------------------------------------------------------------------------------

    def stream_error(self) -> tuple[str, str | None] | None:
        """(condition, text) of the first <stream:error> received in this stream, if any."""
        for element in self.history:
            if element.tag == q(NS_STREAMS, "error"):
                condition, text = None, None
                for child in element:
                    if child.tag == q(NS_STREAM_ERRORS, "text"):
                        text = child.text
                    elif child.tag.startswith("{" + NS_STREAM_ERRORS + "}") and condition is None:
                        condition = child.tag.split("}", 1)[1]
                return (condition or "(none)", text)
        return None

    def expect_stream_error(self, condition: str, timeout: float = 5.0, header_first: bool = True) -> str | None:
        """RFC 6120 §4.9: <stream:error><condition/></stream:error>, then </stream:stream>, then the TCP
        connection closes. Returns the error text."""
        try:
            self.read_until_closed(timeout)
        except AssertionError:
            # report what came, with the missing close as part of the message
            error = self.stream_error()
            raise AssertionError(
                f"expected stream error <{condition}/> and the connection closed within {timeout} s; "
                f"got stream error {error}{self.transcript()}"
            ) from None
        error = self.stream_error()
        if error is None and self.parse_error:
            # Name what the bytes say, to make the report precise.
            tail = bytes(self.received[self._stream_start:])
            found = re.search(rb"<(?:\w+:)?error[^>]*>\s*<([a-z-]+) xmlns=['\"]" + NS_STREAM_ERRORS.encode(), tail)
            header = re.search(rb"<(?:\w+:)?stream[\s>]", tail)
            raise AssertionError(
                f"expected stream error <{condition}/>; the server's bytes in this stream do not parse as an XML "
                f"stream ({self.parse_error})"
                + (f": it sent <stream:error><{found.group(1).decode()}/> " if found else "")
                + ("without first sending a <stream:stream> header for this stream (RFC 6120 §4.9.1.1, §5.4.3.3)"
                   if found and not header else "")
                + self.transcript()
            )
        assert error is not None, f"expected stream error <{condition}/>, got none{self.transcript()}"
        assert error[0] == condition, f"expected stream error <{condition}/>, got <{error[0]}/>{self.transcript()}"
        if header_first:
            assert self.header is not None and self.header.tag == q(NS_STREAMS, "stream"), (
                f"the server sent no <stream:stream> header before its stream error{self.transcript()}"
            )
        assert self.stream_closed, f"the server did not close its stream (</stream:stream>) after the error{self.transcript()}"
        return error[1]

    # -- negotiation ---------------------------------------------------------------------------------------------

    def open_stream(self, to: str = ANON_DOMAIN) -> ET.Element:
        """Sends a stream header and returns the server's <stream:features/>."""
        self._reset_parser()
        self.elements.clear()
        self.send(stream_header(to))
        return self.expect(q(NS_STREAMS, "features"))

    def starttls(self):
        self.send(f"<starttls xmlns='{NS_TLS}'/>")
        self.expect(q(NS_TLS, "proceed"))
        assert not self.elements, f"data after <proceed/>{self.transcript()}"
        self.sock.settimeout(self.timeout)
        self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=ANON_DOMAIN)
        self.sock.settimeout(self.timeout)
        self._reset_parser()

    def auth(self, mechanism: str, initial: str | None = None) -> ET.Element:
        """Sends <auth/>; returns the server's answer (<success/>, <failure/> or <challenge/>)."""
        body = "" if initial is None else initial
        self.send(f"<auth xmlns='{NS_SASL}' mechanism='{mechanism}'>{body}</auth>")
        return self.next_element()

    def bind(self, resource: str | None = None) -> str:
        inner = f"<resource>{resource}</resource>" if resource else ""
        self.send(f"<iq type='set' id='bind_1'><bind xmlns='{NS_BIND}'>{inner}</bind></iq>")
        reply = self.expect(q(NS_CLIENT, "iq"))
        assert reply.get("type") == "result" and reply.get("id") == "bind_1", (
            f"bind failed: {ET.tostring(reply)!r}{self.transcript()}"
        )
        jid = reply.findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}")
        assert jid, f"bind result without <jid/>{self.transcript()}"
        self.jid = jid
        return jid

    def ping_server(self, ident: str, to: str = ANON_DOMAIN) -> ET.Element:
        self.send(f"<iq type='get' id='{ident}' to='{to}'><ping xmlns='{NS_PING}'/></iq>")
        return self.wait_for(lambda e: e.get("id") == ident, what=f"reply to ping {ident}")


def raw_secured_client(port: int, domain: str = ANON_DOMAIN, timeout: float = 5.0) -> RawClient:
    """Plain TCP, stream header, <starttls/>, TLS (no verification), new stream header. Returns the client with
    the post-TLS features in `features`."""
    client = RawClient(port, timeout=timeout)
    features = client.open_stream(domain)
    assert features.find(q(NS_TLS, "starttls")) is not None, f"no <starttls/> offered{client.transcript()}"
    client.starttls()
    client.features = client.open_stream(domain)  # type: ignore[attr-defined]
    return client


def raw_bound_client(port: int, resource: str | None = None, timeout: float = 5.0) -> RawClient:
    """STARTTLS, SASL ANONYMOUS on meet.jitsi, stream restart, bind. `client.jid` is the bound full JID."""
    client = raw_secured_client(port, ANON_DOMAIN, timeout)
    answer = client.auth("ANONYMOUS")
    assert answer.tag == q(NS_SASL, "success"), f"ANONYMOUS refused: {ET.tostring(answer)!r}{client.transcript()}"
    features = client.open_stream(ANON_DOMAIN)
    assert features.find(q(NS_BIND, "bind")) is not None, f"no <bind/> after SASL{client.transcript()}"
    client.bind(resource)
    return client


def stanza_error(element: ET.Element) -> tuple[str | None, str | None]:
    """(error type, condition) of a stanza of type 'error'."""
    error = element.find(q(NS_CLIENT, "error"))
    if error is None:
        return (None, None)
    for child in error:
        if child.tag.startswith("{" + NS_STANZA_ERRORS + "}") and not child.tag.endswith("}text"):
            return (error.get("type"), child.tag.split("}", 1)[1])
    return (error.get("type"), None)


@pytest.fixture
def raw_clients():
    """Collects RawClients to close after the test: `raw_clients(client)` returns the client."""
    opened: list[RawClient] = []

    def track(client: RawClient) -> RawClient:
        opened.append(client)
        return client

    yield track
    for client in opened:
        client.close()


# ---------------------------------------------------------------------------------------------------------------
# Raw sockets on asyncio (hundreds of concurrent connections in one event loop)
# ---------------------------------------------------------------------------------------------------------------


class AsyncRawClient:
    """The asyncio twin of `RawClient`, for floods over many connections: exact bytes out, the server's bytes
    parsed into the top-level elements of the current stream (`elements`), everything kept for reports."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float = 5.0):
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.sent = bytearray()
        self.received = bytearray()
        self.elements: collections.deque = collections.deque()
        self.eof = False
        self.jid: str | None = None
        self._reset_parser()

    @classmethod
    async def connect(cls, port: int, timeout: float = 5.0) -> "AsyncRawClient":
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        return cls(reader, writer, timeout)

    def _reset_parser(self):
        self._parser = ET.XMLPullParser(("start", "end"))
        self._depth = 0
        self.header: ET.Element | None = None

    def _feed(self, data: bytes):
        self._parser.feed(data)
        for event, element in self._parser.read_events():
            if event == "start":
                self._depth += 1
                if self._depth == 1:
                    self.header = element
            else:
                if self._depth == 2:
                    self.elements.append(element)
                    if self.header is not None and len(self.header) and self.header[-1] is element:
                        self.header.remove(element)
                self._depth -= 1

    def send(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode()
        self.sent += data
        self.writer.write(data)

    def transcript(self, limit: int = 2000) -> str:
        def clip(data: bytes) -> str:
            text = data.decode("utf-8", "replace")
            return text if len(text) <= limit else f"…({len(text) - limit} chars before)…" + text[-limit:]

        return (
            f"\n--- sent ({len(self.sent)} bytes) ---\n{clip(bytes(self.sent))}"
            f"\n--- received ({len(self.received)} bytes) ---\n{clip(bytes(self.received))}"
            f"\n--- connection: {'closed' if self.eof else 'open'}"
        )

    async def next_element(self, timeout: float | None = None) -> ET.Element:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self.elements:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no element from the server within the time limit{self.transcript()}")
            if self.eof:
                raise RawClosed(f"the server closed the connection{self.transcript()}")
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except asyncio.TimeoutError:
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.eof = True
                continue
            self.received += data
            self._feed(data)
        return self.elements.popleft()

    async def wait_for(self, predicate, timeout: float | None = None, what: str = "a matching element") -> ET.Element:
        """Skips elements until one satisfies `predicate`."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within the time limit{self.transcript()}")
            element = await self.next_element(remaining)
            if predicate(element):
                return element

    async def expect(self, tag: str) -> ET.Element:
        element = await self.next_element()
        if element.tag != tag:
            raise AssertionError(f"expected {tag}, got {ET.tostring(element)!r}{self.transcript()}")
        return element

    async def open_stream(self, to: str = ANON_DOMAIN) -> ET.Element:
        self._reset_parser()
        self.elements.clear()
        self.send(stream_header(to))
        return await self.expect(q(NS_STREAMS, "features"))

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


async def async_raw_bound_client(port: int, timeout: float = 5.0) -> AsyncRawClient:
    """STARTTLS, SASL ANONYMOUS on meet.jitsi, stream restart, bind (server-made resource), on asyncio."""
    client = await AsyncRawClient.connect(port, timeout)
    try:
        await client.open_stream(ANON_DOMAIN)
        client.send(f"<starttls xmlns='{NS_TLS}'/>")
        await client.expect(q(NS_TLS, "proceed"))
        await client.writer.start_tls(client_tls_context(), server_hostname=ANON_DOMAIN)
        await client.open_stream(ANON_DOMAIN)
        client.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
        await client.expect(q(NS_SASL, "success"))
        await client.open_stream(ANON_DOMAIN)
        client.send(f"<iq type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>")
        reply = await client.expect(q(NS_CLIENT, "iq"))
        client.jid = reply.findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}")
        assert reply.get("type") == "result" and client.jid, f"bind failed{client.transcript()}"
    except BaseException:
        client.close()
        raise
    return client
