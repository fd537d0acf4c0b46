"""Jitsi's room metadata (`mod_room_metadata_component`) over WebSocket, with what lib-jitsi-meet's RoomMetadata
sends (`<message to='metadata.meet.jitsi'><room_metadata xmlns='http://jitsi.org/jitmeet' room='…'>{"key":…,
"data":…}</room_metadata></message>`) and reads (`{"type":"room_metadata","metadata":{…}}` from the component, on
joining and on each change). Focus is a raw TCP client that creates the room like Jicofo; it is an admin and gets
the moderators list with the metadata. One server for the module."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from conftest import NS_CLIENT, q, stanza_error
from webxmpp import (
    host_identities,
    error_from,
    MESSAGE,
    MUC_DOMAIN,
    PRESENCE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    show,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(30)

METADATA = "metadata.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"



def set_metadata(client: WSClient, room_jid: str, payload):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    client.send(f"<message xmlns='{NS_CLIENT}' to='{METADATA}'><room_metadata xmlns='{NS_JITMEET}' room='{room_jid}'>"
                f"{escape(text)}</room_metadata></message>")


def metadata_message(predicate=lambda m: True):
    def match(e) -> bool:
        if e.tag != MESSAGE or e.get("from") != METADATA or e.get("type") == "error":
            return False
        body = json.loads(e.findtext(q(NS_JITMEET, "json-message")) or "{}")
        return body.get("type") == "room_metadata" and predicate(body.get("metadata", {}))

    return match


def test_component_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "room_metadata")) == METADATA, identities


def test_moderator_sets_metadata_everyone_gets_it(server, ws_clients, focus_factory):
    room = unique_room("design")
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    for client in (alice, bob):
        client.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    alice.wait_for(metadata_message(), what="the metadata on joining")
    ws_join(bob, room, "Bob")
    bob.wait_for(metadata_message(), what="the metadata on joining")

    # A participant is refused.
    set_metadata(bob, room_jid, {"key": "whiteboard", "data": {"open": True}})
    refusal = bob.wait_for(error_from(METADATA), what="the refusal")
    assert stanza_error(refusal)[1] == "forbidden", show(refusal)

    focus.send(f"<iq type='set' id='grant' to='{room_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
               f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == a_occ
                   and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))), what="moderator")
    set_metadata(alice, room_jid, {"key": "whiteboard", "data": {"collabServerUrl": "https://wb.example/r", "open": True}})
    for client in (alice, bob):
        got = client.wait_for(metadata_message(lambda m: "whiteboard" in m), what="the whiteboard metadata")
        assert got.find(q(NS_JITMEET, "json-message")).get("room") == room_jid, show(got)
    seen = focus.client.wait_for(metadata_message(lambda m: "whiteboard" in m), what="focus's metadata")
    assert "moderators" in json.loads(seen.findtext(q(NS_JITMEET, "json-message")))["metadata"], show(seen)

    # A blocked key and a value too large are refused.
    for payload, condition in (({"key": "participants", "data": []}, "forbidden"),
                               ({"key": "big", "data": "x" * 20000}, "policy-violation"),
                               ("{not json", "bad-request")):
        set_metadata(alice, room_jid, payload)
        error = alice.wait_for(error_from(METADATA), what=f"the refusal of {str(payload)[:40]}")
        assert stanza_error(error)[1] == condition, show(error)
