"""Jitsi's audio/video moderation (`mod_av_moderation_component`) over WebSocket, with the stanzas lib-jitsi-meet's
AVModeration module sends (`<message to='avmoderation.meet.jitsi'><av_moderation enable='true'
mediaType='audio'/></message>`, `jidToWhitelist`, `jidToBlacklist`) from sessions opened with `?room=`, and the
JSON notices it reads (`<json-message xmlns='http://jitsi.org/jitmeet'>` from the component). Focus is a raw TCP
client that creates the room like Jicofo and, as a moderator, must get the whitelists. One server for the module."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

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

AV = "avmoderation.meet.jitsi"
NS_JITMEET = "http://jitsi.org/jitmeet"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin"



def av_command(client: WSClient, **attrs):
    attributes = " ".join(f"{k}='{v}'" for k, v in attrs.items())
    client.send(f"<message xmlns='{NS_CLIENT}' to='{AV}'><av_moderation {attributes}/></message>")


def notice(predicate=lambda obj: True):
    """A JSON notice from the component whose parsed body satisfies `predicate`."""

    def match(e: ET.Element) -> bool:
        if e.tag != MESSAGE or e.get("from") != AV:
            return False
        body = e.findtext(q(NS_JITMEET, "json-message"))
        if body is None:
            return False
        obj = json.loads(body)
        return obj.get("type") == "av_moderation" and predicate(obj)

    return match


def body(e: ET.Element) -> dict:
    return json.loads(e.findtext(q(NS_JITMEET, "json-message")))


error_from_component = error_from(AV)


def test_component_is_announced(server):
    identities = host_identities(server.ports["http"])
    assert identities.get(("component", "av_moderation")) == AV, identities


def test_moderated_audio_from_enable_to_approval(server, ws_clients, focus_factory):
    room = unique_room("townhall")
    room_jid = f"{room}@{MUC_DOMAIN}"
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    for client in (alice, bob):
        client.login()
    a_occ, _ = ws_join(alice, room, "Alice")
    b_occ, _ = ws_join(bob, room, "Bob")

    # A participant may not turn moderation on.
    av_command(bob, enable="true", mediaType="audio")
    refusal = bob.wait_for(error_from_component, what="the refusal of a participant's command")
    assert stanza_error(refusal)[1] == "forbidden", show(refusal)

    # Jicofo's auto-owner grant makes alice a moderator.
    focus.send(
        f"<iq type='set' id='grant' to='{room_jid}'><query xmlns='{NS_MUC_ADMIN}'>"
        f"<item affiliation='owner' jid='{alice.jid.split('/')[0]}'/></query></iq>"
    )
    alice.wait_for(
        lambda e: e.tag == PRESENCE and e.get("from") == a_occ
        and any(i.get("role") == "moderator" for i in e.iter(q(NS_MUC_USER, "item"))),
        what="alice's presence as a moderator",
    )

    # alice turns audio moderation on: everyone hears it, with her nick as the actor.
    av_command(alice, enable="true", mediaType="audio")
    nick = a_occ.rsplit("/", 1)[1]
    for client in (alice, bob):
        got = client.wait_for(notice(lambda o: o.get("enabled") is True), what="the enabled notice")
        obj = body(got)
        assert (obj["mediaType"], obj["actor"], obj["room"]) == ("audio", nick, room_jid), obj
    # Jicofo (a moderator) gets the whitelist, as its AV moderation handler expects.
    got = focus.client.wait_for(
        lambda e: e.tag == MESSAGE and e.get("from") == AV and "whitelists" in (e.findtext(q(NS_JITMEET, "json-message")) or ""),
        what="focus's whitelist notice",
    )
    assert body(got)["whitelists"] == {"audio": []}, show(got)

    # bob is approved to unmute: he is told, the moderators get the list with his occupant JID.
    av_command(alice, mediaType="audio", jidToWhitelist=b_occ)
    approved = bob.wait_for(notice(lambda o: o.get("approved") is True), what="bob's approval")
    assert body(approved)["mediaType"] == "audio" and "whitelists" not in body(approved), show(approved)
    lists = alice.wait_for(notice(lambda o: "whitelists" in o and o["whitelists"].get("audio")), what="the new list")
    assert body(lists)["whitelists"]["audio"] == [b_occ], show(lists)

    # A late joiner learns that audio is moderated.
    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    ws_join(carol, room, "Carol")
    late = carol.wait_for(notice(lambda o: o.get("enabled") is True), what="the state for a late joiner")
    assert body(late)["mediaType"] == "audio", show(late)

    # The approval is taken back, then moderation is turned off for everyone.
    av_command(alice, mediaType="audio", jidToBlacklist=b_occ)
    removed = bob.wait_for(notice(lambda o: o.get("removed") is True), what="bob's approval taken back")
    assert body(removed)["mediaType"] == "audio", show(removed)
    av_command(alice, enable="false", mediaType="audio")
    for client in (alice, bob, carol):
        client.wait_for(notice(lambda o: o.get("enabled") is False), what="the disabled notice")


def test_bad_commands_get_errors(server, ws_clients, focus_factory):
    room = unique_room("badav")
    focus = focus_factory(server)
    focus.create_room(room)
    client = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    client.login()
    ws_join(client, room, "Eve")
    for attrs, condition in (
        ({"enable": "true"}, "bad-request"),
        ({"enable": "maybe", "mediaType": "audio"}, "bad-request"),
        ({"mediaType": "smell", "enable": "true"}, "bad-request"),
        ({"mediaType": "audio"}, "bad-request"),
        ({"mediaType": "audio", "jidToWhitelist": "@@"}, "jid-malformed"),
    ):
        av_command(client, **attrs)
        error = client.wait_for(error_from_component, what=f"the error for {attrs}")
        assert stanza_error(error)[1] == condition, f"{attrs}: {show(error)}"
    # Without ?room= the component cannot know the meeting.
    lost = ws_clients(WSClient(server.ports["http"]))
    lost.login()
    av_command(lost, enable="true", mediaType="audio")
    error = lost.wait_for(error_from_component, what="the error without ?room=")
    assert stanza_error(error)[1] == "item-not-found", show(error)
