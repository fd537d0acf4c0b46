"""TURN credentials (XEP-0215 External Service Discovery) checked by a real TURN server: Debian's coturn.

A browser (lib-jitsi-meet's `strophe.jingle.js`) asks its host `<services xmlns='urn:xmpp:extdisco:2'/>` after
login and hands the STUN/TURN servers of the answer to its RTCPeerConnection. Parley makes the TURN passwords by
the TURN REST scheme (draft-uberti-behave-turn-rest-00, coturn's `use-auth-secret`) from a secret it shares with
coturn, as Prosody's `mod_external_services` does for docker-jitsi-meet. Here:

* coturn runs as a child process on 127.0.0.1 (UDP and TCP on one free port, `static-auth-secret`, no TLS);
* an anonymous client over STARTTLS asks Parley for the services (`extdisco:2`, and `extdisco:1` as the older
  clients' fallback) and sees both namespaces in the host's disco#info;
* coturn's own client, `turnutils_uclient`, allocates a relay with the username and password Parley handed out,
  over UDP and over TCP, and sends a message through it to coturn's echo peer and back;
* coturn refuses a credential made with another secret, one Parley handed out whose `ttl` has passed, and one
  made here with the right secret and an expiry in the past.

Skipped, with the reason, only when coturn is not installed (`Scripts/lib/ensure-deps.sh` installs it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import HOST, NS_CLIENT, NS_DISCO_INFO, q, raw_bound_client, stanza_error

NS_EXTDISCO = "urn:xmpp:extdisco:2"
NS_EXTDISCO_LEGACY = "urn:xmpp:extdisco:1"
SECRET = "parley-coturn-interop-secret"
REALM = "parley.test"
UCLIENT_TIMEOUT = 20.0
STARTUP_TIMEOUT = 10.0

TURNSERVER = shutil.which("turnserver")
UCLIENT = shutil.which("turnutils_uclient")
PEER = shutil.which("turnutils_peer")

pytestmark = pytest.mark.skipif(
    TURNSERVER is None or UCLIENT is None or PEER is None,
    reason="coturn is not installed (turnserver, turnutils_uclient, turnutils_peer): apt-get install coturn "
    "(Scripts/lib/ensure-deps.sh's ensure_test_deps does)",
)


# ---------------------------------------------------------------------------------------------------------------
# coturn
# ---------------------------------------------------------------------------------------------------------------


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((HOST, 0))
        return udp.getsockname()[1]


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def stun_binding_answered(port: int, timeout: float = 0.5) -> bool:
    """Whether a STUN Binding request (RFC 5389 §6: type 0x0001, no attributes) gets a success response."""
    transaction = os.urandom(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(request, (HOST, port))
        try:
            data, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return data[:2] == b"\x01\x01" and data[8:20] == transaction


class Coturn:
    """`turnserver` in the foreground, loopback only, REST-API secret, its log in the test's directory; and
    coturn's UDP echo peer (`turnutils_peer`), which the relayed test messages are sent to and come back from."""

    def __init__(self, workdir: Path):
        self.port = free_udp_and_tcp_port()
        self.log_path = workdir / "turnserver.log"
        args = [
            TURNSERVER, "-n",  # no configuration file: only these options
            f"--listening-ip={HOST}", f"--relay-ip={HOST}", f"--listening-port={self.port}",
            "--use-auth-secret", f"--static-auth-secret={SECRET}", f"--realm={REALM}",
            "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
            f"--log-file={self.log_path}", "--simple-log", "--no-stdout-log",
            f"--pidfile={workdir / 'turnserver.pid'}", f"--userdb={workdir / 'turndb'}",
        ]
        self.stderr = open(workdir / "turnserver.stderr", "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr)
        self.peer_port = free_udp_port()
        self.peer = subprocess.Popen(
            [PEER, "-L", HOST, "-p", str(self.peer_port)],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not stun_binding_answered(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"coturn did not answer STUN on {HOST}:{self.port}\n{self.log_tail()}", pytrace=False)

    def log_tail(self, limit: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return "(no coturn log)"

    def stop(self):
        for proc in (self.proc, self.peer):
            if proc.poll() is None:
                proc.terminate()  # these processes only, by their PIDs
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.stderr.close()


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    server = Coturn(tmp_path_factory.mktemp("coturn"))
    yield server
    server.stop()


def allocate(coturn: Coturn, username: str, password: str, tcp: bool = False) -> tuple[bool, str]:
    """Runs coturn's client: one allocation (no RTCP pair), one message through the relay to the echo peer and
    back. (success: allocated, and the message returned; the client's output)."""
    args = [UCLIENT, "-v", "-p", str(coturn.port), "-u", username, "-w", password, "-n", "1", "-m", "1", "-c",
            "-e", HOST, "-r", str(coturn.peer_port), HOST]
    if tcp:
        args.insert(1, "-t")
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=UCLIENT_TIMEOUT)
    except subprocess.TimeoutExpired as timeout:
        output = (timeout.stdout or b"") + (timeout.stderr or b"")
        return False, f"turnutils_uclient timed out\n{output.decode(errors='replace')[-2000:]}"
    output = (done.stdout + done.stderr).decode(errors="replace")
    relayed = "Received relay addr" in output and "tot_recv_msgs=1" in output
    return done.returncode == 0 and relayed, f"exit {done.returncode}\n{output[-2000:]}"


def rest_credential(secret: str, expiry: int) -> tuple[str, str]:
    """The TURN REST scheme computed independently: (expiry, base64(HMAC-SHA1(secret, expiry)))."""
    username = str(expiry)
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


# ---------------------------------------------------------------------------------------------------------------
# Parley
# ---------------------------------------------------------------------------------------------------------------


def parley_config(port: int, ttl: int = 600) -> str:
    return f"""external_services:
  secret: {SECRET}
  ttl: {ttl}
  services:
    - {{ type: stun, host: {HOST}, port: {port}, transport: udp }}
    - {{ type: turn, host: {HOST}, port: {port}, transport: udp, secret: true }}
    - {{ type: turn, host: {HOST}, port: {port}, transport: tcp, secret: true }}
"""


def ask_services(client, ident: str, namespace: str = NS_EXTDISCO, extra: str = "") -> ET.Element:
    client.send(f"<iq type='get' id='{ident}' to='meet.jitsi'><services xmlns='{namespace}'{extra}/></iq>")
    return client.wait_for(lambda e: e.get("id") == ident, what=f"reply to {ident}")


def turn_services(reply: ET.Element, namespace: str = NS_EXTDISCO) -> list[ET.Element]:
    assert reply.get("type") == "result", f"services: {ET.tostring(reply)!r}"
    services = reply.find(q(namespace, "services"))
    assert services is not None, f"no <services/> in {ET.tostring(reply)!r}"
    return [s for s in services.findall(q(namespace, "service")) if s.get("type") == "turn"]


def test_services_from_parley_allocate_relays_at_coturn(coturn, parley_factory, raw_clients):
    server = parley_factory(config=parley_config(coturn.port))
    client = raw_clients(raw_bound_client(server.c2s))

    client.send(f"<iq type='get' id='disco' to='meet.jitsi'><query xmlns='{NS_DISCO_INFO}'/></iq>")
    info = client.wait_for(lambda e: e.get("id") == "disco", what="disco#info reply")
    features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
    assert {NS_EXTDISCO, NS_EXTDISCO_LEGACY} <= features, f"features: {sorted(features)}"

    reply = ask_services(client, "ext2")
    services = reply.find(q(NS_EXTDISCO, "services"))
    assert services is not None
    kinds = [(s.get("type"), s.get("transport")) for s in services]
    assert kinds == [("stun", "udp"), ("turn", "udp"), ("turn", "tcp")], kinds
    stun = services[0]
    assert stun.get("username") is None and stun.get("restricted") is None and stun.get("port") == str(coturn.port)

    now = int(time.time())
    for service in turn_services(reply):
        username, password = service.get("username"), service.get("password")
        assert service.get("restricted") == "1" and service.get("host") == HOST
        assert username is not None and password is not None
        # The username is the expiry: now + ttl (600 s), and `expires` says the same in XEP-0082 form.
        assert abs(int(username) - (now + 600)) <= 5, username
        assert service.get("expires") == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(username)))
        ok, output = allocate(coturn, username, password, tcp=service.get("transport") == "tcp")
        assert ok, f"coturn refused Parley's {service.get('transport')} credential: {output}\n{coturn.log_tail()}"

    # The older namespace, which lib-jitsi-meet falls back to, hands out working credentials too.
    legacy = turn_services(ask_services(client, "ext1", NS_EXTDISCO_LEGACY), NS_EXTDISCO_LEGACY)
    assert len(legacy) == 2
    ok, output = allocate(coturn, legacy[0].get("username"), legacy[0].get("password"))
    assert ok, f"coturn refused the extdisco:1 credential: {output}"

    # A type filter (XEP-0215 §3.2).
    only_stun = ask_services(client, "stun", extra=" type='stun'").find(q(NS_EXTDISCO, "services"))
    assert only_stun is not None and [s.get("type") for s in only_stun] == ["stun"]


def test_errors_for_what_is_not_served(coturn, parley_factory, raw_clients):
    server = parley_factory(config=parley_config(coturn.port))
    client = raw_clients(raw_bound_client(server.c2s))
    cases = [
        ("unknown", f"<iq type='get' id='unknown' to='meet.jitsi'><push xmlns='{NS_EXTDISCO}'/></iq>",
         ("cancel", "feature-not-implemented")),
        ("set", f"<iq type='set' id='set' to='meet.jitsi'><services xmlns='{NS_EXTDISCO}'/></iq>",
         ("cancel", "service-unavailable")),
        ("nohost", f"<iq type='get' id='nohost' to='meet.jitsi'><credentials xmlns='{NS_EXTDISCO}'>"
         f"<service type='turn'/></credentials></iq>", ("modify", "bad-request")),
    ]
    for ident, xml, expected in cases:
        client.send(xml)
        reply = client.wait_for(lambda e: e.get("id") == ident, what=f"reply to {ident}")
        assert reply.get("type") == "error" and stanza_error(reply) == expected, ET.tostring(reply)
        error = reply.find(q(NS_CLIENT, "error"))
        assert error is not None and error.findtext("{urn:ietf:params:xml:ns:xmpp-stanzas}text"), "no <text/>"

    # XEP-0215 §3.3: credentials for a named service.
    client.send(f"<iq type='get' id='cred' to='meet.jitsi'><credentials xmlns='{NS_EXTDISCO}'>"
                f"<service type='turn' host='{HOST}' port='{coturn.port}'/></credentials></iq>")
    reply = client.wait_for(lambda e: e.get("id") == "cred", what="credentials reply")
    credentials = reply.find(q(NS_EXTDISCO, "credentials"))
    assert reply.get("type") == "result" and credentials is not None and len(credentials) == 2
    ok, output = allocate(coturn, credentials[0].get("username"), credentials[0].get("password"))
    assert ok, f"coturn refused the <credentials/> answer: {output}"


def test_coturn_refuses_a_wrong_secret_and_an_expired_credential(coturn, parley_factory, raw_clients):
    # The scheme itself, computed here: the right secret with a future expiry is accepted (so the refusals
    # below are about the secret and the time, not about the client)...
    username, password = rest_credential(SECRET, int(time.time()) + 600)
    ok, output = allocate(coturn, username, password)
    assert ok, f"coturn refused a credential made with its secret: {output}"
    # ...another secret is not;
    _, wrong = rest_credential("not-" + SECRET, int(username))
    ok, output = allocate(coturn, username, wrong)
    assert not ok, f"coturn accepted a credential made with another secret: {output}"
    # ...and neither is the right secret with an expiry in the past.
    expired_user, expired_password = rest_credential(SECRET, int(time.time()) - 60)
    ok, output = allocate(coturn, expired_user, expired_password)
    assert not ok, f"coturn accepted an expired credential: {output}"

    # Parley with a 1-second ttl: what it hands out stops working once that second has passed.
    server = parley_factory(config=parley_config(coturn.port, ttl=1))
    client = raw_clients(raw_bound_client(server.c2s))
    service = turn_services(ask_services(client, "short"))[0]
    expiry = int(service.get("username"))
    time.sleep(max(0.0, expiry + 1.5 - time.time()))
    ok, output = allocate(coturn, service.get("username"), service.get("password"))
    assert not ok, f"coturn accepted Parley's credential after its expiry ({expiry}): {output}"
