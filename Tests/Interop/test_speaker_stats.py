"""Jitsi's speaker statistics (`mod_speakerstats_component`) over WebSocket, with the stanzas lib-jitsi-meet sends
(`<message to='speakerstats.meet.jitsi'><speakerstats xmlns='http://jitsi.org/jitmeet' room='…' silence='false'/>`
when its participant becomes the dominant speaker, `<faceLandmarks …/>`), and the totals a joiner gets in
`<json-message xmlns='http://jitsi.org/jitmeet'>{"type":"speakerstats","users":{…}}` from the component,
including those who left. Focus is a raw TCP client that creates the room like Jicofo. One server for the module."""

from __future__ import annotations

import json
import time

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

STATS = "speakerstats.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"



def dominant(client: WSClient, room_jid: str, silence: bool = False):
    client.send(
        f"<message xmlns='{NS_CLIENT}' to='{STATS}'><speakerstats xmlns='{NS_JITMEET}' room='{room_jid}' "
        f"silence='{'true' if silence else 'false'}'/></message>"
    )


def stats_message(e) -> bool:
    return e.tag == MESSAGE and e.get("from") == STATS and e.find(q(NS_JITMEET, "json-message")) is not None


def test_component_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "speakerstats")) == STATS, identities


def test_joiner_gets_totals_including_those_who_left(server, ws_clients, focus_factory):
    room = unique_room("standup")
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    for client in (alice, bob):
        client.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    b_occ, _ = ws_join(bob, room, "Bob")
    a_nick, b_nick = a_occ.rsplit("/", 1)[1], b_occ.rsplit("/", 1)[1]

    started = time.monotonic()
    dominant(alice, room_jid)
    time.sleep(0.6)
    dominant(bob, room_jid)
    alice_spoke = time.monotonic() - started
    alice.send(
        f"<message xmlns='{NS_CLIENT}' to='{STATS}'><faceLandmarks xmlns='{NS_JITMEET}' room='{room_jid}' "
        f"faceExpression='happy' timestamp='{int(time.time() * 1000)}' duration='1200'/></message>"
    )
    alice.send(f"<presence xmlns='{NS_CLIENT}' type='unavailable' to='{a_occ}'/>")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == a_occ and e.get("type") == "unavailable",
                   what="alice's own leave")

    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    ws_join(carol, room, "Carol")
    got = carol.wait_for(stats_message, what="the speaker statistics for a joiner")
    body = json.loads(got.findtext(q(NS_JITMEET, "json-message")))
    assert body["type"] == "speakerstats", body
    users = body["users"]
    assert a_nick in users and b_nick in users, body
    total = users[a_nick]["totalDominantSpeakerTime"]
    assert 0.5 * 1000 <= total <= (alice_spoke + 1.0) * 1000, f"alice spoke {alice_spoke:.2f} s, counted {total} ms"
    assert users[a_nick]["displayName"] == "Alice", body
    assert users[a_nick]["faceLandmarks"][0]["faceExpression"] == "happy", body
    assert users[b_nick]["totalDominantSpeakerTime"] > 0, f"bob is speaking now: {body}"
    assert "focus" not in users, body


def test_bad_reports_get_errors(server, ws_clients, focus_factory):
    room = unique_room("badstats")
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    outsider = ws_clients(WSClient(server.ports["http"]))
    outsider.login()
    for payload, condition in (
        (f"<speakerstats xmlns='{NS_JITMEET}' room='{room_jid}'/>", "item-not-found"),
        (f"<speakerstats xmlns='{NS_JITMEET}'/>", "bad-request"),
        (f"<speakerstats xmlns='{NS_JITMEET}' room='nosuchroom@{MUC_DOMAIN}'/>", "item-not-found"),
        (f"<faceLandmarks xmlns='{NS_JITMEET}' room='{room_jid}' faceExpression='happy' timestamp='x' duration='1'/>",
         "bad-request"),
        ("<body>hello</body>", "bad-request"),
    ):
        outsider.send(f"<message xmlns='{NS_CLIENT}' to='{STATS}'>{payload}</message>")
        error = outsider.wait_for(error_from(STATS), what=f"the error for {payload}")
        assert stanza_error(error)[1] == condition, f"{payload}: {show(error)}"


def test_conference_duration_reaches_joiners(server, ws_clients, focus_factory):
    """mod_conference_duration_component: its identity, and the start time for everyone joining a started room."""
    assert host_identities(server.ports["http"]).get(("component", "conference_duration")) == "conferenceduration.meet.jitsi"
    room = unique_room("timer")
    focus = focus_factory(server)
    focus.create_room(room)
    before = int(time.time() * 1000)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    alice.login()
    ws_join(alice, room, "Alice")
    got = alice.wait_for(lambda e: e.tag == MESSAGE and e.get("from") == "conferenceduration.meet.jitsi",
                         what="the conference's start time")
    body = json.loads(got.findtext(q(NS_JITMEET, "json-message")))
    assert body["type"] == "conference_duration" and before - 1000 <= body["created_timestamp"] <= time.time() * 1000, body

