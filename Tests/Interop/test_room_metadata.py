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

pytestmark = pytest.mark.timeout(90)

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


def test_floods_get_errors_and_other_rooms_go_on(server, ws_clients, focus_factory):
    """Issue 12.10: 10,000 polls and a 1 MB metadata value. The polls past the room's 128 get `policy-violation`,
    each; the 1 MB value is over the stanza limit, so that client's stream ends with `policy-violation`
    (RFC 6120 §4.9.3.17); meanwhile a conference in another room keeps exchanging messages."""
    from test_polls import POLLS, send_poll_message

    busy, calm = unique_room("flood"), unique_room("calm")
    focus = focus_factory(server)
    focus.create_room(busy)
    focus.create_room(calm)
    flooder = ws_clients(WSClient(server.ports["http"], f"room={busy}"))
    carol = ws_clients(WSClient(server.ports["http"], f"room={calm}"))
    dave = ws_clients(WSClient(server.ports["http"], f"room={calm}"))
    for client in (flooder, carol, dave):
        client.login()
    ws_join(flooder, busy, "Flo")
    c_occ, _ = ws_join(carol, calm, "Carol")
    ws_join(dave, calm, "Dave")

    for n in range(10_000):
        send_poll_message(flooder, {"type": "polls", "command": "new-poll", "pollId": f"p{n}", "question": "q",
                                    "answers": [{"name": "a"}, {"name": "b"}]})
        if n % 1000 == 999:
            # The calm room is served while the flood goes on.
            carol.send(f"<message xmlns='{NS_CLIENT}' to='{calm}@{MUC_DOMAIN}' type='groupchat'><body>tick {n}</body></message>")
            dave.wait_for(lambda e, n=n: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == f"tick {n}",
                          what=f"carol's message during the flood ({n})")
    created = refused = 0
    deadline_count = 10_000
    while created + refused < deadline_count:
        e = flooder.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == POLLS, what="the answer to a poll",
                             timeout=20)
        if e.get("type") == "error":
            assert stanza_error(e)[1] == "policy-violation", show(e)
            refused += 1
        else:
            created += 1
    assert created == 128 and refused == 10_000 - 128, (created, refused)

    # 1 MB of metadata: more than any stanza may be. The flooder's stream ends, nobody else's.
    flooder.send(f"<message xmlns='{NS_CLIENT}' to='{METADATA}'><room_metadata xmlns='{NS_JITMEET}' "
                 f"room='{busy}@{MUC_DOMAIN}'>{{\"key\":\"k\",\"data\":\"{'x' * (1 << 20)}\"}}</room_metadata></message>")
    error = flooder.expect_stream_error("policy-violation", timeout=10)
    assert error is not None
    carol.send(f"<message xmlns='{NS_CLIENT}' to='{calm}@{MUC_DOMAIN}' type='groupchat'><body>after</body></message>")
    dave.wait_for(lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == "after", what="the message after")
