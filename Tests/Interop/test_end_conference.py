"""Jitsi's end conference (`mod_end_conference`) over WebSocket, as lib-jitsi-meet uses it: the component is found
in the host's disco#info (`<identity category='component' type='end_conference'/>`), and a moderator's
`<message to='endconference.meet.jitsi'><end_conference/></message>` destroys the room of the session's URL
(`?room=`) for everyone with the reason "The meeting has been terminated". Participants are refused with an error
and the meeting goes on; so are sessions whose URL names no meeting. The WebSocket clients are the PyPI
`websockets` package; focus is a raw TCP client that creates the room like Jicofo. One server for the module."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conftest import NS_CLIENT, q, stanza_error
from webxmpp import (
    host_identities,
    error_from,
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

END_CONFERENCE = "endconference.meet.jitsi"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
REASON = "The meeting has been terminated"



def end_conference(client: WSClient):
    client.send(f"<message xmlns='{NS_CLIENT}' to='{END_CONFERENCE}'><end_conference/></message>")


def destroyed(occupant: str):
    def match(e: ET.Element) -> bool:
        if e.tag != PRESENCE or e.get("from") != occupant or e.get("type") != "unavailable":
            return False
        return e.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}") is not None

    return match


error_message = error_from(END_CONFERENCE)


def test_component_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "end_conference")) == END_CONFERENCE, identities


def test_moderator_ends_the_meeting_for_all(server, ws_clients, focus_factory):
    room = unique_room("retro")
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    for client in (alice, bob):
        client.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    b_occ, _ = ws_join(bob, room, "Bob")

    # bob is a participant: refused, and the meeting goes on.
    end_conference(bob)
    refusal = bob.wait_for(error_message, what="the refusal of a participant's end_conference")
    assert stanza_error(refusal)[1] == "forbidden", show(refusal)
    bob.poll(0.3)
    assert not bob.take_all(destroyed(b_occ)), "a participant ended the meeting"

    # Jicofo grants alice owner (its auto-owner grant); she is now a moderator and ends it for everyone.
    focus.send(
        f"<iq type='set' id='grant' to='{room}@{MUC_DOMAIN}'><query xmlns='{NS_MUC_ADMIN}'>"
        f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>"
    )
    alice.wait_for(
        lambda e: e.tag == PRESENCE and e.get("from") == a_occ
        and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))),
        what="alice's presence as a moderator",
    )
    end_conference(alice)
    for client, occupant in ((alice, a_occ), (bob, b_occ)):
        gone = client.wait_for(destroyed(occupant), what="the room's destroy presence")
        reason = gone.find(f"{q(NS_MUC_USER, 'x')}/{q(NS_MUC_USER, 'destroy')}/{q(NS_MUC_USER, 'reason')}")
        assert reason is not None and reason.text == REASON, show(gone)
    focus.wait_presence(f"{room}@{MUC_DOMAIN}/focus", available=False)

    # The room is gone: a browser's join is refused as for any room that does not exist.
    bob.send(
        f"<presence xmlns='{NS_CLIENT}' id='again' to='{b_occ}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    )
    again = bob.wait_for(lambda e: e.tag == PRESENCE and e.get("id") == "again", what="the answer to a rejoin")
    assert stanza_error(again) == ("cancel", "not-allowed"), show(again)


def test_session_without_a_meeting_is_refused(server, ws_clients):
    client = ws_clients(WSClient(server.ports["http"]))
    client.login()
    end_conference(client)
    refusal = client.wait_for(error_message, what="the refusal of an end_conference without ?room=")
    assert stanza_error(refusal)[1] == "item-not-found", show(refusal)
    text = refusal.find(f"{q(NS_CLIENT, 'error')}/{{urn:ietf:params:xml:ns:xmpp-stanzas}}text")
    assert text is not None and text.text, show(refusal)
    # A message without <end_conference/> is a bad request.
    client.send(f"<message xmlns='{NS_CLIENT}' to='{END_CONFERENCE}'><body>hi</body></message>")
    bad = client.wait_for(error_message, what="the answer to a message without end_conference")
    assert stanza_error(bad)[1] == "bad-request", show(bad)
