"""Jitsi's polls (`mod_polls_component`) over WebSocket, with the private messages lib-jitsi-meet's Polls module
sends (`<message type='chat' to='polls.meet.jitsi'><json-message xmlns='http://jitsi.org/jitmeet'>{…}`) from
sessions opened with `?room=`, and what every occupant and a late joiner read back from the component. Focus is a
raw TCP client that creates the room like Jicofo. One server for the module."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from conftest import NS_CLIENT, q, stanza_error
from webxmpp import (
    host_identities,
    error_from,
    MESSAGE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    show,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(30)

POLLS = "polls.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"



def send_poll_message(client: WSClient, payload: dict | str):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    client.send(
        f"<message xmlns='{NS_CLIENT}' to='{POLLS}' type='chat'>"
        f"<json-message xmlns='{NS_JITMEET}'>{escape(text)}</json-message></message>"
    )


def polls_message(command: str):
    def match(e) -> bool:
        if e.tag != MESSAGE or e.get("from") != POLLS or e.get("type") == "error":
            return False
        body = e.findtext(q(NS_JITMEET, "json-message"))
        return body is not None and json.loads(body).get("command") == command

    return match


def body(e) -> dict:
    return json.loads(e.findtext(q(NS_JITMEET, "json-message")))


error_from_polls = error_from(POLLS)


def test_component_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "polls")) == POLLS, identities


def test_poll_answers_and_late_joiner(server, ws_clients, focus_factory):
    room = unique_room("planning")
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    for client in (alice, bob):
        client.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    b_occ, _ = ws_join(bob, room, "Bob")
    a_nick, b_nick = a_occ.rsplit("/", 1)[1], b_occ.rsplit("/", 1)[1]

    send_poll_message(alice, {"answers": [{"name": "Tuesday"}, {"name": "Thursday"}], "command": "new-poll",
                              "pollId": "tz4Lk0", "question": "Retro day?", "type": "polls"})
    for client in (alice, bob):
        got = body(client.wait_for(polls_message("new-poll"), what="the new poll"))
        assert (got["pollId"], got["question"], got["senderId"]) == ("tz4Lk0", "Retro day?", a_nick), got
    send_poll_message(bob, {"answers": [False, True], "command": "answer-poll", "pollId": "tz4Lk0", "type": "polls"})
    got = body(alice.wait_for(polls_message("answer-poll"), what="bob's answer"))
    assert (got["senderId"], got["answers"]) == (b_nick, [False, True]), got

    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    ws_join(carol, room, "Carol")
    old = body(carol.wait_for(polls_message("old-polls"), what="the polls for a late joiner"))
    poll = old["polls"][0]
    assert poll["question"] == "Retro day?" and poll["senderId"] == a_nick, old
    assert [a["name"] for a in poll["answers"]] == ["Tuesday", "Thursday"], old
    assert poll["answers"][1]["voters"] == [{"id": b_nick, "name": "Bob"}], old


def test_bad_poll_messages_get_errors(server, ws_clients, focus_factory):
    room = unique_room("badpolls")
    focus = focus_factory(server)
    focus.create_room(room)
    client = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    client.login()
    ws_join(client, room, "Eve")
    good = {"answers": [{"name": "a"}, {"name": "b"}], "command": "new-poll", "pollId": "p", "question": "q",
            "type": "polls"}
    send_poll_message(client, good)
    client.wait_for(polls_message("new-poll"), what="the first poll")
    for payload, condition in (
        ("{not json", "bad-request"),
        ({"type": "polls", "command": "new-poll", "pollId": "x", "answers": [{"name": "a"}]}, "bad-request"),
        (good, "not-allowed"),
        ({"type": "polls", "command": "answer-poll", "pollId": "p", "answers": [True]}, "bad-request"),
        ({"type": "polls", "command": "answer-poll", "pollId": "missing", "answers": [True]}, "item-not-found"),
        ({**good, "pollId": "big", "question": "q" * 2000}, "policy-violation"),
    ):
        send_poll_message(client, payload)
        error = client.wait_for(error_from_polls, what=f"the error for {str(payload)[:60]}")
        assert stanza_error(error)[1] == condition, f"{str(payload)[:80]}: {show(error)}"
