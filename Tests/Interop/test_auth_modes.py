"""End to end, for each of docker-jitsi-meet's auth modes (issue 11.5): Parley started with docker's variables and no
configuration file, behind Debian's nginx configured as Jitsi's template with its `/<tenant>/` routes, with a focus
(Jicofo's part, emulated: it creates rooms and answers conference IQs), a bridge in the brewery, and two browsers,
one over WebSocket and one over BOSH, both on a tenant's URL (`/acme/xmpp-websocket`, `/acme/http-bind`).

* anonymous (docker's default): both browsers log in with SASL ANONYMOUS on meet.jitsi;
* internal with guests (`ENABLE_AUTH=1`, `AUTH_TYPE=internal`, `ENABLE_GUESTS=1`): meet.jitsi offers no ANONYMOUS;
  the account user logs in with SCRAM-SHA-1 (as Strophe prefers it), the guest anonymously on guest.meet.jitsi; the
  focus refuses the guest until the account user has started the conference, as Jicofo's XMPP authentication does;
* JWT (`ENABLE_AUTH=1`, `AUTH_TYPE=jwt`, `JWT_ENABLE_DOMAIN_VERIFICATION=1`): `?token=` made by PyJWT, the tenant
  in `sub`; a browser without a token is refused, and the token's identity reaches the other occupants.

In each: the conference IQ names the tenant's virtual room and reaches the focus as `[acme]room`; the browsers join
the virtual room, see each other and the focus, and exchange a groupchat message. The browsers are the PyPI
`websockets` client and `http.client`, speaking as lib-jitsi-meet does. Only 127.0.0.1 is contacted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import xml.etree.ElementTree as ET

import jwt
import pytest

from chromium_cdp import BrowserUnavailable, Nginx
from conftest import AUTH_DOMAIN, FOCUS_PASSWORD, JVB_PASSWORD, NS_BIND, NS_CLIENT, NS_SASL, NS_STREAMS, q, raw_secured_client
from test_jitsi_flow import BREWERY, conference_request, conference_result, jvb_stats_presence, strophe_id
from webxmpp import IQ, MESSAGE, NS_MUC_USER, PRESENCE, BoshClient, Focus, WSClient, participant_join, show

pytestmark = pytest.mark.timeout(90)

TENANT = "acme"
NS_FOCUS = "http://jitsi.org/protocol/focus"
SECRET = "parley-auth-modes-secret-0123456789abcdef"
USER, USER_PASSWORD = "alice", "correct horse battery"

SERVICE_ENV = {"JICOFO_AUTH_PASSWORD": FOCUS_PASSWORD, "JVB_AUTH_PASSWORD": JVB_PASSWORD}
MODES = {
    "anonymous": {},
    "internal": {"ENABLE_AUTH": "1", "AUTH_TYPE": "internal", "ENABLE_GUESTS": "1"},
    "jwt": {
        "ENABLE_AUTH": "1", "AUTH_TYPE": "jwt", "JWT_APP_ID": "parley_app", "JWT_APP_SECRET": SECRET,
        "JWT_ACCEPTED_AUDIENCES": "jitsi", "JWT_ENABLE_DOMAIN_VERIFICATION": "1",
    },
}


def virtual(room: str) -> str:
    return f"{room}@muc.{TENANT}.meet.jitsi"


def token(room: str, name: str) -> str:
    now = int(time.time())
    claims = {"iss": "parley_app", "aud": "jitsi", "sub": TENANT, "room": room, "nbf": now - 10, "exp": now + 600,
              "context": {"user": {"id": f"id-{name.lower()}", "name": name}}}
    return jwt.encode(claims, SECRET, algorithm="HS256")


class ScramSHA1:
    """The client side of SCRAM-SHA-1 (RFC 5802), as Strophe runs it."""

    def __init__(self, user: str, password: str):
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.bare = f"n={user},r={self.nonce}"

    def first(self) -> str:
        return base64.b64encode(f"n,,{self.bare}".encode()).decode()

    def final(self, challenge: str) -> str:
        server_first = base64.b64decode(challenge).decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        assert fields["r"].startswith(self.nonce), server_first
        salted = hashlib.pbkdf2_hmac("sha1", self.password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
        without_proof = f"c=biws,r={fields['r']}"
        message = f"{self.bare},{server_first},{without_proof}".encode()
        signature = hmac.new(hashlib.sha1(client_key).digest(), message, hashlib.sha1).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha1).digest()
        self.expected = base64.b64encode(hmac.new(server_key, message, hashlib.sha1).digest()).decode()
        return base64.b64encode(f"{without_proof},p={base64.b64encode(proof).decode()}".encode()).decode()


class Browser:
    """One browser's XMPP session through nginx on a tenant's URL, over WebSocket or BOSH, as lib-jitsi-meet makes
    it. Everything received is kept in `pending` until a `wait_for` takes it."""

    def __init__(self, name: str, transport: str, port: int, query: str):
        self.name, self.transport = name, transport
        self.pending: list[ET.Element] = []
        self.jid = ""
        if transport == "websocket":
            self.ws = WSClient(port, query, path=f"/{TENANT}/xmpp-websocket", timeout=8.0)
        else:
            self.bosh = BoshClient(port, query, path=f"/{TENANT}/http-bind", timeout=20.0)

    # -- the stream --------------------------------------------------------------------------------------------

    def open(self, domain: str) -> ET.Element:
        """The stream's opening (or BOSH's session creation); returns the features."""
        if self.transport == "websocket":
            return self.ws.open(domain)[1]
        created = self.bosh.create(wait=2, to=domain)
        features = created.body.find(q(NS_STREAMS, "features"))
        return features if features is not None else self.wait_for(lambda e: e.tag == q(NS_STREAMS, "features"),
                                                                   "the stream features")

    def restart(self, domain: str):
        if self.transport == "websocket":
            self.ws.open(domain)
        else:
            self._take(self.bosh.request(to=domain, xml__lang="en", xmpp__restart="true").children)
            self.wait_for(lambda e: e.tag == q(NS_STREAMS, "features"), "the features after the restart")

    def send(self, xml: str):
        if self.transport == "websocket":
            self.ws.send(xml)
        else:
            self._take(self.bosh.request(xml).children)

    def _take(self, elements):
        self.pending.extend(elements)

    def wait_for(self, predicate, what: str, timeout: float = 8.0) -> ET.Element:
        deadline = time.monotonic() + timeout
        while True:
            for index, element in enumerate(self.pending):
                if predicate(element):
                    return self.pending.pop(index)
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} ({self.transport}) got no {what}{self.transcript()}")
            if self.transport == "websocket":
                try:
                    self.pending.append(self.ws.next_element(timeout=max(0.1, deadline - time.monotonic())))
                except AssertionError:
                    pass
            else:
                reply = self.bosh.request()
                assert reply.status == 200 and reply.type != "terminate", f"{self.name}: BOSH ended: {reply!r}"
                self._take(reply.children)

    def transcript(self) -> str:
        return self.ws.transcript() if self.transport == "websocket" else self.bosh.transcript()

    def close(self):
        if self.transport == "websocket":
            self.ws.close()
        else:
            self.bosh.close()

    # -- login ---------------------------------------------------------------------------------------------------

    def sasl(self, domain: str, mechanism: str, user: str = "", password: str = "") -> ET.Element:
        """SASL on a fresh stream; returns <success/> or <failure/> (the mechanisms offered in `self.mechanisms`)."""
        features = self.open(domain)
        self.mechanisms = [m.text for m in features.iter(q(NS_SASL, "mechanism"))]
        is_sasl = lambda e: e.tag in (q(NS_SASL, n) for n in ("success", "failure", "challenge"))  # noqa: E731
        if mechanism == "ANONYMOUS":
            self.send(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>")
            return self.wait_for(is_sasl, "the SASL answer")
        scram = ScramSHA1(user, password)
        self.send(f"<auth xmlns='{NS_SASL}' mechanism='SCRAM-SHA-1'>{scram.first()}</auth>")
        challenge = self.wait_for(is_sasl, "the SCRAM challenge")
        if challenge.tag != q(NS_SASL, "challenge"):
            return challenge
        self.send(f"<response xmlns='{NS_SASL}'>{scram.final(challenge.text or '')}</response>")
        answer = self.wait_for(is_sasl, "the SCRAM outcome")
        if answer.tag == q(NS_SASL, "success"):
            assert base64.b64decode(answer.text or "").decode() == f"v={scram.expected}", "the server's signature"
        return answer

    def login(self, domain: str, mechanism: str = "ANONYMOUS", user: str = "", password: str = "") -> str:
        answer = self.sasl(domain, mechanism, user, password)
        assert answer.tag == q(NS_SASL, "success"), f"{self.name}: {mechanism} refused: {show(answer)}{self.transcript()}"
        self.restart(domain)
        self.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='bind_1'><bind xmlns='{NS_BIND}'/></iq>")
        bound = self.wait_for(lambda e: e.tag == IQ and e.get("id") == "bind_1", "the bind result")
        self.jid = bound.findtext(f"{q(NS_BIND, 'bind')}/{q(NS_BIND, 'jid')}") or ""
        assert bound.get("type") == "result" and self.jid, show(bound)
        return self.jid

    @property
    def nick(self) -> str:
        return self.jid.split("@", 1)[0][:8]

    def occupant(self, room: str) -> str:
        return f"{virtual(room)}/{self.nick}"

    # -- the conference --------------------------------------------------------------------------------------

    def conference_iq(self, room: str) -> tuple[str, str]:
        ident = strophe_id()
        stanza = conference_request(room, ident).replace(f"{room}@muc.meet.jitsi", virtual(room))
        self.send(stanza)
        return ident, stanza

    def conference_answer(self, ident: str) -> ET.Element:
        return self.wait_for(lambda e: e.tag == IQ and e.get("id") == ident, "the conference IQ's answer")

    def join(self, room: str, display: str):
        stanza = participant_join(room, self.nick, display).replace(f"{room}@muc.meet.jitsi", virtual(room))
        self.send(stanza)
        own = self.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == self.occupant(room), "the self-presence")
        assert own.get("type") is None, f"{self.name} could not join {virtual(room)}: {show(own)}{self.transcript()}"
        assert "110" in {s.get("code") for s in own.iter(q(NS_MUC_USER, "status"))}, show(own)


class Jicofo:
    """The focus's part, emulated: logged in as focus@auth.meet.jitsi over TCP, in the brewery with the bridge,
    creating the tenant's room and answering conference IQs (refusing guests, as Jicofo's XMPP authentication does,
    until an authenticated user started the conference)."""

    def __init__(self, server):
        self.focus = Focus(server)
        self.focus.send(f"<presence to='{BREWERY}/focus'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        self.focus.client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{BREWERY}/focus",
                                   what="focus in the brewery")
        self.rooms: set[str] = set()

    def wait_bridge(self, nick: str) -> ET.Element:
        return self.focus.wait_presence(f"{BREWERY}/{nick}", available=True)

    def answer(self, room: str, requester: Browser, guests_domain: str | None = None):
        """Takes `requester`'s conference IQ; it must name the real room. Creates the room for a non-guest."""
        request = self.focus.client.wait_for(
            lambda e: e.tag == IQ and e.get("from") == f"focus.meet.jitsi/{requester.jid}",
            what=f"{requester.name}'s conference IQ",
        )
        asked = request.find(q(NS_FOCUS, "conference")).get("room")
        assert asked == f"[{TENANT}]{room}@muc.meet.jitsi", f"Jicofo must get the real room: {show(request)}"
        real = f"[{TENANT}]{room}"
        guest = guests_domain is not None and requester.jid.split("@", 1)[1].startswith(guests_domain + "/")
        if real not in self.rooms and guest:
            self.focus.send(
                f"<iq type='error' to='{request.get('from')}' id='{request.get('id')}'><error type='cancel'>"
                f"<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            )
            return False
        if real not in self.rooms:
            self.focus.create_room(real)
            self.rooms.add(real)
        self.focus.send(conference_result(request, real))
        return True

    def close(self):
        self.focus.close()


@pytest.fixture
def deployment(parley_factory, tmp_path):
    """Starts Parley with a mode's docker variables, nginx in front, the focus and a bridge in the brewery."""
    made = []

    def start(mode: str, accounts=()):
        server = parley_factory(accounts=accounts, env={**SERVICE_ENV, **MODES[mode]})
        try:
            proxy = Nginx(tmp_path / mode, server.ports["http"])
        except BrowserUnavailable as error:
            pytest.fail(str(error), pytrace=False)
        jicofo = Jicofo(server)
        bridge = raw_secured_client(server.c2s, AUTH_DOMAIN)
        plain = base64.b64encode(f"\0jvb\0{JVB_PASSWORD}".encode()).decode()
        assert bridge.auth("PLAIN", plain).tag == q(NS_SASL, "success"), bridge.transcript()
        bridge.open_stream(AUTH_DOMAIN)
        bridge.bind("bridge")
        bridge.send(jvb_stats_presence("jvb-1"))
        stats = jicofo.wait_bridge("jvb-1")
        assert stats.find(q("http://jitsi.org/protocol/colibri", "stats")) is not None, show(stats)
        made.append((proxy, jicofo, bridge))
        return server, proxy, jicofo

    yield start
    for proxy, jicofo, bridge in made:
        bridge.close()
        jicofo.close()
        proxy.close()


def call(jicofo: Jicofo, alice: Browser, bob: Browser, room: str, guests_domain: str | None = None):
    """Both conference IQs answered, both browsers in the tenant's room, presences and a groupchat both ways."""
    for browser in (alice, bob):
        ident, _ = browser.conference_iq(room)
        assert jicofo.answer(room, browser, guests_domain)
        answer = browser.conference_answer(ident)
        conference = answer.find(q(NS_FOCUS, "conference"))
        assert answer.get("type") == "result" and answer.get("from") == "focus.meet.jitsi", show(answer)
        assert conference is not None and conference.get("room") == virtual(room), show(answer)
    alice.join(room, "Alice")
    bob.join(room, "Bob")
    for browser, other in ((alice, bob), (bob, alice)):
        browser.wait_for(lambda e, o=other: e.tag == PRESENCE and e.get("from") == o.occupant(room),
                         f"{other.name}'s presence")
        browser.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{virtual(room)}/focus",
                         "the focus's presence")
        jicofo.focus.wait_presence(f"[{TENANT}]{room}@muc.meet.jitsi/{browser.nick}", available=True)
    alice.send(f"<message xmlns='{NS_CLIENT}' to='{virtual(room)}' type='groupchat'><body>hi from alice</body></message>")
    bob.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == alice.occupant(room)
                 and e.findtext(q(NS_CLIENT, "body")) == "hi from alice", "alice's message")
    bob.send(f"<message xmlns='{NS_CLIENT}' to='{virtual(room)}' type='groupchat'><body>hi from bob</body></message>")
    alice.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == bob.occupant(room)
                   and e.findtext(q(NS_CLIENT, "body")) == "hi from bob", "bob's message")


def test_anonymous(deployment):
    server, proxy, jicofo = deployment("anonymous")
    room = "anonymousstandup"
    alice = Browser("alice", "websocket", proxy.port, f"room={room}")
    bob = Browser("bob", "bosh", proxy.port, f"room={room}")
    try:
        alice.login("meet.jitsi")
        bob.login("meet.jitsi")
        call(jicofo, alice, bob, room)
    finally:
        alice.close()
        bob.close()


def test_internal_with_guests(deployment):
    server, proxy, jicofo = deployment("internal", accounts=(f"{USER}@meet.jitsi:{USER_PASSWORD}",))
    room = "securestandup"
    alice = Browser("alice", "websocket", proxy.port, f"room={room}")
    bob = Browser("bob", "bosh", proxy.port, f"room={room}")
    intruder = Browser("intruder", "websocket", proxy.port, f"room={room}")
    try:
        # The secure domain takes accounts only; a wrong password is refused.
        refused = intruder.sasl("meet.jitsi", "ANONYMOUS")
        assert "ANONYMOUS" not in intruder.mechanisms and refused.tag == q(NS_SASL, "failure"), (
            f"meet.jitsi is the secure domain: {intruder.mechanisms} {show(refused)}"
        )
        wrong = Browser("wrong", "bosh", proxy.port, f"room={room}")
        answer = wrong.sasl("meet.jitsi", "SCRAM-SHA-1", USER, "wrong password")
        assert answer.tag == q(NS_SASL, "failure") and answer.find(q(NS_SASL, "not-authorized")) is not None, show(answer)
        wrong.close()

        # The guest comes first: Jicofo refuses a guest's conference until a user started it.
        bob.login("guest.meet.jitsi")
        assert bob.jid.split("@", 1)[1].startswith("guest.meet.jitsi/"), bob.jid
        ident, _ = bob.conference_iq(room)
        assert not jicofo.answer(room, bob, guests_domain="guest.meet.jitsi")
        early = bob.conference_answer(ident)
        assert early.get("type") == "error" and early.find(f".//{{urn:ietf:params:xml:ns:xmpp-stanzas}}not-authorized") is not None, show(early)

        alice.login("meet.jitsi", "SCRAM-SHA-1", USER, USER_PASSWORD)
        assert alice.jid.startswith(f"{USER}@meet.jitsi/"), alice.jid
        call(jicofo, alice, bob, room, guests_domain="guest.meet.jitsi")
    finally:
        for browser in (alice, bob, intruder):
            browser.close()


def test_jwt(deployment):
    server, proxy, jicofo = deployment("jwt")
    room = "tokenstandup"
    alice = Browser("alice", "websocket", proxy.port, f"room={room}&token={token(room, 'Alice')}")
    bob = Browser("bob", "bosh", proxy.port, f"room={room}&token={token(room, 'Bob')}")
    stranger = Browser("stranger", "bosh", proxy.port, f"room={room}")
    try:
        refused = stranger.sasl("meet.jitsi", "ANONYMOUS")
        assert refused.tag == q(NS_SASL, "failure"), f"no token, no login: {show(refused)}"
        alice.login("meet.jitsi")
        bob.login("meet.jitsi")
        call(jicofo, alice, bob, room)
        # mod_presence_identity: the token's user reaches the others.
        alice.send(f"<presence xmlns='{NS_CLIENT}' to='{alice.occupant(room)}'><status>again</status></presence>")
        seen = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == alice.occupant(room)
                            and e.findtext(q(NS_CLIENT, "status")) == "again", "alice's updated presence")
        identity = seen.find(q(NS_CLIENT, "identity"))
        assert identity is not None and identity.findtext(f"{q(NS_CLIENT, 'user')}/{q(NS_CLIENT, 'name')}") == "Alice", show(seen)
    finally:
        for browser in (alice, bob, stranger):
            browser.close()


# ------------------------------------------------------------------------------------------------------------------
# The same three modes with Debian's strophe.js in headless Chromium (lib-jitsi-meet's XMPP library)
# ------------------------------------------------------------------------------------------------------------------

from test_browser import chromium, children_of, pages, parse_stanza, wait_stanza  # noqa: E402,F401  (fixtures)


@pytest.mark.parametrize("mode", ["anonymous", "internal", "jwt"])
def test_strophe_in_chromium(deployment, pages, mode):
    """Strophe's own checks come on top: `sendIQ` accepts an answer only from the address it asked, so disco#info to
    the tenant's virtual MUC domain must come back from it; SCRAM-SHA-1 is Strophe's own."""
    server, proxy, jicofo = deployment(mode, accounts=(f"{USER}@meet.jitsi:{USER_PASSWORD}",) if mode == "internal" else ())
    room = f"strophe{mode}"
    people = []
    for name, transport in (("Alice", "websocket"), ("Bob", "bosh")):
        query = f"room={room}" + (f"&token={token(room, name)}" if mode == "jwt" else "")
        scheme, path = ("ws", "xmpp-websocket") if transport == "websocket" else ("http", "http-bind")
        service = f"{scheme}://127.0.0.1:{proxy.port}/{TENANT}/{path}?{query}"
        options: dict = {"streamManagement": True}
        domain = "meet.jitsi"
        if mode == "internal" and name == "Alice":
            options.update(jid=f"{USER}@meet.jitsi", password=USER_PASSWORD)
        elif mode == "internal":
            domain = "guest.meet.jitsi"
        page = pages(name)
        page.open(f"{proxy.origin}/browser/index.html")
        jid = page.harness("connect", service, domain, options)
        assert jid and "@" in jid, f"{name} over {transport} ({mode}): {jid!r}{page.report()}"
        people.append((page, jid, name))

    for index, (page, jid, name) in enumerate(people):
        conference = children_of(conference_request(room, "unused").replace(f"{room}@muc.meet.jitsi", virtual(room)))
        page.evaluate(f"window.conferenceIq = Harness.sendIq('focus.meet.jitsi', 'set', {json.dumps(conference)}); true")
        requester = Browser.__new__(Browser)
        requester.name, requester.jid = name, jid
        assert jicofo.answer(room, requester)
        answer = page.evaluate("window.conferenceIq")
        assert answer["outcome"] == "result", f"{name}: {answer}{page.report()}"
        assert f'room="{virtual(room)}"' in answer["reply"] or f"room='{virtual(room)}'" in answer["reply"], answer

    occupants = []
    for page, jid, name in people:
        occupant = f"{virtual(room)}/{jid.split('@', 1)[0][:8]}"
        join = participant_join(room, jid.split("@", 1)[0][:8], name).replace(f"{room}@muc.meet.jitsi", virtual(room))
        own = parse_stanza(page.harness("join", occupant, children_of(join)))
        assert own.get("from") == occupant, show(own)
        occupants.append(occupant)
    for (page, _, name), other in ((people[0], occupants[1]), (people[1], occupants[0])):
        wait_stanza(page, lambda e, o=other: e.tag == PRESENCE and e.get("from") == o and e.get("type") is None,
                    f"{name}: the other's presence")
    people[0][0].harness("groupchat", virtual(room), "strophe says hi")
    wait_stanza(people[1][0], lambda e: e.tag == MESSAGE and e.get("from") == occupants[0]
                and e.findtext(q(NS_CLIENT, "body")) == "strophe says hi", "the groupchat")
    disco = people[1][0].harness("sendIq", f"muc.{TENANT}.meet.jitsi", "get",
                                 [{"name": "query", "attrs": {"xmlns": "http://jabber.org/protocol/disco#info"}}])
    assert disco["outcome"] == "result", f"Strophe did not take the disco#info answer: {disco}{people[1][0].report()}"
