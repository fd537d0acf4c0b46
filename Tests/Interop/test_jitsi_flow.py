"""The Jitsi Meet end-to-end signalling flow through Parley's MUC and focus proxy, with independent clients that
play the parts: a bridge (jvb account), Jicofo (focus account, resource `focus`) and anonymous browsers, all
slixmpp over STARTTLS, sending Jitsi's own stanzas (Tests/Fixtures/jitsi) as raw XML and checking what arrives
as parsed XML (slixmpp's MUC plugin is not used: it would hide ids, status codes and relayed children). The
1,000-join flood uses raw asyncio sockets.

Spec: XEP-0045 (MUC), /work/shared/reference/jitsi-requirements.md §3 (stanza sequences) and §4 (MUC behaviours
Jitsi relies on). One server for the module (the Jitsi preset, accounts focus@ and jvb@auth.meet.jitsi); a test
that kills it fails with its stderr and the next test gets a new one."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pytest
from slixmpp.xmlstream import tostring
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from conftest import (
    ANON_DOMAIN,
    DEFAULT_ACCOUNTS,
    FOCUS_JID,
    FOCUS_PASSWORD,
    JVB_JID,
    JVB_PASSWORD,
    NS_CLIENT,
    NS_DISCO_INFO,
    NS_DISCO_ITEMS,
    NS_PING,
    ServerSlot,
    async_raw_bound_client,
    connect_client,
    fixture_stanza,
    q,
    stanza_error,
)

pytestmark = pytest.mark.timeout(30)

MUC_DOMAIN = "muc.meet.jitsi"
INTERNAL_MUC_DOMAIN = "internal-muc.meet.jitsi"
FOCUS_PROXY = "focus.meet.jitsi"
BREWERY = f"jvbbrewery@{INTERNAL_MUC_DOMAIN}"
FOCUS_FULL = f"{FOCUS_JID}/focus"

NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_DATA = "jabber:x:data"
NS_FOCUS = "http://jitsi.org/protocol/focus"
NS_COLIBRI = "http://jitsi.org/protocol/colibri"
NS_COLIBRI2 = "jitsi:colibri2"
NS_JINGLE = "urn:xmpp:jingle:1"
NS_CAPS = "http://jabber.org/protocol/caps"

PRESENCE = q(NS_CLIENT, "presence")
MESSAGE = q(NS_CLIENT, "message")
IQ = q(NS_CLIENT, "iq")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RESTRICTED_TEXT = "Room creation is restricted"


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    yield slot.acquire()
    slot.check(request.node.name)


# ----------------------------------------------------------------------------------------------------------------
# Stanza text and trees
# ----------------------------------------------------------------------------------------------------------------


def attr_text(value: str) -> str:
    """An attribute value, quoted; control characters as character references (XML attribute-value
    normalisation would turn a literal newline or tab into a space)."""
    return '"' + escape(value, {'"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"}) + '"'


def with_attrs(stanza: str, **attrs) -> str:
    """Sets (or, with None, removes) attributes of the root element of `stanza` (`id_` for `id`)."""
    end = stanza.index(">")
    cut = end - 1 if stanza[end - 1] == "/" else end
    head, rest = stanza[:cut], stanza[cut:]
    for name, value in attrs.items():
        name = name.rstrip("_")
        head = re.sub(rf"""\s{name}=(["'])[^"']*\1""", "", head, count=1)
        if value is not None:
            head += f" {name}={attr_text(value)}"
    return head + rest


def without_child(stanza: str, pattern: str) -> str:
    result, n = re.subn(pattern, "", stanza, count=1)
    assert n == 1, f"{pattern} not in {stanza[:200]}"
    return result


def tree(element: ET.Element):
    """A comparable form of an element: tag, attributes, text of leaves, children in order."""
    text = (element.text or "").strip() if len(element) else (element.text or "")
    return (element.tag, tuple(sorted(element.attrib.items())), text, tuple(tree(c) for c in element))


def show(element: ET.Element | None, limit: int = 1500) -> str:
    if element is None:
        return "(none)"
    text = tostring(element)
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit} chars)"


def relayed_children(presence: ET.Element):
    """A presence's children other than the MUC `<x/>` elements, as trees."""
    return [tree(c) for c in presence if c.tag not in (q(NS_MUC, "x"), q(NS_MUC_USER, "x"))]


def muc_user(presence: ET.Element) -> ET.Element | None:
    return presence.find(q(NS_MUC_USER, "x"))


def status_codes(presence: ET.Element) -> set[str]:
    x = muc_user(presence)
    return set() if x is None else {s.get("code") for s in x.findall(q(NS_MUC_USER, "status"))}


def muc_item(presence: ET.Element) -> ET.Element:
    x = muc_user(presence)
    item = None if x is None else x.find(q(NS_MUC_USER, "item"))
    assert item is not None, f"no <x xmlns='{NS_MUC_USER}'><item/></x> in {show(presence)}"
    return item


def error_text(element: ET.Element) -> str | None:
    error = element.find(q(NS_CLIENT, "error"))
    return None if error is None else error.findtext("{urn:ietf:params:xml:ns:xmpp-stanzas}text")


def form_fields(element: ET.Element) -> dict[str, ET.Element]:
    form = element.find(f".//{q(NS_DATA, 'x')}")
    assert form is not None, f"no data form in {show(element)}"
    return {f.get("var"): f for f in form.findall(q(NS_DATA, "field")) if f.get("var")}


def field_values(element: ET.Element) -> list[str]:
    return [v.text or "" for v in element.findall(q(NS_DATA, "value"))]


def room_jid(room: str) -> str:
    return f"{room}@{MUC_DOMAIN}"


# ----------------------------------------------------------------------------------------------------------------
# Jitsi stanzas (fixtures, re-addressed)
# ----------------------------------------------------------------------------------------------------------------


def conference_request(room: str, ident: str) -> str:
    stanza = fixture_stanza("conference-iq-request.xml").replace("weeklysync@muc.meet.jitsi", room_jid(room))
    return with_attrs(stanza, id_=ident)


def conference_result(request: ET.Element, room: str) -> str:
    stanza = fixture_stanza("conference-iq-result.xml").replace("weeklysync@muc.meet.jitsi", room_jid(room))
    return with_attrs(stanza, to=request.get("from"), id_=request.get("id"))


def participant_join(room: str, nick: str, display: str, ident: str | None = None, password: str | None = None) -> str:
    stanza = fixture_stanza("participant-join-presence.xml")
    stanza = stanza.replace("3f9a1c7e", nick).replace("Rosalind-mQZ", f"{display}-stats")
    stanza = stanza.replace("Alice Example", display).replace("alice@example.org", f"{display.lower()}@example.org")
    if password is not None:
        muc = f'<x xmlns="{NS_MUC}"/>'
        stanza = stanza.replace(muc, f'<x xmlns="{NS_MUC}"><password>{escape(password)}</password></x>')
    return with_attrs(stanza, to=f"{room_jid(room)}/{nick}", id_=ident)


def focus_join(target: str) -> str:
    return with_attrs(fixture_stanza("focus-join-presence.xml"), to=target)


def jvb_stats_presence(nick: str, stress: str | None = None) -> str:
    stanza = with_attrs(fixture_stanza("jvb-brewery-presence.xml"), to=f"{BREWERY}/{nick}")
    if stress is not None:
        stanza = stanza.replace('name="stress_level" value="0.0234"', f'name="stress_level" value="{stress}"')
    return stanza


def owner_get(target: str, ident: str) -> str:
    return f"<iq type='get' id='{ident}' to='{target}'><query xmlns='{NS_MUC_OWNER}'/></iq>"


def owner_submit(target: str, ident: str, fields: dict[str, str]) -> str:
    body = "".join(
        f"<field var={attr_text(var)}><value>{escape(value)}</value></field>" for var, value in fields.items()
    )
    return (
        f"<iq type='set' id='{ident}' to='{target}'><query xmlns='{NS_MUC_OWNER}'><x xmlns='{NS_DATA}' type='submit'>"
        f"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>{body}"
        f"</x></query></iq>"
    )


def admin_set(target: str, ident: str, item: str) -> str:
    return f"<iq type='set' id='{ident}' to='{target}'><query xmlns='{NS_MUC_ADMIN}'>{item}</query></iq>"


def disco_info(target: str, ident: str) -> str:
    return f"<iq type='get' id='{ident}' to='{target}'><query xmlns='{NS_DISCO_INFO}'/></iq>"


def strophe_id() -> str:
    return f"{uuid.uuid4()}:sendIQ"


# ----------------------------------------------------------------------------------------------------------------
# Peers: slixmpp clients whose every incoming stanza is recorded
# ----------------------------------------------------------------------------------------------------------------


class Peer:
    """A connected slixmpp client. Every presence, message and IQ it receives is kept (as the parsed XML tree)
    in arrival order; `take` removes and returns the first one matching a predicate, waiting if needed. Since
    every IQ is handled here, slixmpp sends no automatic error for IQs: the tests answer them."""

    def __init__(self, client, name: str):
        self.client = client
        self.name = name
        self.jid: str = client.boundjid.full
        self.pending: list[ET.Element] = []
        self.log: list[ET.Element] = []
        self.sent: list[str] = []
        self._arrived = asyncio.Event()
        for kind in ("presence", "message", "iq"):
            client.register_handler(Callback(f"peer-{kind}", MatchXPath(f"{{{NS_CLIENT}}}{kind}"), self._record))

    @property
    def user(self) -> str:
        return self.client.boundjid.user

    @property
    def bare(self) -> str:
        return self.client.boundjid.bare

    def _record(self, stanza):
        self.pending.append(stanza.xml)
        self.log.append(stanza.xml)
        self._arrived.set()

    def send(self, xml: str):
        self.sent.append(xml)
        self.client.send_raw(xml)

    def report(self, last: int = 12) -> str:
        sent = "\n".join(s if len(s) < 600 else s[:600] + "…" for s in self.sent[-4:])
        got = "\n".join(show(e, 600) for e in self.log[-last:])
        return (
            f"\n--- {self.name} ({self.jid}) last sent ---\n{sent}"
            f"\n--- {self.name} last received ---\n{got or '(nothing)'}"
        )

    async def take(self, predicate, what: str, timeout: float = 5.0) -> ET.Element:
        deadline = time.monotonic() + timeout
        while True:
            for index, element in enumerate(self.pending):
                if predicate(element):
                    del self.pending[index]
                    return element
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name} got no {what} within {timeout} s{self.report()}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def none_of(self, predicate, what: str, seconds: float = 0.3):
        await asyncio.sleep(seconds)
        found = [e for e in self.pending if predicate(e)]
        assert not found, f"{self.name} got {what}: {show(found[0])}{self.report()}"

    async def iq(self, xml: str, what: str = "", timeout: float = 5.0) -> ET.Element:
        """Sends an IQ and returns the result or error carrying its id."""
        ident = ET.fromstring(xml).get("id")
        self.send(xml)
        return await self.take(
            lambda e: e.tag == IQ and e.get("id") == ident and e.get("type") in ("result", "error"),
            f"reply to IQ {ident} {what}",
            timeout,
        )

    async def expect_result(self, xml: str, what: str) -> ET.Element:
        reply = await self.iq(xml, what)
        assert reply.get("type") == "result", f"{what}: expected a result, got {show(reply)}{self.report()}"
        return reply

    async def expect_error(self, xml: str, condition: str | tuple, what: str, error_type: str | None = None):
        reply = await self.iq(xml, what)
        conditions = (condition,) if isinstance(condition, str) else condition
        kind, got = stanza_error(reply)
        assert reply.get("type") == "error" and got in conditions, (
            f"{what}: expected an IQ error {conditions}, got {show(reply)}{self.report()}"
        )
        if error_type is not None:
            assert kind == error_type, f"{what}: error type {kind!r}, XEP-0045 says {error_type!r}: {show(reply)}"
        return reply

    async def presence_from(self, jid: str, what: str, available: bool | None = True, timeout: float = 5.0, where=None):
        def match(e):
            if e.tag != PRESENCE or e.get("from") != jid or (where is not None and not where(e)):
                return False
            kind = e.get("type")
            if available is None:
                return kind in (None, "unavailable")
            return kind is None if available else kind == "unavailable"

        return await self.take(match, what, timeout)

    async def join_error(self, occupant: str, ident: str, what: str) -> ET.Element:
        """The presence error answering a join (XEP-0045 §7.2.6ff; Smack matches it by id, jitsi §4.5)."""
        return await self.take(
            lambda e: e.tag == PRESENCE and e.get("type") == "error" and e.get("id") == ident,
            f"presence error for {what} (id {ident}, to {occupant!r})",
        )


def is_conference_iq_from(browser: Peer):
    proxied = f"{FOCUS_PROXY}/{browser.jid}"
    return lambda e: (
        e.tag == IQ
        and e.get("type") == "set"
        and e.get("from") == proxied
        and e.find(q(NS_FOCUS, "conference")) is not None
    )


def is_jingle(e: ET.Element) -> bool:
    return e.tag == IQ and e.find(q(NS_JINGLE, "jingle")) is not None


def is_groupchat_from(sender: str, body: str):
    return lambda e: e.tag == MESSAGE and e.get("from") == sender and e.get("type") == "groupchat" and e.findtext(
        q(NS_CLIENT, "body")
    ) == body


async def login_focus(aio, server) -> Peer:
    client = await connect_client(server.c2s, FOCUS_FULL, FOCUS_PASSWORD, "SCRAM-SHA-1", runner=aio)
    assert client.plugin["feature_mechanisms"].mech.name == "SCRAM-SHA-1"
    assert client.boundjid.full == FOCUS_FULL
    peer = Peer(client, "focus")
    # Jicofo's initial presence with its caps (jitsi §3.2.1).
    peer.send(
        f"<presence><c xmlns='{NS_CAPS}' hash='sha-1' node='http://jitsi.org/jicofo' "
        f"ver='v3Xm0bq7Q8ZfA2cRkN1sE9yTgWo='/></presence>"
    )
    return peer


async def login_browser(aio, server, name: str) -> Peer:
    client = await connect_client(server.c2s, ANON_DOMAIN, "", "ANONYMOUS", runner=aio)
    return Peer(client, name)


def nick_of(browser: Peer) -> str:
    """lib-jitsi-meet's nick: the first 8 characters of the anonymous username."""
    return browser.user[:8]


async def focus_creates(focus: Peer, room: str, ident: str = "Jv4Qx-214", extra_fields: dict | None = None):
    """Jicofo joins as `focus` (creating the room), reads the owner form and submits whois=anyone (jitsi §3.2,
    §4.2). Returns (self-presence, owner form reply)."""
    target = room_jid(room)
    focus.send(with_attrs(focus_join(f"{target}/focus"), id_=ident))
    own = await focus.presence_from(f"{target}/focus", f"self-presence in {target}")
    assert {"110", "201"} <= status_codes(own), (
        f"focus creating {target}: expected 110+201: {show(own)}{focus.report()}"
    )
    item = muc_item(own)
    assert (item.get("affiliation"), item.get("role")) == ("owner", "moderator"), show(own)
    await focus.take(
        lambda e: e.tag == MESSAGE and e.get("from") == target and e.find(q(NS_CLIENT, "subject")) is not None,
        f"subject message of {target}",
    )
    form = await focus.expect_result(owner_get(target, f"{ident}-form"), f"owner form of {target}")
    fields = {"muc#roomconfig_whois": "anyone"}
    fields.update(extra_fields or {})
    await focus.expect_result(owner_submit(target, f"{ident}-submit", fields), f"owner form submit on {target}")
    return own, form


async def browser_joins(browser: Peer, room: str, others: list[Peer], display: str, ident: str | None = None):
    """A browser joins with lib-jitsi-meet's presence; checks its self-presence (110, 100, no 201, never a
    rewritten nick) and that every other occupant sees its presence with every child intact. Returns the join
    stanza sent."""
    nick = nick_of(browser)
    occupant = f"{room_jid(room)}/{nick}"
    stanza = participant_join(room, nick, display, ident)
    browser.send(stanza)
    own = await browser.presence_from(occupant, f"self-presence in {room}")
    codes = status_codes(own)
    assert "110" in codes and "100" in codes and "201" not in codes, f"self-presence of {occupant}: {show(own)}"
    assert "210" not in codes, f"the nick was rewritten (jitsi §4.6 forbids it): {show(own)}"
    assert relayed_children(own) == relayed_children(ET.fromstring(stanza)), (
        f"{occupant}: the self-presence does not carry the join's children unchanged:\nsent {stanza}\ngot {show(own)}"
    )
    for other in others:
        seen = await other.presence_from(occupant, f"{browser.name}'s join presence")
        assert seen.find(q(NS_MUC, "x")) is None, f"the muc <x/> was relayed: {show(seen)}"
        assert relayed_children(seen) == relayed_children(ET.fromstring(stanza)), (
            f"{other.name} got {browser.name}'s presence with children changed (jitsi §4.4 requires them relayed "
            f"unchanged):\nsent {stanza}\ngot  {show(seen)}"
        )
        item = muc_item(seen)
        assert (item.get("affiliation"), item.get("role"), item.get("jid")) == ("none", "participant", browser.jid), (
            f"{other.name} sees {browser.name} as {show(item)}: expected affiliation none, role participant and the "
            f"real JID (whois=anyone, jitsi §4.3)"
        )
    return stanza


@dataclass
class Conference:
    room: str
    focus: Peer
    browsers: list[Peer]
    meeting_id: str
    joins: dict[str, str] = field(default_factory=dict)

    @property
    def jid(self) -> str:
        return room_jid(self.room)

    def occupant(self, peer: Peer) -> str:
        return f"{self.jid}/{'focus' if peer is self.focus else nick_of(peer)}"


async def start_conference(aio, server, room: str, names=("alice", "bob"), focus: Peer | None = None) -> Conference:
    """The whole Jitsi start: conference IQs through focus.meet.jitsi, focus creates and configures the room,
    answers, the browsers join."""
    focus = focus or await login_focus(aio, server)
    browsers = [await login_browser(aio, server, name) for name in names]
    for browser in browsers:
        browser.send(conference_request(room, strophe_id()))
    requests = [await focus.take(is_conference_iq_from(b), f"conference IQ of {b.name}") for b in browsers]
    _own, form = await focus_creates(focus, room, ident=f"Jv4Qx-{room}")
    meeting_id = field_values(form_fields(form)["muc#roominfo_meetingId"])[0]
    for request in requests:
        focus.send(conference_result(request, room))
    for browser in browsers:
        reply = await browser.take(lambda e: e.tag == IQ and e.get("from") == FOCUS_PROXY, "conference IQ result")
        assert reply.get("type") == "result", f"{browser.name}: {show(reply)}"
    conference = Conference(room, focus, browsers, meeting_id)
    inside = [focus]
    for browser in browsers:
        conference.joins[browser.name] = await browser_joins(browser, room, inside, browser.name.title())
        inside.append(browser)
    return conference


async def groupchat_flows(conference: Conference, sender: Peer, body: str):
    """A groupchat message from `sender` reaches every occupant, including the sender, from its occupant JID."""
    chat = fixture_stanza("chat-message.xml")
    chat = re.sub(r"<body>[^<]*</body>", f"<body>{escape(body)}</body>", chat)
    sender.send(with_attrs(chat, to=conference.jid))
    for peer in [conference.focus, *conference.browsers]:
        if peer.client.transport is None:
            continue
        await peer.take(
            is_groupchat_from(conference.occupant(sender), body), f"groupchat {body!r} in {conference.room}"
        )


# ----------------------------------------------------------------------------------------------------------------
# Services
# ----------------------------------------------------------------------------------------------------------------


def test_focus_proxy_without_focus_service_unavailable(server, aio):
    """No focus session: the conference IQ is answered service-unavailable by focus.meet.jitsi (jitsi §3.3: the
    client retries)."""

    async def scenario():
        browser = await login_browser(aio, server, "early")
        ident = strophe_id()
        reply = await browser.expect_error(
            conference_request("early", ident), "service-unavailable", "conference IQ, no focus"
        )
        assert reply.get("from") == FOCUS_PROXY, show(reply)

    aio.run(scenario(), timeout=20)


def test_muc_services_disco(server, aio):
    """disco#info of both MUC domains lists the MUC feature (Smack checks it, jitsi §3.1.2); disco#items lists
    no rooms (muc_hide_all)."""

    async def scenario():
        browser = await login_browser(aio, server, "disco")
        for domain in (MUC_DOMAIN, INTERNAL_MUC_DOMAIN):
            info = await browser.expect_result(disco_info(domain, f"info-{domain}"), f"disco#info {domain}")
            features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
            assert NS_MUC in features, f"{domain}: {show(info)}"
            items = await browser.expect_result(
                f"<iq type='get' id='items-{domain}' to='{domain}'><query xmlns='{NS_DISCO_ITEMS}'/></iq>",
                f"items {domain}",
            )
            assert list(items.iter(q(NS_DISCO_ITEMS, "item"))) == [], f"{domain} lists rooms: {show(items)}"

    aio.run(scenario(), timeout=20)


# ----------------------------------------------------------------------------------------------------------------
# 1. The brewery: bridge stats and Colibri2
# ----------------------------------------------------------------------------------------------------------------


def test_brewery_bridge_stats_and_colibri2(server, aio):
    async def scenario():
        jvb_client = await connect_client(server.c2s, JVB_JID, JVB_PASSWORD, "SCRAM-SHA-1", runner=aio)
        assert jvb_client.plugin["feature_mechanisms"].mech.name == "SCRAM-SHA-1"
        assert jvb_client.boundjid.bare == JVB_JID and jvb_client.boundjid.resource, jvb_client.boundjid
        jvb = Peer(jvb_client, "jvb")
        nick = "5d8e3c1f2a9b"  # docker: the container's host name
        occupant = f"{BREWERY}/{nick}"
        stats_stanza = jvb_stats_presence(nick)
        caps = re.search(r"<c [^>]*/>", stats_stanza).group(0)

        # §3.1: disco#info of internal-muc, join with the muc <x/> and caps, 201 → owner form, whois=anyone.
        info = await jvb.expect_result(disco_info(INTERNAL_MUC_DOMAIN, "jvb-disco"), "disco#info internal-muc")
        assert NS_MUC in {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}, show(info)
        jvb.send(f"<presence to='{occupant}'><x xmlns='{NS_MUC}'/>{caps}</presence>")
        own = await jvb.presence_from(occupant, "self-presence in the brewery")
        assert {"110", "201"} <= status_codes(own), f"bridge creating the brewery: {show(own)}"
        assert (muc_item(own).get("affiliation"), muc_item(own).get("role")) == ("owner", "moderator"), show(own)
        form = await jvb.expect_result(owner_get(BREWERY, "jvb-form"), "brewery owner form")
        assert form_fields(form)["muc#roomconfig_whois"].get("type") == "list-single", show(form)
        await jvb.expect_result(owner_submit(BREWERY, "jvb-submit", {"muc#roomconfig_whois": "anyone"}), "whois")

        # §3.1.5: the stats presence, without the muc <x/>.
        jvb.send(stats_stanza)
        update = await jvb.presence_from(occupant, "its own stats presence")
        assert relayed_children(update) == relayed_children(ET.fromstring(stats_stanza)), show(update)

        # §3.2: Jicofo (SCRAM-SHA-1, resource focus) joins the brewery and sees the bridge with its stats.
        focus = await login_focus(aio, server)
        focus.send(focus_join(f"{BREWERY}/focus"))
        bridge = await focus.presence_from(occupant, "the bridge's presence on joining the brewery")
        stats = bridge.find(q(NS_COLIBRI, "stats"))
        assert stats is not None, f"no <stats xmlns='{NS_COLIBRI}'> in the bridge's presence: {show(bridge)}"
        expected = ET.fromstring(stats_stanza).find(q(NS_COLIBRI, "stats"))
        assert len(stats) == len(expected) == 80, f"{len(stats)} stats relayed of {len(expected)}"
        assert tree(stats) == tree(expected), f"stats changed in transit: {show(bridge, 5000)}"
        assert relayed_children(bridge) == relayed_children(ET.fromstring(stats_stanza)), show(bridge, 5000)
        assert muc_item(bridge).get("jid") == jvb.jid, show(muc_item(bridge))
        own = await focus.presence_from(f"{BREWERY}/focus", "self-presence in the brewery")
        assert "110" in status_codes(own) and "201" not in status_codes(own), show(own)
        assert focus.log.index(bridge) < focus.log.index(own), "the self-presence came before the occupants' presences"
        assert muc_item(own).get("affiliation") == "owner", f"focus must own the brewery: {show(own)}"
        await focus.expect_result(owner_get(BREWERY, "focus-form"), "brewery owner form (Jicofo)")
        await focus.expect_result(owner_submit(BREWERY, "focus-submit", {"muc#roomconfig_whois": "anyone"}), "whois")
        seen = await jvb.presence_from(f"{BREWERY}/focus", "focus's join presence")
        assert muc_item(seen).get("jid") == FOCUS_FULL, show(seen)

        # The next stats round (every 5 s) reaches focus as an update.
        jvb.send(jvb_stats_presence(nick, stress="0.5100"))
        again = await focus.presence_from(occupant, "the bridge's stats update")
        stress = [s.get("value") for s in again.iter(q(NS_COLIBRI, "stat")) if s.get("name") == "stress_level"]
        assert stress == ["0.5100"], show(again, 5000)

        # Colibri2 conference-modify from focus to the bridge's occupant JID (§3.1.7, §4.8).
        request = with_attrs(fixture_stanza("colibri2-conference-modify.xml"), to=occupant)
        focus.send(request)
        relayed = await jvb.take(
            lambda e: e.tag == IQ and e.find(q(NS_COLIBRI2, "conference-modify")) is not None, "the Colibri2 request"
        )
        assert relayed.get("from") == f"{BREWERY}/focus", f"not from focus's occupant JID: {show(relayed)}"
        assert relayed.get("to") == jvb.jid and relayed.get("type") == "get", show(relayed)
        assert tree(relayed.find(q(NS_COLIBRI2, "conference-modify"))) == tree(
            ET.fromstring(request).find(q(NS_COLIBRI2, "conference-modify"))
        ), "the conference-modify payload changed in transit"
        jvb.send(
            f"<iq type='result' to='{relayed.get('from')}' id={attr_text(relayed.get('id'))}>"
            f"<conference-modified xmlns='{NS_COLIBRI2}' meeting-id='a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab'>"
            f"<endpoint id='3f9a1c7e'/></conference-modified></iq>"
        )
        answer = await focus.take(
            lambda e: e.tag == IQ and e.get("id") == "Jv4Qx-305", "the Colibri2 answer (id Jv4Qx-305)"
        )
        assert answer.get("type") == "result" and answer.get("from") == occupant, show(answer)
        modified = answer.find(q(NS_COLIBRI2, "conference-modified"))
        assert modified is not None and modified.find(q(NS_COLIBRI2, "endpoint")).get("id") == "3f9a1c7e", show(answer)

        # The bridge's connection drops: Jicofo must see it leave (unavailable = bridge gone, jitsi §3.2.3).
        jvb.client.abort()
        gone = await focus.presence_from(occupant, "the bridge's unavailable presence", available=False)
        assert muc_item(gone).get("role") == "none", show(gone)

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 2. Conference IQ through focus.meet.jitsi, room creation and configuration
# ----------------------------------------------------------------------------------------------------------------


def test_conference_iq_and_room_creation(server, aio):
    room = "weeklysync"

    async def scenario():
        focus = await login_focus(aio, server)
        alice = await login_browser(aio, server, "alice")
        bob = await login_browser(aio, server, "bob")
        idents = {alice.name: strophe_id(), bob.name: strophe_id()}
        for browser in (alice, bob):
            browser.send(conference_request(room, idents[browser.name]))
        requests = {}
        for browser in (alice, bob):
            request = await focus.take(is_conference_iq_from(browser), f"conference IQ of {browser.name}")
            assert request.get("to") == FOCUS_FULL, show(request)
            sent = ET.fromstring(conference_request(room, idents[browser.name])).find(q(NS_FOCUS, "conference"))
            assert tree(request.find(q(NS_FOCUS, "conference"))) == tree(sent), f"conference changed: {show(request)}"
            requests[browser.name] = request

        # Jicofo joins before answering (§3.3), reads and submits the form.
        own, form = await focus_creates(focus, room)
        assert "100" in status_codes(own), f"whois=anyone rooms say 100 (jitsi §4.5): {show(own)}"
        assert muc_item(own).get("jid") == FOCUS_FULL, show(own)
        fields = form_fields(form)
        whois = fields.get("muc#roomconfig_whois")
        assert whois is not None and whois.get("type") == "list-single", (
            f"Smack's setAnswer needs it: {show(form, 5000)}"
        )
        options = {o.findtext(q(NS_DATA, "value")) for o in whois.findall(q(NS_DATA, "option"))}
        assert {"moderators", "anyone"} <= options, show(whois)
        meeting = fields.get("muc#roominfo_meetingId")
        assert meeting is not None and UUID_RE.fullmatch(field_values(meeting)[0]), f"meetingId: {show(form, 5000)}"
        for var in ("muc#roomconfig_roomsecret", "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_membersonly",
                    "muc#roomconfig_maxusers"):
            assert var in fields, f"{var} missing from the owner form"
        again = await focus.expect_result(owner_get(room_jid(room), "form-again"), "owner form after the submit")
        assert field_values(form_fields(again)["muc#roomconfig_whois"]) == ["anyone"], show(again, 5000)

        # Answers, each to its own requester, from focus.meet.jitsi with the requester's id.
        for browser in (bob, alice):
            focus.send(conference_result(requests[browser.name], room))
        for browser in (alice, bob):
            reply = await browser.take(lambda e: e.tag == IQ and e.get("from") == FOCUS_PROXY, "conference result")
            assert reply.get("id") == idents[browser.name], f"{browser.name} got someone else's id: {show(reply)}"
            assert reply.get("type") == "result" and reply.get("to") == browser.jid, show(reply)
            conference = reply.find(q(NS_FOCUS, "conference"))
            assert conference is not None and conference.get("ready") == "true", show(reply)
            assert conference.get("focusjid") == FOCUS_JID and conference.get("room") == room_jid(room), show(reply)
            assert [p.get("name") for p in conference] == ["authentication", "visitors-supported"], show(reply)
        await alice.none_of(lambda e: e.tag == IQ and e.get("from") == FOCUS_PROXY, "a second conference result")

        # Jicofo's error answers travel back the same way (the client retries on errors, jitsi §3.3).
        carol = await login_browser(aio, server, "carol")
        ident = strophe_id()
        carol.send(conference_request(room, ident))
        request = await focus.take(is_conference_iq_from(carol), "carol's conference IQ")
        focus.send(
            f"<iq type='error' to={attr_text(request.get('from'))} id={attr_text(request.get('id'))}>"
            f"<error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )
        reply = await carol.take(lambda e: e.tag == IQ and e.get("id") == ident, "the conference IQ error")
        assert reply.get("from") == FOCUS_PROXY and stanza_error(reply) == ("cancel", "not-allowed"), show(reply)

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 3. Joins with Jitsi presences, Jingle through occupant JIDs, groupchat, room disco
# ----------------------------------------------------------------------------------------------------------------


def test_participants_join_jingle_groupchat_disco(server, aio):
    room = "standup"

    async def scenario():
        conf = await start_conference(aio, server, room, names=("alice", "bob"))
        focus, (alice, bob) = conf.focus, conf.browsers

        # What each browser got on joining: the occupants first, then itself, then the subject (XEP-0045 §7.2.3).
        for browser, earlier in ((alice, [focus]), (bob, [focus, alice])):
            positions = {}
            for occupant in earlier:
                seen = [e for e in browser.log if e.tag == PRESENCE and e.get("from") == conf.occupant(occupant)]
                assert seen, f"{browser.name} never got {occupant.name}'s presence{browser.report()}"
                positions[occupant.name] = browser.log.index(seen[0])
                if occupant is focus:
                    item = muc_item(seen[0])
                    expected = (FOCUS_FULL, "owner", "moderator")
                    assert (item.get("jid"), item.get("affiliation"), item.get("role")) == expected, (
                        f"{browser.name} sees focus as {show(item)} (jitsi §3.3, §4.3)"
                    )
                    sent = ET.fromstring(focus_join(conf.jid + "/focus"))
                    assert relayed_children(seen[0]) == relayed_children(sent), (
                        f"focus's caps not relayed unchanged: {show(seen[0])}"
                    )
                else:
                    assert relayed_children(seen[0]) == relayed_children(ET.fromstring(conf.joins[occupant.name])), (
                        f"{browser.name} got {occupant.name}'s presence with changed children: {show(seen[0])}"
                    )
            own = next(e for e in browser.log if e.tag == PRESENCE and e.get("from") == conf.occupant(browser))
            subject = await browser.take(
                lambda e: e.tag == MESSAGE
                and e.get("from") == conf.jid
                and e.find(q(NS_CLIENT, "subject")) is not None,
                "the subject message",
            )
            assert max(positions.values()) < browser.log.index(own) < browser.log.index(subject), (
                f"{browser.name}: join order must be occupants, self-presence, subject{browser.report(20)}"
            )

        # Presence updates (no muc <x/>) are relayed with every child unchanged (jitsi §4.4): Jicofo's
        # conference properties, alice starting a screen share.
        properties = with_attrs(fixture_stanza("focus-conference-properties-presence.xml"), to=conf.occupant(focus))
        focus.send(properties)
        update = fixture_stanza("participant-presence-update.xml").replace("3f9a1c7e", nick_of(alice))
        update = with_attrs(update, to=conf.occupant(alice))
        alice.send(update)
        for sender, stanza, receivers in ((focus, properties, (alice, bob)), (alice, update, (focus, bob))):
            for peer in receivers:
                seen = await peer.presence_from(
                    conf.occupant(sender), f"{sender.name}'s presence update",
                    where=lambda e, s=stanza: relayed_children(e) == relayed_children(ET.fromstring(s)),
                    timeout=3,
                )
                assert muc_user(seen) is not None and "110" not in status_codes(seen), show(seen)

        # Focus → alice: Jingle session-initiate through alice's occupant JID (§3.3 Jingle, §4.8).
        offer = with_attrs(fixture_stanza("jingle-session-initiate.xml"), to=conf.occupant(alice))
        focus.send(offer)
        relayed = await alice.take(is_jingle, "session-initiate")
        assert relayed.get("from") == conf.occupant(focus), (
            f"the browser checks the resource is 'focus': {show(relayed)}"
        )
        assert relayed.get("to") == alice.jid and relayed.get("type") == "set", show(relayed)
        assert tree(relayed.find(q(NS_JINGLE, "jingle"))) == tree(ET.fromstring(offer).find(q(NS_JINGLE, "jingle"))), (
            "the session-initiate payload changed in transit"
        )
        alice.send(f"<iq type='result' to='{relayed.get('from')}' id={attr_text(relayed.get('id'))}/>")
        ack = await focus.take(lambda e: e.tag == IQ and e.get("id") == "Jv4Qx-312", "the session-initiate result")
        assert ack.get("type") == "result" and ack.get("from") == conf.occupant(alice), show(ack)
        assert ack.get("to") == FOCUS_FULL, show(ack)

        # P2P: alice → bob through bob's occupant JID, bob answers.
        p2p_id = strophe_id()
        p2p = fixture_stanza("jingle-session-initiate.xml").replace(FOCUS_FULL, conf.occupant(alice))
        p2p = with_attrs(p2p, to=conf.occupant(bob), id_=p2p_id, from_=None)
        alice.send(p2p)
        relayed = await bob.take(is_jingle, "P2P session-initiate")
        assert relayed.get("from") == conf.occupant(alice) and relayed.get("to") == bob.jid, show(relayed)
        assert relayed.find(q(NS_JINGLE, "jingle")).get("initiator") == conf.occupant(alice), show(relayed)
        bob.send(f"<iq type='result' to='{relayed.get('from')}' id={attr_text(relayed.get('id'))}/>")
        ack = await alice.take(lambda e: e.tag == IQ and e.get("id") == p2p_id, "the P2P result")
        assert ack.get("type") == "result" and ack.get("from") == conf.occupant(bob), show(ack)

        # An error answer travels back the same way (bob refuses a second offer), with the original id.
        refused_id = strophe_id()
        alice.send(with_attrs(p2p, id_=refused_id))
        relayed = await bob.take(is_jingle, "second P2P offer")
        bob.send(
            f"<iq type='error' to='{relayed.get('from')}' id={attr_text(relayed.get('id'))}><error type='cancel'>"
            f"<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )
        answer = await alice.take(lambda e: e.tag == IQ and e.get("id") == refused_id, "the P2P error")
        assert answer.get("type") == "error" and answer.get("from") == conf.occupant(bob), show(answer)
        assert stanza_error(answer) == ("cancel", "feature-not-implemented"), show(answer)

        # A private endpoint message (type chat) to bob's occupant JID (jitsi §4.8), the E2EE key-info fixture.
        endpoint = with_attrs(fixture_stanza("endpoint-message.xml"), to=conf.occupant(bob))
        alice.send(endpoint)
        private = await bob.take(lambda e: e.tag == MESSAGE and e.get("type") == "chat", "the private endpoint message")
        assert private.get("from") == conf.occupant(alice) and private.get("to") == bob.jid, show(private)
        sent_json = ET.fromstring(endpoint).find("{http://jitsi.org/jitmeet}json-message")
        assert tree(private.find("{http://jitsi.org/jitmeet}json-message")) == tree(sent_json), show(private)
        await focus.none_of(lambda e: e.tag == MESSAGE and e.get("type") == "chat", "a copy of the private message")

        # Both browsers send focus a source-add with the same id: each gets its own answer back.
        same_id = "c0ffee00-0000-4000-8000-000000000000:sendIQ"
        for browser in (alice, bob):
            browser.send(with_attrs(fixture_stanza("jingle-source-add.xml"), to=conf.occupant(focus), id_=same_id))
        relayed = [
            await focus.take(
                lambda e, b=b: e.tag == IQ and e.get("from") == conf.occupant(b) and e.get("type") == "set",
                f"{b.name}'s source-add",
            )
            for b in (alice, bob)
        ]
        for request in reversed(relayed):
            focus.send(f"<iq type='result' to='{request.get('from')}' id={attr_text(request.get('id'))}/>")
        for browser in (alice, bob):
            ack = await browser.take(lambda e: e.tag == IQ and e.get("id") == same_id, "the source-add result")
            assert ack.get("type") == "result" and ack.get("from") == conf.occupant(focus), show(ack)
            await browser.none_of(lambda e: e.tag == IQ and e.get("id") == same_id, "a second source-add result")

        # A <nick/> in a groupchat message is removed (jitsi §4.13, meeting_id): no display-name spoofing.
        spoof = (
            f"<message type='groupchat' to='{conf.jid}' id='spoof'><body>I am the host</body>"
            f"<nick xmlns='http://jabber.org/protocol/nick'>Host</nick></message>"
        )
        bob.send(spoof)
        got = await alice.take(is_groupchat_from(conf.occupant(bob), "I am the host"), "the groupchat with a nick")
        assert got.find("{http://jabber.org/protocol/nick}nick") is None, f"<nick/> relayed: {show(got)}"

        # Groupchat reaches everyone (the sender too): chat text, and an application json-message.
        await groupchat_flows(conf, bob, "Slides are in the shared folder ✓ <&>")
        app = with_attrs(fixture_stanza("json-message.xml"), to=conf.jid)
        alice.send(app)
        for peer in (focus, alice, bob):
            got = await peer.take(
                lambda e: e.tag == MESSAGE and e.get("type") == "groupchat" and e.get("from") == conf.occupant(alice)
                and e.find("{http://jitsi.org/jitmeet}json-message") is not None,
                "the json-message groupchat",
            )
            assert tree(got.find("{http://jitsi.org/jitmeet}json-message")) == tree(
                ET.fromstring(app).find("{http://jitsi.org/jitmeet}json-message")
            ), show(got)

        # Room disco#info: occupants get the roominfo form with the meeting id; a non-occupant is refused.
        info = await alice.expect_result(disco_info(conf.jid, strophe_id()), "room disco#info")
        fields = form_fields(info)
        assert field_values(fields["muc#roominfo_meetingId"]) == [conf.meeting_id], show(info, 4000)
        stamp = field_values(fields["muc#roominfo_created_timestamp"])
        assert len(stamp) == 1 and stamp[0].isdigit(), show(info, 4000)
        assert abs(int(stamp[0]) / 1000 - time.time()) < 600, f"created_timestamp is not ms since 1970: {stamp}"
        outsider = await login_browser(aio, server, "outsider")
        await outsider.expect_error(
            disco_info(conf.jid, strophe_id()), "forbidden", "room disco#info by a non-occupant"
        )
        # The service lists no rooms, even with this one live (muc_hide_all).
        items = await outsider.expect_result(
            f"<iq type='get' id='items' to='{MUC_DOMAIN}'><query xmlns='{NS_DISCO_ITEMS}'/></iq>", "disco#items"
        )
        assert list(items.iter(q(NS_DISCO_ITEMS, "item"))) == [], f"{MUC_DOMAIN} lists rooms: {show(items)}"

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 4. Owner grant and kick
# ----------------------------------------------------------------------------------------------------------------


def test_grant_owner_then_kick(server, aio):
    room = "retro"

    async def scenario():
        conf = await start_conference(aio, server, room, names=("alice", "bob"))
        focus, (alice, bob) = conf.focus, conf.browsers

        # Jicofo's auto-owner grant (jitsi §3.3): <item affiliation='owner' jid='<bare>'/>.
        await focus.expect_result(
            admin_set(conf.jid, "Jv4Qx-grant", f"<item affiliation='owner' jid='{alice.bare}'/>"), "owner grant"
        )
        for peer in (focus, alice, bob):
            seen = await peer.presence_from(
                conf.occupant(alice), "alice's presence rebroadcast with role moderator after the grant",
                where=lambda e: muc_user(e) is not None and muc_item(e).get("role") != "participant",
            )
            item = muc_item(seen)
            assert (item.get("affiliation"), item.get("role")) == ("owner", "moderator"), show(seen)
            assert relayed_children(seen) == relayed_children(ET.fromstring(conf.joins["alice"])), (
                f"the rebroadcast lost alice's extensions: {show(seen)}"
            )

        # alice kicks bob (lib-jitsi-meet's kick, jitsi §4.7).
        item = f"<item nick='{nick_of(bob)}' role='none'><reason>You have been kicked.</reason></item>"
        kick = admin_set(conf.jid, strophe_id(), item)
        await alice.expect_result(kick, "kick by a moderator")
        gone = await bob.presence_from(conf.occupant(bob), "bob's own kick presence", available=False)
        assert {"307", "110"} <= status_codes(gone), f"the kicked occupant needs 307 + 110: {show(gone)}"
        item = muc_item(gone)
        assert item.get("role") == "none", show(gone)
        actor = item.find(q(NS_MUC_USER, "actor"))
        assert actor is not None and actor.get("nick") == nick_of(alice), (
            f"no <actor nick='{nick_of(alice)}'/>: {show(gone)}"
        )
        assert item.findtext(q(NS_MUC_USER, "reason")) == "You have been kicked.", show(gone)
        for peer in (focus, alice):
            seen = await peer.presence_from(conf.occupant(bob), "bob's kick", available=False)
            assert "307" in status_codes(seen) and "110" not in status_codes(seen), show(seen)

        # bob's connection stays usable: a ping, a new conference IQ, and a rejoin.
        pong = await bob.expect_result(
            f"<iq type='get' id='after-kick' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>", "ping"
        )
        assert pong.get("from") == ANON_DOMAIN, show(pong)
        bob.send(conference_request(room, strophe_id()))
        request = await focus.take(is_conference_iq_from(bob), "bob's second conference IQ")
        focus.send(conference_result(request, room))
        await bob.take(lambda e: e.tag == IQ and e.get("from") == FOCUS_PROXY and e.get("type") == "result", "result")
        await browser_joins(bob, room, [focus, alice], "Bob")
        await groupchat_flows(conf, bob, "back again")

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 5. Password-protected room
# ----------------------------------------------------------------------------------------------------------------


def test_password_room(server, aio):
    room = "boardmeeting"
    secret = "s3cret ✓ <&>"

    async def scenario():
        focus = await login_focus(aio, server)
        await focus_creates(
            focus, room, extra_fields={"muc#roomconfig_roomsecret": secret, "muc#roomconfig_passwordprotectedroom": "1"}
        )
        alice = await login_browser(aio, server, "alice")
        occupant = f"{room_jid(room)}/{nick_of(alice)}"
        for password, label in ((None, "no password"), ("s3cret", "a wrong password")):
            ident = strophe_id()
            alice.send(participant_join(room, nick_of(alice), "Alice", ident=ident, password=password))
            error = await alice.join_error(occupant, ident, f"a join with {label}")
            assert error.get("from") == occupant, f"XEP-0045 §7.2.7: from the occupant JID asked for: {show(error)}"
            assert stanza_error(error) == ("auth", "not-authorized"), f"join with {label}: {show(error)}"
        await focus.none_of(lambda e: e.tag == PRESENCE and e.get("from") == occupant, "a presence of a refused joiner")
        ident = strophe_id()
        alice.send(participant_join(room, nick_of(alice), "Alice", ident=ident, password=secret))
        own = await alice.presence_from(occupant, "self-presence with the right password")
        assert "110" in status_codes(own), show(own)
        await focus.presence_from(occupant, "alice's presence")
        info = await alice.expect_result(disco_info(room_jid(room), strophe_id()), "room disco#info")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert "muc_passwordprotected" in features, f"jitsi §4.10: {show(info, 4000)}"

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 6. Leaving, no ghosts, destruction and reuse of the name
# ----------------------------------------------------------------------------------------------------------------


def test_leave_no_ghosts_destroy_and_recreate(server, aio):
    room = "allhands"

    async def scenario():
        conf = await start_conference(aio, server, room, names=("alice", "bob", "carol"))
        focus, (alice, bob, carol) = conf.focus, conf.browsers

        # alice leaves with an unavailable presence (jitsi §3.4).
        alice.send(f"<presence type='unavailable' to='{conf.occupant(alice)}'><status>bye</status></presence>")
        own = await alice.presence_from(conf.occupant(alice), "alice's own leave", available=False)
        assert "110" in status_codes(own) and muc_item(own).get("role") == "none", show(own)
        for peer in (focus, bob, carol):
            await peer.presence_from(conf.occupant(alice), "alice's leave", available=False)

        # bob's connection dies without a word: the server must say he left.
        bob.client.abort()
        for peer in (focus, carol):
            gone = await peer.presence_from(
                conf.occupant(bob), "bob's unavailable after his connection closed", available=False
            )
            assert muc_item(gone).get("role") == "none", show(gone)

        # A newcomer sees only focus and carol: no ghosts.
        dave = await login_browser(aio, server, "dave")
        dave.send(conference_request(room, strophe_id()))
        focus.send(conference_result(await focus.take(is_conference_iq_from(dave), "dave's conference IQ"), room))
        await dave.take(lambda e: e.tag == IQ and e.get("from") == FOCUS_PROXY, "conference result")
        await browser_joins(dave, room, [focus, carol], "Dave")
        occupants = {e.get("from") for e in dave.log if e.tag == PRESENCE and e.get("type") is None}
        assert occupants == {conf.occupant(focus), conf.occupant(carol), conf.occupant(dave)}, (
            f"dave sees ghosts: {sorted(occupants)}"
        )

        # carol and dave leave, then focus: the room is destroyed.
        for browser in (carol, dave):
            occupant = f"{conf.jid}/{nick_of(browser)}"
            browser.send(f"<presence type='unavailable' to='{occupant}'/>")
            await browser.presence_from(occupant, "its own leave", available=False)
            await focus.presence_from(occupant, f"{browser.name}'s leave", available=False)
        focus.send(f"<presence type='unavailable' to='{conf.occupant(focus)}'/>")
        own = await focus.presence_from(conf.occupant(focus), "focus's own leave", available=False)
        assert "110" in status_codes(own), show(own)

        # Destroyed: a browser may not create it ("Room creation is restricted", matched literally by the client).
        ident = strophe_id()
        carol.send(participant_join(room, nick_of(carol), "Carol", ident=ident))
        error = await carol.join_error(conf.occupant(carol), ident, "a browser's join of the destroyed room")
        assert stanza_error(error) == ("cancel", "not-allowed"), show(error)
        assert error_text(error) == RESTRICTED_TEXT, f"jitsi §4.1: the text must be {RESTRICTED_TEXT!r}: {show(error)}"

        # focus re-creates it at once: 201 again, a new meeting id.
        _own, form = await focus_creates(focus, room, ident="Jv4Qx-recreate")
        meeting = field_values(form_fields(form)["muc#roominfo_meetingId"])[0]
        assert meeting != conf.meeting_id, f"the re-created room kept the old meeting id {meeting}"

    aio.run(scenario(), timeout=25)


def test_owner_destroys_room(server, aio):
    """An explicit destroy (jitsi §3.5, XEP-0045 §10.9): every occupant gets unavailable with <destroy> and the
    reason; the name is free again at once."""
    room = "endmeeting"

    async def scenario():
        conf = await start_conference(aio, server, room, names=("alice", "bob"))
        focus, browsers = conf.focus, conf.browsers
        await focus.expect_result(
            f"<iq type='set' id='destroy' to='{conf.jid}'><query xmlns='{NS_MUC_OWNER}'><destroy>"
            f"<reason>The meeting has been ended</reason></destroy></query></iq>",
            "destroy",
        )
        for peer in (focus, *browsers):
            gone = await peer.presence_from(conf.occupant(peer), f"{peer.name}'s presence on destroy", available=False)
            destroy = muc_user(gone).find(q(NS_MUC_USER, "destroy"))
            assert destroy is not None, f"no <destroy/> in {show(gone)}"
            assert destroy.findtext(q(NS_MUC_USER, "reason")) == "The meeting has been ended", show(gone)
            assert (muc_item(gone).get("affiliation"), muc_item(gone).get("role")) == ("none", "none"), show(gone)
        await focus_creates(focus, room, ident="Jv4Qx-after-destroy")

    aio.run(scenario(), timeout=20)


# ----------------------------------------------------------------------------------------------------------------
# 7. Room-name policy (user identifiers as room names)
# ----------------------------------------------------------------------------------------------------------------


ROOM_NAME_REFUSALS = {
    # case: (room localpart as the client sends it, what the error text must name)
    "email": ("aliceexample.com", r"e-?mail"),  # https://meet/alice@example.com after the client strips '@' (§8)
    "email-escaped": ("alice%40example.org", r"e-?mail"),
    "phone": ("%2b4915112345678", r"phone"),
    "xmpp-address": ("alicemeet.jitsi", r"XMPP address"),
    "account-name": ("focus", r"account"),
}


@pytest.mark.parametrize("case", ROOM_NAME_REFUSALS, ids=list(ROOM_NAME_REFUSALS))
def test_room_name_policy_refuses_conference_iq(server, aio, case):
    """A conference IQ for a room named like a user identifier is refused by focus.meet.jitsi (never forwarded to
    Jicofo) with cancel/not-allowed and a text naming the category, not the name (Docs/RoomNamePolicy.md)."""
    room, category = ROOM_NAME_REFUSALS[case]

    async def scenario():
        focus = await login_focus(aio, server)
        browser = await login_browser(aio, server, "mallory")
        ident = strophe_id()
        browser.send(conference_request(room, ident))
        forwarded = asyncio.ensure_future(
            focus.take(lambda e: e.tag == IQ and e.find(q(NS_FOCUS, "conference")) is not None, "", timeout=3)
        )
        answered = asyncio.ensure_future(
            browser.take(lambda e: e.tag == IQ and e.get("id") == ident, "answer", timeout=3)
        )
        done, _ = await asyncio.wait({forwarded, answered}, return_when=asyncio.FIRST_COMPLETED)
        for task in (forwarded, answered):
            if task not in done:
                task.cancel()
        if forwarded in done and forwarded.exception() is None:
            pytest.fail(f"the conference IQ for {room_jid(room)} was forwarded to focus: {show(forwarded.result())}")
        reply = answered.result()
        assert reply.get("from") == FOCUS_PROXY, show(reply)
        assert reply.get("type") == "error" and stanza_error(reply) == ("cancel", "not-allowed"), show(reply)
        text = error_text(reply) or ""
        assert re.search(category, text, re.I), f"the text should name the category ({category}): {show(reply)}"
        assert room.lower() not in text.lower(), f"the refusal repeats the room name (privacy): {show(reply)}"

    aio.run(scenario(), timeout=20)


def test_room_name_policy_at_muc_join(server, aio):
    """No browser gets into a room named like an e-mail address: joining it before it exists is not-allowed
    (restricted creation or the policy); focus (a service admin) may be refused at creation or let in, and then
    a browser's join is refused with the policy's text."""
    room = "aliceexample.com"
    target = room_jid(room)

    async def scenario():
        focus = await login_focus(aio, server)
        browser = await login_browser(aio, server, "mallory")
        occupant = f"{target}/{nick_of(browser)}"

        async def join(peer: Peer, occupant: str, ident: str) -> ET.Element:
            peer.send(with_attrs(participant_join(room, "x", peer.name.title(), ident=ident), to=occupant))
            return await peer.take(
                lambda e: e.tag == PRESENCE and (e.get("id") == ident or e.get("from") == occupant),
                f"answer to the join of {occupant}",
            )

        answer = await join(browser, occupant, "policy-before")
        assert answer.get("type") == "error", f"a browser entered {target}: {show(answer)}"
        assert stanza_error(answer) == ("cancel", "not-allowed"), show(answer)

        created = await join(focus, f"{target}/focus", "policy-focus")
        if created.get("type") == "error":
            assert stanza_error(created) == ("cancel", "not-allowed"), show(created)
            assert re.search(r"e-?mail", error_text(created) or "", re.I), f"text: {show(created)}"
            return
        assert "201" in status_codes(created), show(created)
        answer = await join(browser, occupant, "policy-after")
        assert answer.get("type") == "error", f"a browser entered {target} once focus had made it: {show(answer)}"
        assert stanza_error(answer) == ("cancel", "not-allowed"), show(answer)
        assert re.search(r"e-?mail", error_text(answer) or "", re.I), (
            f"the text should name the category: {show(answer)}"
        )
        await focus.none_of(lambda e: e.tag == PRESENCE and e.get("from") == occupant, "the refused browser's presence")

    aio.run(scenario(), timeout=20)


# ----------------------------------------------------------------------------------------------------------------
# Join errors (XEP-0045 §7.2.6ff, jitsi §4.5)
# ----------------------------------------------------------------------------------------------------------------


def test_join_errors_from_occupant_jid_with_join_id(server, aio):
    room = "gate"

    async def scenario():
        focus = await login_focus(aio, server)
        await focus_creates(focus, room)
        alice, bob, carol = [await login_browser(aio, server, n) for n in ("alice", "bob", "carol")]
        await browser_joins(alice, room, [focus], "Alice")
        target = room_jid(room)

        async def refused(browser: Peer, to: str, condition: str, kind: str, what: str):
            ident = strophe_id()
            stanza = with_attrs(participant_join(room, nick_of(browser), browser.name, ident=ident), to=to)
            browser.send(stanza)
            error = await browser.join_error(to, ident, what)
            assert stanza_error(error) == (kind, condition), f"{what}: expected {kind}/{condition}: {show(error)}"
            if "/" in to:
                assert error.get("from") == to, f"{what}: from must be the occupant JID asked for: {show(error)}"
            return error

        await refused(bob, f"{target}/{nick_of(alice)}", "conflict", "cancel", "a join with a taken nick")
        await refused(bob, target, "jid-malformed", "modify", "a join to the bare room JID")
        await refused(
            carol, f"notcreated@{MUC_DOMAIN}/{nick_of(carol)}", "not-allowed", "cancel", "a browser creating a room"
        )

        # Ban bob (outcast), then members-only: carol needs registration.
        await focus.expect_result(admin_set(target, "ban", f"<item affiliation='outcast' jid='{bob.bare}'/>"), "ban")
        await refused(bob, f"{target}/{nick_of(bob)}", "forbidden", "auth", "a banned user's join")
        await focus.expect_result(owner_submit(target, "mo", {"muc#roomconfig_membersonly": "1"}), "members-only")
        await refused(carol, f"{target}/{nick_of(carol)}", "registration-required", "auth", "a non-member's join")
        await focus.none_of(
            lambda e: e.tag == PRESENCE and e.get("from", "").endswith(nick_of(carol)), "carol's presence"
        )

    aio.run(scenario(), timeout=25)


# ----------------------------------------------------------------------------------------------------------------
# 8. Bad input while another room goes on
# ----------------------------------------------------------------------------------------------------------------


BAD_NICKS = {
    "300-chars": ("n" * 300, ("not-acceptable",)),
    "129-bytes-utf8": ("€" * 43, ("not-acceptable",)),  # 43 characters, 129 bytes: the limit counts bytes
    "newline": ("line\nbreak", ("not-acceptable", "jid-malformed")),
    "tab": ("tab\there", ("not-acceptable", "jid-malformed")),
    "only-spaces": ("   ", ("not-acceptable",)),
    "resource-1025-bytes": ("r" * 1025, ("jid-malformed",)),
}


def test_bad_input_answered_while_another_room_goes_on(server, aio):
    async def scenario():
        calm = await start_conference(aio, server, "calm", names=("alice", "bob"))
        focus = calm.focus
        rough = "rough"
        await focus_creates(focus, rough, ident="Jv4Qx-rough")
        mallory = await login_browser(aio, server, "mallory")
        target = room_jid(rough)

        # Absurd nicks.
        for case, (nick, conditions) in BAD_NICKS.items():
            ident = f"bad-nick-{case}"
            occupant = f"{target}/{nick}"
            mallory.send(with_attrs(participant_join(rough, "x", "Mallory", ident=ident), to=occupant))
            error = await mallory.join_error(occupant, ident, f"a join with nick {case}")
            assert stanza_error(error)[1] in conditions, f"nick {case}: expected {conditions}: {show(error)}"
            if conditions == ("not-acceptable",):
                assert error.get("from") == occupant, f"nick {case}: not from the occupant JID asked for: {show(error)}"
        await focus.none_of(
            lambda e: e.tag == PRESENCE and e.get("from", "").startswith(target + "/") and e.get("type") is None,
            "a presence of a refused nick",
        )
        await groupchat_flows(calm, alice_of(calm), "still here after bad nicks")

        # The boundary: a 128-byte nick (64 × 'é') is fine.
        edge = await login_browser(aio, server, "edge")
        occupant = f"{target}/{'é' * 64}"
        edge.send(with_attrs(participant_join(rough, "x", "Edge", ident="edge-128"), to=occupant))
        own = await edge.presence_from(occupant, "self-presence with a 128-byte nick")
        assert "110" in status_codes(own), show(own)
        edge.send(f"<presence type='unavailable' to='{occupant}'/>")
        await focus.presence_from(occupant, "the 128-byte nick's join", available=None)

        # mallory joins properly; the room works for it afterwards.
        await browser_joins(mallory, rough, [focus], "Mallory")
        me = f"{target}/{nick_of(mallory)}"

        # Owner forms with unknown fields.
        for var in ("muc#roomconfig_bogus", "x" * 300):
            await focus.expect_error(
                owner_submit(target, "bad-form", {"muc#roomconfig_whois": "anyone", var: "1"}),
                "not-acceptable", f"owner form with unknown field {var[:30]!r}",
            )
        # Owner and admin IQs from a non-moderator.
        await mallory.expect_error(owner_get(target, strophe_id()), "forbidden", "owner form get by a participant")
        await mallory.expect_error(
            owner_submit(target, strophe_id(), {"muc#roomconfig_whois": "moderators"}),
            "forbidden",
            "owner submit by a participant",
        )
        await mallory.expect_error(
            admin_set(target, strophe_id(), "<item nick='focus' role='none'><reason/></item>"),
            "forbidden",
            "kick by a participant",
        )
        await mallory.expect_error(
            admin_set(target, strophe_id(), f"<item affiliation='owner' jid='{mallory.bare}'/>"), "forbidden",
            "self-grant by a participant",
        )
        # IQs to absent occupants, and from a non-occupant.
        jingle = fixture_stanza("jingle-source-add.xml")
        reply = await mallory.expect_error(
            with_attrs(jingle, to=f"{target}/nobody", id_=strophe_id()),
            "item-not-found",
            "Jingle IQ to an absent occupant",
        )
        assert reply.get("from") == f"{target}/nobody", show(reply)
        ident = strophe_id()
        mallory.send(f"<message type='chat' to='{target}/nobody' id='{ident}'><body>psst</body></message>")
        error = await mallory.take(lambda e: e.tag == MESSAGE and e.get("id") == ident, "the private message error")
        assert stanza_error(error)[1] == "item-not-found", f"private message to an absent occupant: {show(error)}"
        outsider = await login_browser(aio, server, "outsider")
        await outsider.expect_error(
            with_attrs(jingle, to=me, id_=strophe_id()), "not-acceptable", "Jingle IQ from a non-occupant"
        )
        await mallory.none_of(lambda e: e.tag == IQ and e.get("type") == "set", "an IQ relayed from a non-occupant")
        ident = strophe_id()
        outsider.send(f"<message type='groupchat' to='{target}' id='{ident}'><body>spam</body></message>")
        error = await outsider.take(lambda e: e.tag == MESSAGE and e.get("id") == ident, "the groupchat error")
        assert stanza_error(error)[1] == "not-acceptable", (
            f"groupchat from a non-occupant (XEP-0045 §7.4): {show(error)}"
        )
        await mallory.none_of(
            lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == "spam", "the non-occupant's groupchat"
        )

        # The other room still flows, and the rough one works for its occupants.
        await groupchat_flows(calm, calm.browsers[1], "still here after bad IQs")
        mallory.send(f"<message type='groupchat' to='{target}' id='ok'><body>fine here</body></message>")
        await focus.take(is_groupchat_from(me, "fine here"), "mallory's groupchat in the rough room")
        server.assert_alive("after bad MUC input")

    aio.run(scenario(), timeout=25)


def alice_of(conference: Conference) -> Peer:
    return conference.browsers[0]


@pytest.mark.timeout(45)
def test_thousand_joins_to_a_full_room(server, aio):
    """1,000 join attempts on 100 raw connections to a room limited to 20 occupants: each is answered (a
    self-presence, or service-unavailable with the join's id from the occupant JID asked for), nothing is lost,
    and another room keeps serving."""
    total, connections, limit = 1000, 100, 20

    async def scenario():
        calm = await start_conference(aio, server, "quiet", names=("alice", "bob"))
        focus = calm.focus
        crowd = "crowd"
        await focus_creates(focus, crowd, ident="Jv4Qx-crowd", extra_fields={"muc#roomconfig_maxusers": str(limit)})
        target = room_jid(crowd)

        started = time.monotonic()
        clients = await asyncio.gather(*(async_raw_bound_client(server.c2s) for _ in range(connections)))
        counter = itertools.count()
        outcomes: dict[str, tuple] = {}

        async def worker(client):
            while (n := next(counter)) < total:
                nick, ident = f"crowd{n:04d}", f"join-{n:04d}"
                occupant = f"{target}/{nick}"
                client.send(participant_join(crowd, nick, f"Crowd{n}", ident=ident))

                def answer(e, occupant=occupant, ident=ident):
                    if e.tag != PRESENCE or e.get("from") != occupant:
                        return False
                    if e.get("type") == "error":
                        return e.get("id") == ident
                    return e.get("type") is None and "110" in status_codes(e)

                try:
                    reply = await client.wait_for(answer, timeout=15, what=f"answer to {ident}")
                except AssertionError as error:
                    outcomes[ident] = ("lost", str(error)[-1500:])
                    return
                if reply.get("type") == "error":
                    outcomes[ident] = ("error", stanza_error(reply), reply.get("id"))
                else:
                    outcomes[ident] = ("joined", None, reply.get("id"))
                    return  # an occupant now; another nick from it would be a nick change, not a join

        try:
            await asyncio.gather(*(worker(c) for c in clients))
            elapsed = time.monotonic() - started
            lost = {k: v for k, v in outcomes.items() if v[0] == "lost"}
            assert not lost, f"{len(lost)} joins got no answer; first: {next(iter(lost.items()))}"
            assert len(outcomes) == total, f"{total - len(outcomes)} joins unaccounted for"
            joined = [k for k, v in outcomes.items() if v[0] == "joined"]
            errors = collections_counter(v[1] for v in outcomes.values() if v[0] == "error")
            assert limit - 1 <= len(joined) <= limit, f"{len(joined)} joined a room limited to {limit}; errors {errors}"
            assert set(errors) == {("cancel", "service-unavailable")}, f"errors: {errors}"
            assert all(v[2] == k for k, v in outcomes.items() if v[0] == "error"), "an error without the join's id"
            print(f"{total} joins over {connections} connections in {elapsed:.2f} s: {len(joined)} joined, {errors}")
        finally:
            for client in clients:
                client.close()

        server.assert_alive("after 1,000 joins")
        await groupchat_flows(calm, calm.browsers[0], "still here after the crowd")
        # The crowd's connections closed: focus sees every joined occupant leave, and is alone again.
        for ident in joined:
            await focus.presence_from(
                f"{target}/crowd{ident[-4:]}", "a crowd occupant leaving", available=False, timeout=10
            )
        # No ghosts: a newcomer sees only focus.
        alice = calm.browsers[0]
        await browser_joins(alice, crowd, [focus], "Alice")
        occupants = {
            e.get("from") for e in alice.log if e.tag == PRESENCE and e.get("from", "").startswith(target + "/")
        }
        expected = {f"{target}/focus", f"{target}/{nick_of(alice)}"}
        assert occupants == expected, f"ghosts in {target}: {sorted(occupants - expected)}"

    aio.run(scenario(), timeout=40)


def collections_counter(values):
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
