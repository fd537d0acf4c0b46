"""Jitsi's lobby (`mod_muc_lobby_rooms`) over WebSocket, with the stanzas lib-jitsi-meet's Lobby module sends: a
moderator makes the room members-only with the owner form, knockers get `registration-required` with the lobby
room (or `displayname-required` without a name), wait in `room@lobby.meet.jitsi` where only moderators see them,
and are let in with a mediated invitation or turned away with a kick; turning members-only off closes the lobby.
Focus is a raw TCP client that creates the room like Jicofo. One server for the module."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import NS_CLIENT, q, stanza_error
from webxmpp import (
    host_identities,
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    PRESENCE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    participant_join,
    show,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(40)

LOBBY_DOMAIN = "lobby.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"



def members_only(client: WSClient, room_jid: str, on: bool, ident: str):
    client.send(
        f"<iq xmlns='{NS_CLIENT}' type='set' id='{ident}' to='{room_jid}'><query xmlns='{NS_MUC_OWNER}'>"
        f"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>"
        f"http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_membersonly'>"
        f"<value>{'true' if on else 'false'}</value></field></x></query></iq>"
    )
    reply = client.wait_for(lambda e: e.tag == IQ and e.get("id") == ident, what="the owner form's answer")
    assert reply.get("type") == "result", show(reply)


def lobby_notice(event: str):
    def match(e: ET.Element) -> bool:
        body = e.findtext(q(NS_JITMEET, "json-message")) if e.tag == MESSAGE else None
        if body is None:
            return False
        obj = json.loads(body)
        return obj.get("type") == "lobby-notify" and obj.get("event") == event

    return match


def knock(client: WSClient, occupant: str, display: str | None, ident: str) -> ET.Element:
    nick = f"<nick xmlns='http://jabber.org/protocol/nick'>{display}</nick>" if display else ""
    client.send(f"<presence xmlns='{NS_CLIENT}' id='{ident}' to='{occupant}'><x xmlns='{NS_MUC}'/>{nick}</presence>")
    return client.wait_for(lambda e: e.tag == PRESENCE and e.get("id") == ident, what=f"the answer to {ident}")


def test_lobby_identity_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "lobbyrooms")) == LOBBY_DOMAIN, identities


def test_knock_wait_admit_deny_and_close(server, ws_clients, focus_factory):
    room = unique_room("boardroom")
    room_jid = f"{room}@{MUC_DOMAIN}"
    lobby_jid = f"{room}@{LOBBY_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    alice.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    focus.send(f"<iq type='set' id='grant' to='{room_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == a_occ
                   and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))), what="moderator")

    # The moderator turns the lobby on: 104 and LOBBY-ENABLED from her occupant JID.
    members_only(alice, room_jid, True, "lobby-on")
    alice.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == room_jid and e.find(q(NS_MUC_USER, "x")) is not None,
                   what="the 104 notice")
    enabled = alice.wait_for(lobby_notice("LOBBY-ENABLED"), what="LOBBY-ENABLED")
    assert enabled.get("from") == a_occ and json.loads(enabled.findtext(q(NS_JITMEET, "json-message")))["value"] is True

    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob.login()
    b_nick = bob.jid.split("@")[0][:8]
    nameless = knock(bob, f"{room_jid}/{b_nick}", None, "k1")
    assert stanza_error(nameless) == ("modify", "not-acceptable"), show(nameless)
    assert nameless.find(f"{q(NS_CLIENT, 'error')}/{q(NS_JITMEET, 'displayname-required')}") is not None, show(nameless)
    refused = knock(bob, f"{room_jid}/{b_nick}", "Bob", "k2")
    assert stanza_error(refused) == ("auth", "registration-required"), show(refused)
    assert refused.findtext(f"{q(NS_CLIENT, 'error')}/{q(NS_JITMEET, 'lobbyroom')}") == lobby_jid, show(refused)

    # alice watches the lobby; bob waits there: she sees him, he does not see her.
    alice.send(f"<presence xmlns='{NS_CLIENT}' to='{lobby_jid}/{a_occ.rsplit('/', 1)[1]}'><x xmlns='{NS_MUC}'/>"
               f"<nick xmlns='http://jabber.org/protocol/nick'>Alice</nick></presence>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from", "").startswith(lobby_jid + "/"), what="her lobby self-presence")
    bob.send(f"<presence xmlns='{NS_CLIENT}' to='{lobby_jid}/{b_nick}'><x xmlns='{NS_MUC}'/>"
             f"<nick xmlns='http://jabber.org/protocol/nick'>Bob</nick></presence>")
    bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{lobby_jid}/{b_nick}", what="bob's lobby self-presence")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{lobby_jid}/{b_nick}", what="bob knocking")
    bob.poll(0.3)
    assert not bob.take_all(lambda e: e.tag == PRESENCE and e.get("from") == f"{lobby_jid}/{a_occ.rsplit('/', 1)[1]}"), (
        "a knocker saw the moderator's presence"
    )

    # alice lets bob in (lib-jitsi-meet's approveAccess: a mediated invitation to his real JID).
    alice.send(f"<message xmlns='{NS_CLIENT}' to='{room_jid}'><x xmlns='{NS_MUC_USER}'><invite to='{bob.jid}'/></x></message>")
    invite = bob.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == room_jid
                          and e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'invite')}") is not None, what="the invitation")
    granted = alice.wait_for(lobby_notice("LOBBY-ACCESS-GRANTED"), what="LOBBY-ACCESS-GRANTED")
    assert json.loads(granted.findtext(q(NS_JITMEET, "json-message")))["name"] == "Bob", show(granted)
    assert invite is not None
    bob.send(participant_join(room, b_nick, "Bob"))
    own = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{room_jid}/{b_nick}" and e.get("type") is None,
                       what="bob's self-presence in the main room")
    assert any(i.get("affiliation") == "member" for i in own.iter(q(NS_MUC_USER, "item"))), show(own)

    # carol knocks and is turned away (lib-jitsi-meet's denyAccess: a kick from the lobby).
    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    c_nick = carol.jid.split("@")[0][:8]
    carol.send(f"<presence xmlns='{NS_CLIENT}' to='{lobby_jid}/{c_nick}'><x xmlns='{NS_MUC}'/>"
               f"<nick xmlns='http://jabber.org/protocol/nick'>Carol</nick></presence>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{lobby_jid}/{c_nick}", what="carol knocking")
    alice.send(f"<iq xmlns='{NS_CLIENT}' type='set' id='deny' to='{lobby_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item nick='{c_nick}' role='none'/></query></iq>")
    kicked = carol.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "unavailable"
                            and e.get("from") == f"{lobby_jid}/{c_nick}", what="carol turned away")
    assert "307" in {s.get("code") for s in kicked.iter(q(NS_MUC_USER, "status"))}, show(kicked)
    alice.wait_for(lobby_notice("LOBBY-ACCESS-DENIED"), what="LOBBY-ACCESS-DENIED")

    # dave waits; the moderator turns members-only off: the lobby closes and dave is pointed at the main room.
    dave = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    dave.login()
    d_nick = dave.jid.split("@")[0][:8]
    dave.send(f"<presence xmlns='{NS_CLIENT}' to='{lobby_jid}/{d_nick}'><x xmlns='{NS_MUC}'/>"
              f"<nick xmlns='http://jabber.org/protocol/nick'>Dave</nick></presence>")
    dave.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{lobby_jid}/{d_nick}", what="dave waiting")
    members_only(alice, room_jid, False, "lobby-off")
    closed = dave.wait_for(lambda e: e.tag == PRESENCE and e.get("type") == "unavailable"
                           and e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None, what="the lobby closing")
    destroy = closed.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}")
    assert destroy.get("jid") == room_jid and destroy.findtext(q(NS_MUC_USER, "reason")) == "Lobby room closed.", show(closed)
    ws_join(dave, room, "Dave")
