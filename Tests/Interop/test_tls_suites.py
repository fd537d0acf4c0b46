"""TLS 1.2 offers only ECDHE with AEAD suites; TLS 1.3 is unchanged (Python's ssl module, i.e. OpenSSL as a client).

Each TLS 1.2 suite this client's OpenSSL knows is offered alone, on STARTTLS (RFC 6120 §5) and on direct TLS
(XEP-0368); the server must accept exactly the ECDHE + AES-GCM / ChaCha20-Poly1305 ones among them. CBC suites
are what testssl.sh flags as LUCKY13 (Scripts/tls-grade runs testssl.sh itself; it takes minutes)."""

from __future__ import annotations

import socket
import ssl

import pytest

from conftest import ANON_DOMAIN, DEFAULT_ACCOUNTS, HOST, NS_TLS, RawClient, ServerSlot, q

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    server = slot.acquire()
    yield server
    slot.check(request.node.name)


def tls12_context(cipher: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(cipher)
    return context


def handshake_starttls(port: int, context: ssl.SSLContext) -> str | None:
    """The suite negotiated after <starttls/>, or None when the handshake fails."""
    client = RawClient(port)
    try:
        client.open_stream(ANON_DOMAIN)
        client.send(f"<starttls xmlns='{NS_TLS}'/>")
        client.expect(q(NS_TLS, "proceed"))
        try:
            tls = context.wrap_socket(client.sock, server_hostname=ANON_DOMAIN)
        except (ssl.SSLError, OSError):
            return None
        client.sock = tls
        return tls.cipher()[0]
    finally:
        client.close()


def handshake_direct(port: int, context: ssl.SSLContext) -> str | None:
    raw = socket.create_connection((HOST, port), timeout=5)
    try:
        tls = context.wrap_socket(raw, server_hostname=ANON_DOMAIN)
    except (ssl.SSLError, OSError):
        raw.close()
        return None
    suite = tls.cipher()[0]
    tls.close()
    return suite


def tls12_suites() -> list[str]:
    """Every TLS 1.2 suite with a key exchange this client can do against an EC or RSA certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:@SECLEVEL=0")
    names = [c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2" or c["protocol"] == "TLSv1.0"]
    return sorted({n for n in names if not n.startswith(("PSK", "SRP", "DHE-PSK", "RSA-PSK", "ECDHE-PSK", "ADH", "AECDH"))})


def is_aead_ecdhe(name: str) -> bool:
    return name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20-POLY1305" in name)


@pytest.mark.parametrize("transport", ["starttls", "direct"])
def test_tls12_accepts_exactly_the_ecdhe_aead_suites(server, transport):
    handshake = handshake_starttls if transport == "starttls" else handshake_direct
    port = server.c2s if transport == "starttls" else server.c2s_tls
    suites = tls12_suites()
    assert any(not is_aead_ecdhe(s) for s in suites), f"this client knows no CBC suite to try: {suites}"
    accepted, refused = [], []
    for suite in suites:
        try:
            context = tls12_context(suite + ":@SECLEVEL=0")
        except ssl.SSLError:
            continue  # not usable by this client at all
        (accepted if handshake(port, context) == suite else refused).append(suite)
    wrong = [s for s in accepted if not is_aead_ecdhe(s)]
    assert not wrong, f"TLS 1.2 suites that must be refused were accepted: {wrong}"
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" in accepted or "ECDHE-RSA-AES128-GCM-SHA256" in accepted, accepted
    assert any("CHACHA20" in s for s in accepted), accepted


def test_tls13_still_negotiates_its_suites(server):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    raw = socket.create_connection((HOST, server.c2s_tls), timeout=5)
    tls = context.wrap_socket(raw, server_hostname=ANON_DOMAIN)
    try:
        assert tls.version() == "TLSv1.3"
        assert tls.cipher()[0] == "TLS_AES_128_GCM_SHA256"
    finally:
        tls.close()
