"""Parley against Jitsi's real client library: a prebuilt lib-jitsi-meet bundle in headless Chromium (Debian's),
with the test playing Jicofo (a raw TCP focus that creates the room, answers the conference IQ and grants owner).
It checks what the bundle itself finds and does: the components in the host's disco#info (end conference, AV
moderation, speaker stats, polls), a moderator turning audio moderation on (the bundle's AV_MODERATION_CHANGED
event), a poll and its answer coming back through the polls component (POLL_RECEIVED, POLL_ANSWER_RECEIVED), a
dominant-speaker report, and ending the meeting for all; with two pages, the lobby: the moderator's
enableLobby, a knocker refused as members-only who joins the lobby (LOBBY_USER_JOINED at the moderator), is approved
and enters the conference, and the room metadata's lobbyEnabled reaching the moderator (METADATA_UPDATED); and
breakout rooms: a moderator adding, renaming and removing one (BREAKOUT_ROOMS_UPDATED), asked to move
(BREAKOUT_ROOMS_MOVE_TO_ROOM) and moving into it as jitsi-meet does.

Opt-in: the bundle is not part of this repository (it is public code that is never committed). Set
LIB_JITSI_MEET_JS to its path, e.g. `static/vendor/lib-jitsi-meet.min.js` of arenaxr/arena-web-core (v2129,
February 2026); without it the test is skipped with that reason. Docs/Testing.md records the runs."""

from __future__ import annotations

import http.server
import json
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chromium_cdp import BrowserUnavailable, Chromium, Page
from conftest import HOST, fixture_stanza, q
from webxmpp import MUC_DOMAIN, PRESENCE, focus_factory, show, unique_room  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(90)

BUNDLE = os.environ.get("LIB_JITSI_MEET_JS", "")
BROWSER_DIR = Path(__file__).resolve().parent / "browser"
NS_FOCUS = "http://jitsi.org/protocol/focus"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"

if not BUNDLE or not Path(BUNDLE).is_file():
    pytest.skip("set LIB_JITSI_MEET_JS to a prebuilt lib-jitsi-meet bundle to run this check", allow_module_level=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    files = {
        "/ljm/": BROWSER_DIR / "ljm.html",
        "/ljm/ljm-harness.js": BROWSER_DIR / "ljm-harness.js",
        "/vendor/lib-jitsi-meet.min.js": Path(BUNDLE),
        "/ljm/vendor/lib-jitsi-meet.min.js": Path(BUNDLE),
    }

    def do_GET(self):  # noqa: N802
        target = self.files.get(self.path.split("?", 1)[0])
        if target is None:
            return self.send_error(404)
        data = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if target.suffix == ".html" else "application/javascript")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    httpd = http.server.ThreadingHTTPServer((HOST, 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    try:
        browser = Chromium(tmp_path_factory.mktemp("chromium-ljm"))
    except BrowserUnavailable as error:
        pytest.fail(f"Chromium cannot run here: {error}", pytrace=False)
    yield browser
    browser.close()


def open_page(chromium, url: str) -> Page:
    page = Page(chromium, "lib-jitsi-meet")
    result = page.call("Page.navigate", {"url": url})
    assert not result.get("errorText"), result
    for _ in range(200):
        if page.evaluate("document.readyState + '|' + typeof JitsiMeetJS + '|' + typeof LJM") == "complete|object|object":
            return page
        page.evaluate("new Promise(r => setTimeout(r, 50))")
    raise AssertionError(f"the bundle did not load{page.report()}")


def answer_conference_iqs(focus, room: str, stop: threading.Event, room_jid: str | None = None):
    """Jicofo's part: answer each conference IQ for `room` (or the room `room_jid`, a breakout room) with
    ready='true' (the fixture's result)."""
    client = focus.client
    while not stop.is_set():
        try:
            request = client.wait_for(
                lambda e: e.tag.endswith("}iq") and e.get("type") == "set" and e.find(q(NS_FOCUS, "conference")) is not None,
                timeout=0.5, what="a conference IQ")
        except AssertionError:
            continue
        result = fixture_stanza("conference-iq-result.xml").replace(
            "weeklysync@muc.meet.jitsi", room_jid or f"{room}@{MUC_DOMAIN}")
        element = ET.fromstring(result)
        element.set("to", request.get("from"))
        element.set("id", request.get("id"))
        focus.send(ET.tostring(element, encoding="unicode").replace("ns0:", "").replace(":ns0", ""))


def test_bundle_finds_and_uses_parleys_components(parley_factory, focus_factory, chromium, site):
    server = parley_factory()
    room = unique_room("ljm")
    focus = focus_factory(server)
    focus.create_room(room)
    stop = threading.Event()
    responder = threading.Thread(target=answer_conference_iqs, args=(focus, room, stop), daemon=True)
    responder.start()
    page = open_page(chromium, f"{site}/ljm/")
    try:
        service = f"ws://{HOST}:{server.ports['http']}/xmpp-websocket?room={room}"
        assert page.evaluate(f"LJM.connect({service!r}, 'meet.jitsi')", timeout=20) == "connected", page.report()
        my_id = page.evaluate(f"LJM.join({room!r})", timeout=30)
        assert my_id, page.report()
        support = page.evaluate("LJM.support()")
        assert support["endConference"] and support["avModeration"], f"{support}{page.report()}"
        assert support["speakerStatsAddress"] == "speakerstats.meet.jitsi", support
        assert support["pollsAddress"] == "polls.meet.jitsi" and support["pollsSupported"], support

        # Jicofo's auto-owner grant: the bundle becomes a moderator.
        stop.set()
        responder.join(2)
        grant_owner(focus, room, page)

        # AV moderation through the component: the bundle reports the change the component announced.
        page.evaluate("LJM.conference.enableAVModeration('audio')")
        changed = page.evaluate("LJM.waitFor('conference.av_moderation.changed', 8000)", timeout=10)
        assert "true" in changed["detail"] and "audio" in changed["detail"], changed

        # Polls through the component: the bundle's own poll and answer come back as its events.
        page.evaluate("LJM.conference.getPolls().createPoll('pz7Qw1', 'Retro day?', [{name: 'Tue'}, {name: 'Thu'}])")
        received = page.evaluate("LJM.waitFor('conference.pollReceived', 8000)", timeout=10)
        assert "pz7Qw1" in received["detail"] and "Retro day?" in received["detail"], received
        page.evaluate("LJM.conference.getPolls().answerPoll('pz7Qw1', [false, true])")
        answered = page.evaluate("LJM.waitFor('conference.pollAnswerReceived', 8000)", timeout=10)
        assert "pz7Qw1" in answered["detail"], answered

        # Speaker statistics: the bundle reports itself as the dominant speaker through the component
        # (sendDominantSpeakerEvent, as it does when the bridge names it); the component takes it without an error.
        page.evaluate(f"LJM.connection.xmpp.sendDominantSpeakerEvent('{room}@{MUC_DOMAIN}', false)")

        # End meeting for all: the room is destroyed and the bundle leaves with Jitsi's reason.
        page.evaluate("LJM.conference.end()")
        focus.wait_presence(f"{room}@{MUC_DOMAIN}/focus", available=False, timeout=8)
        ended = page.evaluate(
            "Promise.race([LJM.waitFor('conference.destroyed', 8000), LJM.waitFor('conference.failed', 8000)])",
            timeout=10)
        assert "The meeting has been terminated" in ended["detail"], f"{ended}{page.report()}"
    finally:
        stop.set()
        page.close()


def grant_owner(focus, room: str, page: Page):
    bare = page.evaluate("LJM.connection.xmpp.connection.jid").split("/")[0]
    focus.send(f"<iq type='set' id='grant-{bare[:8]}' to='{room}@{MUC_DOMAIN}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item affiliation='owner' jid='{bare}'/></query></iq>")
    page.evaluate("LJM.waitFor('conference.roleChanged', 8000)", timeout=10)
    # The first roleChanged may be another occupant's (the focus's); wait until the bundle itself moderates.
    for _ in range(160):
        if page.evaluate("LJM.conference.isModerator()"):
            return
        page.evaluate("new Promise(r => setTimeout(r, 50))")
    raise AssertionError(f"the bundle never became a moderator{page.report()}")


def test_bundle_lobby_knock_and_approve(parley_factory, focus_factory, chromium, site):
    server = parley_factory()
    room = unique_room("ljmlobby")
    focus = focus_factory(server)
    focus.create_room(room)
    stop = threading.Event()
    responder = threading.Thread(target=answer_conference_iqs, args=(focus, room, stop), daemon=True)
    responder.start()
    moderator = open_page(chromium, f"{site}/ljm/")
    knocker = open_page(chromium, f"{site}/ljm/")
    try:
        service = f"ws://{HOST}:{server.ports['http']}/xmpp-websocket?room={room}"
        for page in (moderator, knocker):
            assert page.evaluate(f"LJM.connect({service!r}, 'meet.jitsi')", timeout=20) == "connected", page.report()
        assert moderator.evaluate(f"LJM.join({room!r})", timeout=30), moderator.report()
        stop.set()
        responder.join(2)
        grant_owner(focus, room, moderator)
        stop.clear()
        responder = threading.Thread(target=answer_conference_iqs, args=(focus, room, stop), daemon=True)
        responder.start()

        moderator.evaluate("LJM.conference.enableLobby()", timeout=10)
        moderator.evaluate("LJM.waitFor('conference.membersOnlyChanged', 8000, 'true')", timeout=10)
        moderator.evaluate("LJM.waitFor('conference.metadata.updated', 8000, 'lobbyEnabled')", timeout=10)

        refused = knocker.evaluate(
            f"LJM.join({room!r}, 'Kim').then(() => 'joined', e => 'failed: ' + e.message)", timeout=30)
        assert refused.startswith("failed") and "membersOnly" in refused, f"{refused}{knocker.report()}"
        knocker.evaluate("LJM.conference.joinLobby('Kim')", timeout=15)
        knocked = moderator.evaluate("LJM.waitFor('conference.lobby.userJoined', 8000)", timeout=10)
        assert "Kim" in knocked["detail"], knocked
        lobby_id = json.loads(knocked["detail"])[0]
        moderator.evaluate(f"LJM.conference.lobbyApproveAccess({lobby_id!r})")
        knocker.evaluate("LJM.waitFor('conference.joined', 15000)", timeout=17)
    finally:
        stop.set()
        responder.join(2)
        moderator.close()
        knocker.close()


def test_bundle_joins_a_tenants_room(parley_factory, focus_factory, chromium, site):
    """A tenant's page (`/acme/room`: hosts.muc = muc.acme.meet.jitsi) joins the virtual room; Jicofo sees and creates
    the real `[acme]room` (mod_muc_domain_mapper), and the bundle's conference works on the virtual address."""
    server = parley_factory()
    room = unique_room("ljmtenant")
    real = f"[acme]{room}"
    focus = focus_factory(server)
    focus.create_room(real)
    stop = threading.Event()
    responder = threading.Thread(target=answer_conference_iqs, args=(focus, real, stop), daemon=True)
    responder.start()
    page = open_page(chromium, f"{site}/ljm/")
    try:
        service = f"ws://{HOST}:{server.ports['http']}/xmpp-websocket?room={room}&prefix=acme"
        connected = page.evaluate(f"LJM.connect({service!r}, 'meet.jitsi', 'muc.acme.meet.jitsi')", timeout=20)
        assert connected == "connected", page.report()
        my_id = page.evaluate(f"LJM.join({room!r}, 'Tenant User')", timeout=30)
        assert my_id, page.report()
        assert page.evaluate("LJM.conference.room.roomjid") == f"{room}@muc.acme.meet.jitsi", page.report()
        stop.set()  # the focus connection is read by this thread alone from here
        responder.join(2)
        # (The responder read and dropped the join presence; a new display name sends another.)
        page.evaluate("LJM.conference.setDisplayName('Renamed Tenant User')")
        seen = focus.client.wait_for(
            lambda e: e.tag.endswith("}presence") and (e.get("from") or "").startswith(f"{real}@{MUC_DOMAIN}/")
            and "Renamed Tenant User" in ET.tostring(e, encoding="unicode"),
            what="the bundle's presence, from the real room")
        occupant = seen.get("from")
        # Groupchat from the bundle reaches Jicofo from the real room; Jicofo's reaches the bundle from the virtual.
        page.evaluate("LJM.conference.sendTextMessage('hello from a tenant')")
        focus.client.wait_for(lambda e: e.tag.endswith("}message") and e.get("from") == occupant,
                              what="the bundle's message, from the real room")
        focus.send(f"<message to='{real}@{MUC_DOMAIN}' type='groupchat'><body>hello back</body></message>")
        received = page.evaluate("LJM.waitFor('conference.messageReceived', 8000, 'hello back')", timeout=10)
        assert "hello back" in received["detail"], received
    finally:
        stop.set()
        page.close()


def test_bundle_breakout_rooms(parley_factory, focus_factory, chromium, site):
    """A moderator's bundle adds, renames and removes a breakout room, is asked to move and moves into it as
    jitsi-meet does (a second conference with `customDomain`), and reads the main room from the breakout room."""
    server = parley_factory()
    room = unique_room("ljmbreakout")
    main_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    stop = threading.Event()
    responder = threading.Thread(target=answer_conference_iqs, args=(focus, room, stop), daemon=True)
    responder.start()
    page = open_page(chromium, f"{site}/ljm/")
    try:
        service = f"ws://{HOST}:{server.ports['http']}/xmpp-websocket?room={room}"
        assert page.evaluate(f"LJM.connect({service!r}, 'meet.jitsi')", timeout=20) == "connected", page.report()
        assert page.evaluate(f"LJM.join({room!r}, 'Mo')", timeout=30), page.report()
        stop.set()
        responder.join(2)
        grant_owner(focus, room, page)
        rooms = "LJM.conference.getBreakoutRooms()"
        assert page.evaluate(f"{rooms}.isSupported()") is True, page.report()
        assert page.evaluate(f"{rooms}.getComponentAddress()") == "breakout.meet.jitsi", page.report()
        for _ in range(100):  # the rename feature comes from an asynchronous disco#info of the component's node
            if page.evaluate(f"{rooms}.isFeatureSupported('rename')"):
                break
            page.evaluate("new Promise(r => setTimeout(r, 50))")
        assert page.evaluate(f"{rooms}.isFeatureSupported('rename')") is True, page.report()

        page.evaluate(f"{rooms}.createBreakoutRoom('Room 1')")
        updated = page.evaluate("LJM.waitFor('conference.breakout-rooms.updated', 8000, 'Room 1')", timeout=10)
        payload = json.loads(updated["detail"])[0]
        listed = payload["rooms"]
        assert listed[room]["isMainRoom"] and listed[room]["jid"] == main_jid, payload
        my_jid = page.evaluate("LJM.connection.xmpp.connection.jid")
        assert [p["jid"] for p in listed[room]["participants"].values()] == [my_jid], payload
        breakout_jid = next(r["jid"] for r in listed.values() if r.get("name") == "Room 1")
        page.evaluate(f"{rooms}.renameBreakoutRoom({breakout_jid!r}, 'Design')")
        page.evaluate("LJM.waitFor('conference.breakout-rooms.updated', 8000, 'Design')", timeout=10)
        page.evaluate(f"{rooms}.sendParticipantToRoom({my_jid!r}, {breakout_jid!r})")
        move = page.evaluate("LJM.waitFor('conference.breakout-rooms.move-to-room', 8000)", timeout=10)
        assert breakout_jid in move["detail"], move

        # jitsi-meet's move: leave the main conference, Jicofo starts the breakout room, join it with customDomain.
        node, domain = breakout_jid.split("@")
        page.evaluate("LJM.conference.leave()", timeout=10)
        occupant = f"{breakout_jid}/focus"
        focus.send(fixture_stanza("focus-join-presence.xml").replace("weeklysync@muc.meet.jitsi/focus", occupant))
        focus.client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant and e.get("type") is None,
                              what="focus in the breakout room")
        stop.clear()
        responder = threading.Thread(target=answer_conference_iqs, args=(focus, room, stop, breakout_jid), daemon=True)
        responder.start()
        joined = page.evaluate(f"LJM.join({node!r}, 'Mo', {{customDomain: {domain!r}}})", timeout=30)
        assert joined, page.report()
        assert page.evaluate("LJM.conference.room.roomjid") == breakout_jid, page.report()
        for _ in range(100):  # isBreakoutRoom and the main room come from the room's disco#info
            if page.evaluate(f"{rooms}.getMainRoomJid() || null"):
                break
            page.evaluate("new Promise(r => setTimeout(r, 50))")
        assert page.evaluate(f"{rooms}.isBreakoutRoom()") is True, page.report()
        assert page.evaluate(f"{rooms}.getMainRoomJid()") == main_jid, page.report()
        assert page.evaluate("LJM.conference.isModerator()"), "the main room's owner moderates its breakout room"

        # Removing the room it is in ends it for the bundle with the module's reason.
        page.evaluate(f"{rooms}.removeBreakoutRoom({breakout_jid!r})")
        ended = page.evaluate(
            "Promise.race([LJM.waitFor('conference.destroyed', 8000, 'Breakout room removed.'),"
            " LJM.waitFor('conference.failed', 8000, 'Breakout room removed.')])", timeout=10)
        assert "Breakout room removed." in ended["detail"], f"{ended}{page.report()}"
    finally:
        stop.set()
        responder.join(2)
        page.close()
