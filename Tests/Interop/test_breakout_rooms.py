"""Jitsi's breakout rooms (`mod_muc_breakout_rooms`) over WebSocket, with the stanzas lib-jitsi-meet's BreakoutRooms
module sends (`<message to='breakout.meet.jitsi'><breakout_rooms type='features/breakout-rooms/…' …/></message>`,
attributes as Strophe's `c('breakout_rooms', message)` writes them) from sessions opened with `?room=`: a moderator
adds, renames and removes rooms and moves participants; everyone but the focus gets the room list
(`features/breakout-rooms/update`) with its participants; the focus starts a breakout room as Jicofo does and reads
its owner form; the main room's end closes its breakout rooms, and the main room closes 5 s after everyone left.
Focus is a raw TCP client that creates the rooms like Jicofo. One server for the module."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

import pytest

from conftest import NS_CLIENT, fixture_stanza, q, stanza_error
from webxmpp import (
    error_from,
    host_identities,
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    PRESENCE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    participant_join,
    show,
    status_codes,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(40)

BREAKOUT = "breakout.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DATA = "jabber:x:data"


def breakout_command(client: WSClient, **attributes: str):
    """lib-jitsi-meet's `_sendMessage`: `$msg({to: component}).c('breakout_rooms', message)`."""
    attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items())
    client.send(f"<message xmlns='{NS_CLIENT}' to='{BREAKOUT}'><breakout_rooms {attrs}/></message>")


def json_from_component(event: str):
    def match(e: ET.Element) -> bool:
        if e.tag != MESSAGE or e.get("from") != BREAKOUT or e.get("type") == "error":
            return False
        body = e.findtext(q(NS_JITMEET, "json-message"))
        if body is None:
            return False
        obj = json.loads(body)
        return obj.get("type") == "breakout_rooms" and obj.get("event") == event

    return match


def room_list(client: WSClient, what: str, condition=lambda rooms: True) -> dict:
    """Waits for a room list whose rooms satisfy `condition`; returns the rooms."""
    def match(e: ET.Element) -> bool:
        if not json_from_component("features/breakout-rooms/update")(e):
            return False
        return condition(json.loads(e.findtext(q(NS_JITMEET, "json-message")))["rooms"])

    element = client.wait_for(match, what=what)
    return json.loads(element.findtext(q(NS_JITMEET, "json-message")))["rooms"]


def breakout_join(client: WSClient, breakout_jid: str, room: str, nick: str, display: str) -> ET.Element:
    """lib-jitsi-meet joining the breakout room with its nick from the main room; returns the self-presence."""
    stanza = participant_join(room, nick, display).replace(f"{room}@{MUC_DOMAIN}/", f"{breakout_jid}/")
    client.send(stanza)
    return client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{breakout_jid}/{nick}"
                           and e.get("type") is None, what=f"self-presence in {breakout_jid}")


def focus_join_breakout(focus, breakout_jid: str) -> ET.Element:
    occupant = f"{breakout_jid}/focus"
    focus.send(fixture_stanza("focus-join-presence.xml").replace("weeklysync@muc.meet.jitsi/focus", occupant))
    return focus.client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant and e.get("type") is None,
                                 what="focus's self-presence in the breakout room")


def form_fields(element: ET.Element) -> dict:
    return {f.get("var"): f.findtext(q(NS_DATA, "value")) for f in element.iter(q(NS_DATA, "field"))}


def moderated_conference(server, ws_clients, focus_factory, prefix: str):
    """focus creates the room, alice joins and is made owner (moderator), bob joins; both opened with ?room=."""
    room = unique_room(prefix)
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    alice.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    focus.send(f"<iq type='set' id='grant' to='{room_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == a_occ
                   and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))), what="moderator")
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob.login()
    b_occ, _ = ws_join(bob, room, "Bob")
    return room, room_jid, focus, alice, a_occ, bob, b_occ


def add_room(alice: WSClient, subject: str, known: set[str]) -> str:
    """Adds a breakout room as lib-jitsi-meet's createBreakoutRoom does; returns its JID from the room list."""
    breakout_command(alice, subject=subject, type="features/breakout-rooms/add")
    rooms = room_list(alice, f"the list with {subject}",
                      lambda rooms: any(r.get("name") == subject and r["jid"] not in known for r in rooms.values()))
    return next(r["jid"] for r in rooms.values() if r.get("name") == subject and r["jid"] not in known)


def test_breakout_rooms_identity_and_features(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "breakout_rooms")) == BREAKOUT, identities
    # lib-jitsi-meet's caps.getFeaturesAndIdentities(component, 'breakout_rooms'): the rename feature.
    client = WSClient(server.ports["http"], "room=featurecheck")
    try:
        client.login()
        client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='bf' to='{BREAKOUT}'>"
                    f"<query xmlns='{NS_DISCO_INFO}' node='breakout_rooms'/></iq>")
        info = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "bf", what="the node's disco#info")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert info.get("type") == "result" and "http://jitsi.org/protocol/breakout_rooms#rename" in features, show(info)
        # The domain is a MUC service (Smack checks it before joining).
        client.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='bd' to='{BREAKOUT}'><query xmlns='{NS_DISCO_INFO}'/></iq>")
        info = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "bd", what="the domain's disco#info")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert "http://jabber.org/protocol/muc" in features, show(info)
    finally:
        client.close()


def test_add_join_rename_move_and_remove(server, ws_clients, focus_factory):
    room, room_jid, focus, alice, a_occ, bob, b_occ = moderated_conference(server, ws_clients, focus_factory, "standup")
    b_nick = b_occ.rsplit("/", 1)[1]
    breakout_jid = add_room(alice, "Room 1", set())
    assert breakout_jid.endswith("@" + BREAKOUT) and breakout_jid.startswith(room + "_"), breakout_jid
    rooms = room_list(bob, "bob's copy of the list")
    main = rooms[room]
    assert main["isMainRoom"] is True and main["jid"] == room_jid, main
    assert set(main["participants"]) == {a_occ, b_occ}, main
    assert main["participants"][b_occ]["displayName"] == "Bob" and main["participants"][b_occ]["jid"] == bob.jid, main
    assert main["participants"][a_occ]["role"] == "moderator", main

    # Jicofo starts the breakout room, gets 201, and reads the breakout fields of its owner form.
    own = focus_join_breakout(focus, breakout_jid)
    assert "201" in status_codes(own), show(own)
    focus.send(f"<iq type='get' id='bform' to='{breakout_jid}'><query xmlns='{NS_MUC_OWNER}'/></iq>")
    form = focus.client.wait_for(lambda e: e.tag == IQ and e.get("id") == "bform", what="the owner form")
    fields = form_fields(form)
    assert fields.get("muc#roominfo_isbreakout") == "1", show(form)
    assert fields.get("muc#roominfo_breakout_main_room") == room_jid, show(form)

    # bob moves: leaves the main room as lib-jitsi-meet's leave('switch_room') does, and joins the breakout room
    # with the same nick; meanwhile nobody else may take it.
    bob.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{b_occ}'><status>switch_room</status></presence>")
    bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == b_occ and e.get("type") == "unavailable",
                 what="bob out of the main room")
    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    carol.send(participant_join(room, b_nick, "Carol"))
    taken = carol.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == b_occ, what="the answer to carol")
    assert stanza_error(taken) == ("cancel", "conflict"), show(taken)
    breakout_join(bob, breakout_jid, room, b_nick, "Bob")
    rooms = room_list(alice, "the list with bob in the breakout room",
                      lambda rooms: f"{breakout_jid}/{b_nick}" in rooms[breakout_jid.split("@")[0]]["participants"])
    assert b_occ not in rooms[room]["participants"], rooms
    assert not any(k.endswith("/focus") for r in rooms.values() for k in r["participants"]), rooms
    # The breakout room's disco#info points at the main room (lib-jitsi-meet's getMainRoomJid).
    bob.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='bdisco' to='{breakout_jid}'><query xmlns='{NS_DISCO_INFO}'/></iq>")
    info = bob.wait_for(lambda e: e.tag == IQ and e.get("id") == "bdisco", what="the breakout room's disco#info")
    assert form_fields(info).get("muc#roominfo_breakout_main_room") == room_jid, show(info)

    # Rename: bob gets the subject, everyone the new name.
    breakout_command(alice, breakoutRoomJid=breakout_jid, subject="Design", type="features/breakout-rooms/rename")
    subject = bob.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == breakout_jid
                           and e.findtext(q(NS_CLIENT, "subject")) == "Design", what="the new subject")
    assert subject is not None
    room_list(bob, "the renamed list", lambda rooms: rooms[breakout_jid.split("@")[0]].get("name") == "Design")

    # Move: bob is asked to go back to the main room.
    breakout_command(alice, participantJid=bob.jid, roomJid=room_jid, type="features/breakout-rooms/move-to-room")
    move = bob.wait_for(json_from_component("features/breakout-rooms/move-to-room"), what="the move request")
    assert json.loads(move.findtext(q(NS_JITMEET, "json-message")))["roomJid"] == room_jid, show(move)

    # Remove: bob, still in it, is sent back to the main room.
    breakout_command(alice, breakoutRoomJid=breakout_jid, type="features/breakout-rooms/remove")
    gone = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "unavailable"
                        and e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None,
                        what="the breakout room's end")
    destroy = gone.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}")
    assert destroy.get("jid") == room_jid, show(gone)
    assert destroy.findtext(q(NS_MUC_USER, "reason")) == "Breakout room removed.", show(gone)
    room_list(alice, "the list without the room", lambda rooms: set(rooms) == {room})
    ws_join(bob, room, "Bob")


def test_refusals_leave_other_rooms_alone(server, ws_clients, focus_factory):
    room, room_jid, focus, alice, a_occ, bob, b_occ = moderated_conference(server, ws_clients, focus_factory, "retro")
    # A participant may not manage breakout rooms.
    breakout_command(bob, subject="Mine", type="features/breakout-rooms/add")
    refused = bob.wait_for(error_from(BREAKOUT), what="the refusal")
    assert stanza_error(refused) == ("auth", "forbidden"), show(refused)
    # Malformed commands.
    bob.send(f"<message xmlns='{NS_CLIENT}' to='{BREAKOUT}'><breakout_rooms/></message>")
    assert stanza_error(bob.wait_for(error_from(BREAKOUT), what="no type")) == ("modify", "bad-request")
    breakout_command(alice, type="features/breakout-rooms/remove", breakoutRoomJid="@@@")
    assert stanza_error(alice.wait_for(error_from(BREAKOUT), what="a bad JID")) == ("modify", "bad-request")
    breakout_command(alice, type="features/breakout-rooms/warp")
    assert stanza_error(alice.wait_for(error_from(BREAKOUT), what="an unknown action")) == ("modify", "bad-request")
    alice.send(f"<message xmlns='{NS_CLIENT}' to='{BREAKOUT}'><body>hi</body></message>")
    assert stanza_error(alice.wait_for(error_from(BREAKOUT), what="no command")) == ("modify", "bad-request")
    # Unknown rooms.
    unknown = f"{room}_1b4e28ba-2fa1-11d2-883f-0016d3cca427@{BREAKOUT}"
    breakout_command(alice, breakoutRoomJid=unknown, subject="x", type="features/breakout-rooms/rename")
    assert stanza_error(alice.wait_for(error_from(BREAKOUT), what="an unknown room")) == ("cancel", "item-not-found")
    breakout_command(alice, participantJid=bob.jid, roomJid=unknown, type="features/breakout-rooms/move-to-room")
    assert stanza_error(alice.wait_for(error_from(BREAKOUT), what="an unknown target")) == ("cancel", "item-not-found")
    bob.send(f"<presence xmlns='{NS_CLIENT}' id='inv' to='{unknown}/zz'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    invalid = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("id") == "inv", what="the invalid room's answer")
    assert stanza_error(invalid) == ("cancel", "not-allowed"), show(invalid)
    assert invalid.findtext(f"{q(NS_CLIENT, 'error')}/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text") == \
        "Breakout room is invalid.", show(invalid)
    # A session opened for no meeting.
    stray = ws_clients(WSClient(server.ports["http"]))
    stray.login()
    breakout_command(stray, subject="x", type="features/breakout-rooms/add")
    assert stanza_error(stray.wait_for(error_from(BREAKOUT), what="no ?room=")) == ("cancel", "item-not-found")
    # A listed room the focus has not started cannot be created by a participant.
    breakout_jid = add_room(alice, "Room 1", set())
    b_nick = b_occ.rsplit("/", 1)[1]
    bob.send(participant_join(room, b_nick, "Bob").replace(f"{room}@{MUC_DOMAIN}/", f"{breakout_jid}/"))
    early = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{breakout_jid}/{b_nick}",
                         what="the answer to an early join")
    assert stanza_error(early) == ("cancel", "not-allowed"), show(early)
    # The meeting goes on: a groupchat still reaches everyone.
    alice.send(f"<message xmlns='{NS_CLIENT}' to='{room_jid}' type='groupchat'><body>still here</body></message>")
    bob.wait_for(lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == "still here", what="the groupchat")


def test_the_main_rooms_end_closes_its_breakout_rooms(server, ws_clients, focus_factory):
    room, room_jid, focus, alice, a_occ, bob, b_occ = moderated_conference(server, ws_clients, focus_factory, "allhands")
    b_nick = b_occ.rsplit("/", 1)[1]
    breakout_jid = add_room(alice, "Room 1", set())
    focus_join_breakout(focus, breakout_jid)
    bob.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{b_occ}'/>")
    breakout_join(bob, breakout_jid, room, b_nick, "Bob")
    alice.send(f"<message xmlns='{NS_CLIENT}' to='endconference.meet.jitsi'><end_conference/></message>")
    gone = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{breakout_jid}/{b_nick}"
                        and e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None,
                        what="the breakout room's end")
    reason = gone.findtext(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}/{q(NS_MUC_USER, 'reason')}")
    assert reason == "The meeting has been terminated", show(gone)
    # Nothing of it is left: a join is refused as for a room never listed.
    bob.send(f"<presence xmlns='{NS_CLIENT}' id='late' to='{breakout_jid}/{b_nick}'>"
             f"<x xmlns='http://jabber.org/protocol/muc'/></presence>")
    late = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("id") == "late", what="the late join's answer")
    assert stanza_error(late) == ("cancel", "not-allowed"), show(late)


def test_the_main_room_closes_after_everyone_left_every_room(server, ws_clients, focus_factory):
    room, room_jid, focus, alice, a_occ, bob, b_occ = moderated_conference(server, ws_clients, focus_factory, "offsite")
    b_nick = b_occ.rsplit("/", 1)[1]
    breakout_jid = add_room(alice, "Room 1", set())
    focus_join_breakout(focus, breakout_jid)
    bob.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{b_occ}'/>")
    breakout_join(bob, breakout_jid, room, b_nick, "Bob")
    alice.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{a_occ}'/>")
    # Only the focus is left in the main room, bob in the breakout room: nothing closes.
    focus.client.poll(0.5)
    assert not [e for e in focus.client.elements if e.tag == PRESENCE and e.get("from") == f"{room_jid}/focus"
                and e.get("type") == "unavailable"], "the main room closed while bob was in a breakout room"
    bob.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{breakout_jid}/{b_nick}'/>")
    closed = focus.client.wait_for(
        lambda e: e.tag == PRESENCE and e.get("from") == f"{room_jid}/focus" and e.get("type") == "unavailable",
        timeout=10, what="the main room closing")
    reason = closed.findtext(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}/{q(NS_MUC_USER, 'reason')}")
    assert reason == "All occupants left.", show(closed)


def test_a_tenants_meeting_sees_its_main_room_by_its_virtual_address(server, ws_clients, focus_factory):
    # https://meet.jitsi/acme/<room>: lib-jitsi-meet joins <room>@muc.acme.meet.jitsi (mod_muc_domain_mapper).
    room = unique_room("tenantsync")
    real_jid, virtual_jid = f"[acme]{room}@{MUC_DOMAIN}", f"{room}@muc.acme.meet.jitsi"
    focus = focus_factory(server)
    focus.create_room(f"[acme]{room}")
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}&prefix=acme"))
    alice.login()
    nick = alice.jid.split("@", 1)[0][:8]
    alice.send(participant_join(room, nick, "Alice").replace(f"{room}@{MUC_DOMAIN}", virtual_jid))
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{virtual_jid}/{nick}" and e.get("type") is None,
                   what="her self-presence in the tenant's room")
    focus.send(f"<iq type='set' id='grant' to='{real_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{virtual_jid}/{nick}"
                   and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))), what="moderator")
    breakout_command(alice, subject="Room 1", type="features/breakout-rooms/add")
    rooms = room_list(alice, "the list", lambda rooms: len(rooms) == 2)
    breakout_jid = next(r["jid"] for r in rooms.values() if r.get("name") == "Room 1")
    assert breakout_jid.startswith(f"[acme]{room}_"), breakout_jid
    assert rooms[room]["jid"] == virtual_jid and rooms[room]["isMainRoom"] is True, rooms
    assert set(rooms[room]["participants"]) == {f"{virtual_jid}/{nick}"}, rooms
    # She moves into the breakout room; it names the main room as she knows it.
    focus_join_breakout(focus, breakout_jid)
    alice.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{virtual_jid}/{nick}'/>")
    breakout_join(alice, breakout_jid, room, nick, "Alice")
    alice.send(f"<iq xmlns='{NS_CLIENT}' type='get' id='tdisco' to='{breakout_jid}'><query xmlns='{NS_DISCO_INFO}'/></iq>")
    info = alice.wait_for(lambda e: e.tag == IQ and e.get("id") == "tdisco", what="the breakout room's disco#info")
    assert form_fields(info).get("muc#roominfo_breakout_main_room") == virtual_jid, show(info)
    # Removing the room sends her back to the virtual address.
    breakout_command(alice, breakoutRoomJid=breakout_jid, type="features/breakout-rooms/remove")
    gone = alice.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "unavailable"
                          and e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None,
                          what="the breakout room's end")
    assert gone.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}").get("jid") == virtual_jid, show(gone)
