"""JWT login as Jitsi's `token` authentication does it (`mod_auth_token`, `token/util.lib.lua`): the browser puts
`?token=<jwt>` on its WebSocket or BOSH URL and logs in with SASL ANONYMOUS; a valid token gets a random JID, a bad
one `<failure><not-authorized/><text>reason</text></failure>`, and the server goes on serving everyone else.

Tokens are made here with PyJWT (HS256, the shared secret from the environment as docker's JWT_APP_SECRET). The
WebSocket clients are the PyPI `websockets` package; BOSH is `http.client`. Only 127.0.0.1 is contacted."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ANON_DOMAIN, NS_CLIENT, NS_SASL, ServerSlot, q
from webxmpp import (
    MUC_DOMAIN,
    PRESENCE,
    BoshClient,
    WSClient,
    assert_server_healthy,
    focus_factory,  # noqa: F401  (fixture)
    participant_join,
    show,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(60)

SECRET = "parley-interop-jwt-secret-0123456789abcdef"
SECRET_ENV = "PARLEY_TEST_JWT_APP_SECRET"
APP_ID = "parley_test_app"

CONFIG = f"""
hosts:
  - domain: {ANON_DOMAIN}
    authentication: token
    token:
      app_id: {APP_ID}
      app_secret_env: {SECRET_ENV}
      accepted_audiences: [jitsi]
  - domain: auth.meet.jitsi
    authentication: internal_hashed
"""


def make_token(secret: str = SECRET, algorithm: str = "HS256", **changes) -> str:
    now = int(time.time())
    claims = {"iss": APP_ID, "aud": "jitsi", "sub": ANON_DOMAIN, "room": "*", "nbf": now - 10, "exp": now + 600,
              "context": {"user": {"id": "u1", "name": "Alice", "moderator": True}}}
    for key, value in changes.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return jwt.encode(claims, secret if algorithm != "none" else None, algorithm=algorithm)


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    os.environ[SECRET_ENV] = SECRET  # the server inherits it, as docker passes JWT_APP_SECRET
    return ServerSlot(parley_module_pool, config=CONFIG)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


def ws_sasl_answer(client: WSClient) -> ET.Element:
    _, features = client.open()
    mechanisms = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
    assert mechanisms == ["ANONYMOUS"], f"a token host offers ANONYMOUS only: {mechanisms}{client.transcript()}"
    client.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
    return client.next_element()


def failure_of(answer: ET.Element) -> tuple[str, str]:
    assert answer.tag == q(NS_SASL, "failure"), f"expected a SASL failure, got {show(answer)}"
    condition = next((child.tag for child in answer if child.tag != q(NS_SASL, "text")), "")
    return condition, answer.findtext(q(NS_SASL, "text")) or ""


def test_valid_token_over_websocket(server, ws_clients):
    client = ws_clients(WSClient(server.ports["http"], f"room=retro&token={make_token()}"))
    client.login()
    user, _, resource = client.jid.partition("/")
    local, _, domain = user.partition("@")
    assert domain == ANON_DOMAIN and local and resource, client.jid
    # The session works: a ping to the host is answered.
    client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='p1' to='{ANON_DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
    reply = client.wait_for(lambda e: e.get("id") == "p1", what="the ping result")
    assert reply.get("type") == "result", show(reply)
    # Two logins with the same token are two random users.
    other = ws_clients(WSClient(server.ports["http"], f"token={make_token()}"))
    other.login()
    assert other.jid.partition("/")[0] != user


def test_valid_token_over_bosh(server):
    client = BoshClient(server.ports["http"], f"room=retro&token={make_token()}")
    try:
        jid = client.login()
        assert jid.partition("@")[2].startswith(ANON_DOMAIN + "/"), jid
    finally:
        client.close()


@pytest.mark.parametrize(
    "token, reason",
    [
        (lambda: make_token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200), "Not acceptable by exp"),
        (lambda: make_token(secret="not-the-secret-but-long-enough-0123456789"), "Invalid signature"),
        (lambda: make_token(algorithm="none"), "Invalid or incorrect alg"),
        (lambda: make_token(aud="someone-else"), "Invalid audience ('aud' claim)"),
        (lambda: make_token(iss="intruder"), "Invalid issuer ('iss' claim)"),
        (lambda: make_token(room=None), "'room' claim is missing"),
        (lambda: "A" * 20_000, "Token too large"),
        (lambda: None, "token required"),
    ],
    ids=["expired", "wrong-signature", "alg-none", "wrong-aud", "wrong-iss", "no-room", "garbage", "no-token"],
)
def test_bad_tokens_get_a_sasl_failure_with_the_reason(server, ws_clients, token, reason):
    value = token()
    query = "room=retro" + (f"&token={value}" if value is not None else "")
    client = ws_clients(WSClient(server.ports["http"], query))
    condition, text = failure_of(ws_sasl_answer(client))
    assert condition == q(NS_SASL, "not-authorized"), client.transcript()
    assert text == reason, client.transcript()
    # The stream stays open for another attempt (RFC 6120 §6.4.5), which fails the same way.
    client.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
    assert failure_of(client.next_element())[1] == reason
    # Others are still served.
    good = ws_clients(WSClient(server.ports["http"], f"token={make_token()}"))
    good.login()
    assert_server_healthy(server, f"after a {reason!r} refusal")


def test_100kb_of_garbage_never_reaches_sasl(server, ws_clients):
    # Past the HTTP request line limit: the upgrade itself is refused, cheaply; the server goes on.
    with pytest.raises(Exception) as raised:
        WSClient(server.ports["http"], "token=" + "A" * 100_000)
    assert "400" in str(raised.value)
    good = ws_clients(WSClient(server.ports["http"], f"token={make_token()}"))
    good.login()
    assert_server_healthy(server, "after 100 KB of garbage")


def test_the_log_names_reasons_never_tokens_or_the_secret(server, ws_clients):
    bad = make_token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    good = make_token()
    for token in (bad, good):
        client = ws_clients(WSClient(server.ports["http"], f"token={token}"))
        ws_sasl_answer(client)
    log = server.stderr_path.read_text(errors="replace")
    assert "Not acceptable by exp" in log
    for secret in (SECRET, bad, good, bad.split(".")[2], good.split(".")[2]):
        assert secret not in log


def test_bad_token_over_bosh(server):
    client = BoshClient(server.ports["http"], f"token={make_token(secret='wrong-secret-wrong-secret-wrong-secret')}")
    try:
        client.create()
        reply = client.request(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
        failure = next((c for c in reply.children if c.tag == q(NS_SASL, "failure")), None)
        assert failure is not None, f"{reply!r}{client.transcript()}"
        assert failure_of(failure) == (q(NS_SASL, "not-authorized"), "Invalid signature")
    finally:
        client.close()


def test_allow_empty_admits_token_less_users_only(parley_factory, ws_clients):
    os.environ[SECRET_ENV] = SECRET
    server = parley_factory(config=CONFIG.replace("accepted_audiences: [jitsi]", "allow_empty: true"))
    anonymous = ws_clients(WSClient(server.ports["http"], "room=retro"))
    anonymous.login()
    bad = ws_clients(WSClient(server.ports["http"], f"token={make_token(exp=int(time.time()) - 3600)}"))
    assert failure_of(ws_sasl_answer(bad))[1] == "Not acceptable by exp"


def test_the_room_claim_is_checked_at_join(server, ws_clients, focus_factory):
    room, other = unique_room("retro"), unique_room("other")
    focus = focus_factory(server)
    focus.create_room(room)
    focus.create_room(other)
    # A token for `room` (claims are compared in lower case) enters it ...
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}&token={make_token(room=room.upper())}"))
    alice.login()
    ws_join(alice, room, "Alice")
    # ... but not another room: cancel/not-allowed, "Room and token mismatched" (mod_token_verification).
    nick = alice.jid.split("@", 1)[0][:8]
    alice.send(participant_join(other, nick, "Alice"))
    error = alice.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "error", what="the join error")
    assert error.get("from") == f"{other}@{MUC_DOMAIN}/{nick}", show(error)
    condition = error.find(q(NS_CLIENT, "error"))
    assert condition is not None and condition.get("type") == "cancel", show(error)
    assert condition.find(q("urn:ietf:params:xml:ns:xmpp-stanzas", "not-allowed")) is not None, show(error)
    assert condition.findtext(q("urn:ietf:params:xml:ns:xmpp-stanzas", "text")) == "Room and token mismatched"
    # A room that does not exist yet is not created for it either.
    alice.send(participant_join(unique_room("fresh"), nick, "Alice"))
    error = alice.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "error", what="the create error")
    assert "mismatched" in (error.findtext(f"{q(NS_CLIENT, 'error')}/{q('urn:ietf:params:xml:ns:xmpp-stanzas', 'text')}") or "")
    # Nor another room's breakout rooms; its own room's pass the claim (this one is not listed, so it is invalid).
    uuid = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    for main, text in ((other, "Room and token mismatched"), (room, "Breakout room is invalid.")):
        alice.send(f"<presence xmlns='{NS_CLIENT}' id='bo-{main}' to='{main}_{uuid}@breakout.meet.jitsi/{nick}'>"
                   f"<x xmlns='http://jabber.org/protocol/muc'/></presence>")
        error = alice.wait_for(lambda e: e.tag == PRESENCE and e.get("id") == f"bo-{main}", what="the breakout answer")
        assert error.findtext(f"{q(NS_CLIENT, 'error')}/{q('urn:ietf:params:xml:ns:xmpp-stanzas', 'text')}") == text, \
            show(error)
    # room: '*' enters any room.
    bob = ws_clients(WSClient(server.ports["http"], f"room={other}&token={make_token(room='*')}"))
    bob.login()
    ws_join(bob, other, "Bob")


def test_presence_carries_the_tokens_identity(server, ws_clients, focus_factory):
    room = unique_room("identity")
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}&token={make_token()}"))
    alice.login()
    occupant, _ = ws_join(alice, room, "Alice")
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}&token={make_token(context={'group': 'g2'})}"))
    bob.login()
    ws_join(bob, room, "Bob")
    seen = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant, what="Alice's presence")
    identities = seen.findall(q(NS_CLIENT, "identity"))
    assert len(identities) == 1, show(seen, 3000)
    user = identities[0].find(q(NS_CLIENT, "user"))
    assert user is not None and user.findtext(q(NS_CLIENT, "name")) == "Alice", show(seen, 3000)
    assert user.findtext(q(NS_CLIENT, "moderator")) == "true" and user.findtext(q(NS_CLIENT, "id")) == "u1"


def test_a_token_moderator_enters_as_owner(server, ws_clients, focus_factory):
    """token_affiliation: context.user.moderator true makes the session an owner (a moderator) on entering."""
    room = unique_room("tokenmod")
    focus = focus_factory(server)
    focus.create_room(room)
    for moderator, expected in ((True, ("owner", "moderator")), (False, ("none", "participant"))):
        context = {"user": {"id": "u2", "name": "Mo", "moderator": moderator}}
        client = ws_clients(WSClient(server.ports["http"], f"room={room}&token={make_token(context=context)}"))
        client.login()
        occupant, _ = ws_join(client, room, "Mo")
        own = [e for e in client.history if e.tag == PRESENCE and e.get("from") == occupant and e.get("type") is None][-1]
        item = own.find(f"{q('http://jabber.org/protocol/muc#user', 'x')}/{q('http://jabber.org/protocol/muc#user', 'item')}")
        assert (item.get("affiliation"), item.get("role")) == expected, show(own)


def test_server_refuses_to_start_without_the_secret(parley_factory):
    saved = os.environ.pop(SECRET_ENV, None)
    try:
        with pytest.raises(BaseException) as raised:
            parley_factory(config=CONFIG)
        assert SECRET not in str(raised.value)
    finally:
        if saved is not None:
            os.environ[SECRET_ENV] = saved


# -- RS256 with keys from a key server (Jitsi's asap_key_server) ----------------------------------------------------


class KeyServer:
    """A key server on 127.0.0.1: `<base>/<hex sha256(kid)>.pem` for the kids it knows, 404 otherwise; counts the
    requests it gets."""

    def __init__(self, keys: dict[str, bytes]):
        files = {f"/keys/{hashlib.sha256(kid.encode()).hexdigest()}.pem": pem for kid, pem in keys.items()}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = files.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/keys"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public


def rs_config(url: str) -> str:
    return f"""
hosts:
  - domain: {ANON_DOMAIN}
    authentication: token
    token:
      app_id: {APP_ID}
      algorithm: RS256
      asap_key_server: {url}
  - domain: auth.meet.jitsi
    authentication: internal_hashed
"""


def rs_token(key, kid: str | None, **changes) -> str:
    now = int(time.time())
    claims = {"iss": APP_ID, "aud": "jitsi", "room": "*", "nbf": now - 10, "exp": now + 600}
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} if kid else None)


def test_rs256_keys_from_the_key_server(parley_factory, ws_clients):
    key, public = rsa_key()
    other, _ = rsa_key()
    keys = KeyServer({"parley/key-1": public})
    try:
        server = parley_factory(config=rs_config(keys.url))
        port = server.ports["http"]
        # A valid token: the key is fetched once, then served from the cache.
        for _ in range(2):
            client = ws_clients(WSClient(port, f"token={rs_token(key, 'parley/key-1')}"))
            client.login()
        assert keys.requests == [f"/keys/{hashlib.sha256(b'parley/key-1').hexdigest()}.pem"]
        cases = [
            (rs_token(key, "parley/unknown"), "could not obtain public key"),
            (rs_token(key, None), "'kid' claim is missing"),
            (rs_token(other, "parley/key-1"), "Invalid signature"),
            (make_token(), "Invalid or incorrect alg"),  # HS256 where RS256 is configured
        ]
        for token, reason in cases:
            client = ws_clients(WSClient(port, f"token={token}"))
            assert failure_of(ws_sasl_answer(client)) == (q(NS_SASL, "not-authorized"), reason), client.transcript()
        # Nothing is fetched for a token refused on its header.
        assert len(keys.requests) == 2
        assert_server_healthy(server, "after the key server refusals")
    finally:
        keys.close()


def test_a_silent_key_server_times_out_without_stalling_others(parley_factory, ws_clients):
    key, _ = rsa_key()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does) and never answers
    try:
        server = parley_factory(config=rs_config(f"http://127.0.0.1:{silent.getsockname()[1]}/keys"))
        waiting = ws_clients(WSClient(server.ports["http"], f"token={rs_token(key, 'k')}", timeout=10))
        waiting.open()
        started = time.monotonic()
        waiting.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
        # Meanwhile the server answers others at once (the fetch does not block its event loop).
        assert_server_healthy(server, "while a key fetch hangs")
        answer = waiting.next_element(timeout=9)
        assert failure_of(answer) == (q(NS_SASL, "not-authorized"), "could not obtain public key")
        assert 4 <= time.monotonic() - started <= 8
    finally:
        silent.close()


def test_a_refreshed_token_is_checked_again_on_resumption(server, ws_clients, focus_factory):
    """lib-jitsi-meet refreshes a token by reconnecting with the new one and `previd` (xmpp.ts `refreshToken`): the
    resumption succeeds only while the new token still covers the room the old one admitted."""
    from webxmpp import NS_SM

    room = unique_room("refresh")
    focus = focus_factory(server)
    focus.create_room(room)

    def joined_and_dropped() -> tuple[str, int]:
        client = ws_clients(WSClient(server.ports["http"], f"room={room}&token={make_token(room=room)}"))
        client.login()
        enabled = client.enable_sm()
        occupant, _ = ws_join(client, room, "Alice")
        focus.wait_presence(occupant, available=True)
        client.poll(0.2)
        handled = client.h_in
        client.abort()
        return enabled.get("id"), handled

    def resume(previd: str, handled: int, token: str) -> ET.Element:
        client = ws_clients(WSClient(server.ports["http"], f"room={room}&previd={previd}&token={token}"))
        client.authenticate_anonymous()
        client.send(f"<resume xmlns='{NS_SM}' previd='{previd}' h='{handled}'/>")
        return client.wait_for(lambda e: e.tag in (q(NS_SM, "resumed"), q(NS_SM, "failed")), what="the resume answer")

    # A token for another room: <failed/>, and the session is not taken over.
    previd, handled = joined_and_dropped()
    answer = resume(previd, handled, make_token(room=unique_room("elsewhere")))
    assert answer.tag == q(NS_SM, "failed"), f"a token for another room resumed the session: {show(answer)}"
    # The same room (or '*'): resumed.
    previd, handled = joined_and_dropped()
    answer = resume(previd, handled, make_token(room=room.upper()))
    assert answer.tag == q(NS_SM, "resumed"), f"the refreshed token for the same room was refused: {show(answer)}"
    previd, handled = joined_and_dropped()
    answer = resume(previd, handled, make_token(room="*"))
    assert answer.tag == q(NS_SM, "resumed"), show(answer)
    # An expired refreshed token never gets as far as <resume/>.
    previd, handled = joined_and_dropped()
    stale = make_token(room=room, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    client = ws_clients(WSClient(server.ports["http"], f"room={room}&previd={previd}&token={stale}"))
    _, features = client.open()
    client.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
    condition, text = failure_of(client.next_element())
    assert condition == q(NS_SASL, "not-authorized") and "exp" in text, (condition, text)
