"""Real browsers: headless Chromium (Debian's `chromium`) pages running Debian's strophe.js (libjs-strophe) through
a small harness (Tests/Interop/browser/harness.js), driven over the Chrome DevTools Protocol.

Two participants log in anonymously, join the same room (created first by a focus client, as Jicofo does),
see each other's presence with lib-jitsi-meet's extensions (nick, stats-id, caps, features, SourceInfo… from
Tests/Fixtures/jitsi/participant-join-presence.xml) relayed unchanged, exchange a groupchat message and Jingle
IQs through their occupant JIDs (each answered with a result carrying Strophe's id), then leave (the focus sees
them go). Over WebSocket (with XEP-0198 enabled as lib-jitsi-meet does), over BOSH (cross-origin: the page comes
from another port, so `http.cors_origins` must allow it), and through Debian's nginx configured like Jitsi's
template (page and both XMPP paths on one origin, `?prefix=$prefix&$args`).

Spec: jitsi-requirements §1.2, R3, R4, R12, §3.3, §3.4. Only 127.0.0.1 is contacted; Chromium, nginx and the
page server are stopped by the fixtures."""

from __future__ import annotations

import re
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import ANON_DOMAIN, NS_CLIENT, fixture_stanza, q
from chromium_cdp import BrowserUnavailable, Chromium, Nginx, Page, PageServer, strophe_available
from webxmpp import (
    MESSAGE,
    MUC_DOMAIN,
    NS_JINGLE,
    NS_MUC_USER,
    NS_NICK,
    PRESENCE,
    SM_ID_RE,
    focus_factory,  # noqa: F401  (fixture)
    http_request,
    participant_join,
    relayed_children,
    show,
    start_with_config,
    status_codes,
    unique_room,
)

pytestmark = pytest.mark.timeout(60)

JID_RE = re.compile(r"[a-z0-9]+@meet\.jitsi/.+")


# ---------------------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    missing = strophe_available()
    if missing:
        pytest.fail(missing, pytrace=False)
    try:
        browser = Chromium(tmp_path_factory.mktemp("chromium"))
    except BrowserUnavailable as error:
        pytest.fail(f"Chromium cannot run here: {error}", pytrace=False)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def page_server():
    server = PageServer()
    yield server
    server.close()


@pytest.fixture
def pages(chromium):
    opened: list[Page] = []

    def make(name: str) -> Page:
        page = Page(chromium, name)
        opened.append(page)
        return page

    yield make
    for page in opened:
        page.close()


@pytest.fixture
def nginx_factory(tmp_path):
    started: list[Nginx] = []

    def start(parley_http: int) -> Nginx:
        try:
            proxy = Nginx(tmp_path, parley_http)
        except BrowserUnavailable as error:
            pytest.fail(str(error), pytrace=False)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------


def node_tree(element: ET.Element, parent_ns: str) -> dict:
    """An element as the harness's builder input: name, attributes (xmlns when it changes), text, children."""
    ns, name = element.tag[1:].split("}", 1) if element.tag.startswith("{") else ("", element.tag)
    attrs = {k: v for k, v in element.attrib.items() if not k.startswith("{")}
    if ns != parent_ns:
        attrs["xmlns"] = ns
    return {
        "name": name,
        "attrs": attrs,
        "text": "" if len(element) else (element.text or ""),
        "children": [node_tree(child, ns) for child in element],
    }


def children_of(stanza: str) -> list[dict]:
    root = ET.fromstring(stanza)
    return [node_tree(child, NS_CLIENT) for child in root]


def parse_stanza(text: str) -> ET.Element:
    """A stanza serialized by Strophe, in jabber:client whether or not it carries the xmlns."""
    element = ET.fromstring(f"<wrap xmlns='{NS_CLIENT}'>{text}</wrap>")
    return element[0]


def wait_stanza(page: Page, predicate, what: str, timeout: float = 8.0) -> ET.Element:
    deadline = time.monotonic() + timeout
    while True:
        for text in page.stanzas():
            element = parse_stanza(text)
            if predicate(element):
                return element
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.name} got no {what} within {timeout} s{page.report()}")
        time.sleep(0.1)


def tree(element: ET.Element):
    text = (element.text or "").strip() if len(element) else (element.text or "")
    return (element.tag, tuple(sorted(element.attrib.items())), text, tuple(tree(c) for c in element))


class Participant:
    def __init__(self, page: Page, jid: str, display: str):
        self.page = page
        self.jid = jid
        self.display = display
        self.occupant: str | None = None
        self.join_stanza: str | None = None


def run_call(pages, focus, page_url: str, service: str, transport: str) -> None:
    """The whole scenario for two browsers on one transport URL."""
    room = unique_room(f"browser{transport}")
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus.create_room(room)
    separator = "&" if "?" in service else "?"
    url = f"{service}{separator}room={urllib.parse.quote(room)}"
    websocket = service.startswith("ws")

    people: list[Participant] = []
    for display in ("Alice", "Bob"):
        page = pages(display)
        page.open(page_url)
        try:
            jid = page.harness("connect", url, ANON_DOMAIN, {"streamManagement": True})
        except AssertionError as error:
            raise AssertionError(f"{display} could not log in over {transport} ({url}): {error}") from None
        assert JID_RE.fullmatch(jid or ""), f"{display} bound {jid!r}{page.report()}"
        people.append(Participant(page, jid, display))
    alice, bob = people

    # lib-jitsi-meet enables stream management over WebSocket only, when offered (jitsi R12).
    for person in people:
        sm = person.page.evaluate("Harness.sm")
        if websocket:
            assert sm["offered"] and sm["enabled"] and SM_ID_RE.fullmatch(sm["id"] or ""), (
                f"{person.display}: XEP-0198 over WebSocket: {sm}{person.page.report()}"
            )
        else:
            assert not sm["offered"], f"{person.display}: <sm/> offered over BOSH: {sm}"

    # Join with lib-jitsi-meet's presence; nick = first 8 characters of the anonymous username.
    for person in people:
        nick = person.jid.split("@", 1)[0][:8]
        person.occupant = f"{room_jid}/{nick}"
        person.join_stanza = participant_join(room, nick, person.display)
        own = parse_stanza(person.page.harness("join", person.occupant, children_of(person.join_stanza)))
        codes = status_codes(own)
        assert "110" in codes and "201" not in codes, f"{person.display}'s self-presence: {show(own)}"
        assert relayed_children(own) == relayed_children(ET.fromstring(person.join_stanza)), (
            f"{person.display}'s self-presence does not carry the join's extensions unchanged: {show(own)}"
        )

    for person, other in ((alice, bob), (bob, alice)):
        seen = wait_stanza(person.page, lambda e: e.tag == PRESENCE and e.get("from") == other.occupant
                           and e.get("type") is None, f"{other.display}'s presence")
        sent = ET.fromstring(other.join_stanza)
        assert relayed_children(seen) == relayed_children(sent), (
            f"{person.display} got {other.display}'s presence with its Jitsi extensions changed:\n"
            f"sent {other.join_stanza}\ngot  {show(seen)}"
        )
        assert seen.findtext(q(NS_NICK, "nick")) == other.display, show(seen)
        assert seen.findtext(q(NS_CLIENT, "stats-id")) == f"{other.display}-stats", show(seen)
        assert seen.find(f"{q(NS_CLIENT, 'features')}/{q(NS_CLIENT, 'feature')}") is not None, show(seen)
        assert seen.findtext(q(NS_CLIENT, "SourceInfo")).startswith("{"), show(seen)
        item = seen.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'item')}")
        assert item is not None and item.get("role") == "participant", show(seen)
        wait_stanza(person.page, lambda e: e.tag == PRESENCE and e.get("from") == f"{room_jid}/focus",
                    "the focus's presence")

    # Groupchat through the room.
    body = f"Hello from Alice over {transport}"
    alice.page.harness("groupchat", room_jid, body)
    for person in people:
        got = wait_stanza(person.page, lambda e: e.tag == MESSAGE and e.get("from") == alice.occupant
                          and e.findtext(q(NS_CLIENT, "body")) == body, "Alice's groupchat message")
        assert got.get("type") == "groupchat", show(got)

    # IQs through occupant JIDs, both ways (P2P Jingle style): the answer carries the request's id.
    jingle_children = children_of(fixture_stanza("jingle-source-add.xml"))
    for sender, receiver in ((alice, bob), (bob, alice)):
        outcome = sender.page.harness("sendIq", receiver.occupant, "set", jingle_children, 8000)
        assert outcome["outcome"] == "result", (
            f"{sender.display} → {receiver.occupant}: {outcome}{sender.page.report()}{receiver.page.report()}"
        )
        reply = parse_stanza(outcome["reply"])
        assert reply.get("id") == outcome["id"] and reply.get("type") == "result", show(reply)
        assert reply.get("from") == receiver.occupant, f"the result comes from {reply.get('from')!r}: {show(reply)}"
        assert outcome["id"].endswith("sendIQ"), outcome["id"]
        answered = receiver.page.evaluate("Harness.answered.slice()")
        mine = [a for a in answered if a["from"] == sender.occupant]
        assert len(mine) == 1, f"{receiver.display} answered {answered}"
        request = parse_stanza(mine[0]["xml"])
        assert request.get("type") == "set"
        jingle = request.find(q(NS_JINGLE, "jingle"))
        sent_jingle = ET.fromstring(fixture_stanza("jingle-source-add.xml")).find(q(NS_JINGLE, "jingle"))
        assert jingle is not None and tree(jingle) == tree(sent_jingle), (
            f"the Jingle payload changed between the browsers: {show(request)}"
        )

    # Leaving: unavailable presence and the transport's close; the room sees both go.
    for person in people:
        person.page.harness("disconnect")
        focus.wait_presence(person.occupant, available=False, timeout=6)


# ---------------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------------


def test_browsers_over_websocket(parley_factory, focus_factory, pages, page_server):
    server = parley_factory()
    focus = focus_factory(server)
    run_call(pages, focus, f"{page_server.origin}/browser/index.html",
             f"ws://127.0.0.1:{server.ports['http']}/xmpp-websocket", "websocket")


def test_browsers_over_bosh_with_cors(parley_factory, focus_factory, pages, page_server):
    """The page comes from another origin than /http-bind: Strophe's POSTs need CORS (http.cors_origins)."""
    server = start_with_config(parley_factory, {"http": {"cors_origins": [page_server.origin]}}, "http.cors_origins")
    focus = focus_factory(server)
    run_call(pages, focus, f"{page_server.origin}/browser/index.html",
             f"http://127.0.0.1:{server.ports['http']}/http-bind", "bosh")


@pytest.mark.parametrize("transport", ["websocket", "bosh"])
def test_browsers_through_jitsi_nginx(parley_factory, focus_factory, pages, nginx_factory, transport):
    """Jitsi's deployment: nginx serves the page and proxies /xmpp-websocket and /http-bind (one origin)."""
    server = parley_factory()
    proxy = nginx_factory(server.ports["http"])
    focus = focus_factory(server)
    path = "xmpp-websocket" if transport == "websocket" else "http-bind"
    scheme = "ws" if transport == "websocket" else "http"
    run_call(pages, focus, f"{proxy.origin}/browser/index.html", f"{scheme}://127.0.0.1:{proxy.port}/{path}",
             f"nginx{transport}")
    assert proxy.proc.poll() is None, f"nginx died:\n{proxy.describe()}"
    log = (proxy.prefix / "access.log").read_text()
    if transport == "websocket":
        # nginx logs an upgraded connection when it closes, which may be a moment after the page left.
        deadline = time.monotonic() + 10
        while not re.search(r'"GET /xmpp-websocket\?room=\S+ HTTP/1.1" 101 ', log) and time.monotonic() < deadline:
            time.sleep(0.1)
            log = (proxy.prefix / "access.log").read_text()
        assert re.search(r'"GET /xmpp-websocket\?room=\S+ HTTP/1.1" 101 ', log), f"no upgraded WebSocket in nginx's log:\n{log}"
    else:
        assert re.search(r'"POST /http-bind\?room=\S+ HTTP/1.1" 200 ', log), f"no BOSH POST in nginx's log:\n{log}"


@pytest.mark.parametrize("transport", ["websocket", "bosh"])
def test_debian_strophe_login_with_session_iq(parley_factory, pages, page_server, transport):
    """Debian's strophe.js 1.2.14 unchanged sends the RFC 3921 session IQ because the server advertises
    <session/> (with <optional/>); an advertised feature must be answered with a result, or Strophe 1.2 reports
    AUTHFAIL and never connects."""
    config = {"http": {"cors_origins": [page_server.origin]}} if transport == "bosh" else None
    server = start_with_config(parley_factory, config, "http.cors_origins") if config else parley_factory()
    page = pages("Strophe-1.2")
    page.open(f"{page_server.origin}/browser/index.html")
    path = "xmpp-websocket" if transport == "websocket" else "http-bind"
    scheme = "ws" if transport == "websocket" else "http"
    try:
        jid = page.harness("connect", f"{scheme}://127.0.0.1:{server.ports['http']}/{path}", ANON_DOMAIN,
                           {"strophe12Session": True})
    except AssertionError as error:
        raise AssertionError(f"Debian's strophe.js (session IQ sent as advertised) could not log in: {error}") from None
    assert JID_RE.fullmatch(jid or ""), jid


def test_jitsi_nginx_keepalive_query_and_tenants(parley_factory, nginx_factory):
    """Through nginx: the keep-alive GET gets 200; `$args` reach the server (a refused `room` gets 403); the
    tenant paths /<tenant>/xmpp-websocket and /<tenant>/http-bind are rewritten with prefix=<tenant>."""
    server = parley_factory()
    proxy = nginx_factory(server.ports["http"])
    status, _, data = http_request(proxy.port, "GET", "/xmpp-websocket?room=weeklysync")
    assert status == 200, (status, data)
    status, _, data = http_request(proxy.port, "GET", "/xmpp-websocket?room=alice%40example.org")
    assert status == 403, f"the room parameter did not reach the server through nginx: {status} {data!r}"
    status, _, data = http_request(proxy.port, "GET", "/mytenant/xmpp-websocket?room=weeklysync")
    assert status == 200, (status, data)
    body = ("<body xmlns='http://jabber.org/protocol/httpbind' rid='42' to='meet.jitsi' wait='60' hold='1' ver='1.6' "
            "xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>")
    for path in ("/http-bind?room=weeklysync", "/mytenant/http-bind?room=weeklysync"):
        status, _, data = http_request(proxy.port, "POST", path, body, {"Content-Type": "text/xml; charset=utf-8"})
        assert status == 200 and b"sid=" in data, (path, status, data)
    status, _, _ = http_request(proxy.port, "GET", "/browser/index.html")
    assert status == 200
