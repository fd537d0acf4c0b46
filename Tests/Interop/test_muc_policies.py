"""Room policies that a Jitsi deployment relies on, through independent clients (slixmpp over STARTTLS) sending
Jitsi's own stanzas (Tests/Fixtures/jitsi):

* the breweries (`internal-muc`) admit only accounts of the auth domain, as docker-jitsi-meet's
  `muc_filter_access` + `muc_filter_whitelist` make Prosody do: an anonymous browser cannot pose as a bridge;
* a configuration change reaches every occupant as XEP-0045 §10.2.1's status 104 (lib-jitsi-meet then reads the
  room's disco#info again: the lock icon follows a password change);
* a room that empties and is made again starts clean (XEP-0045 §10.1.1): its creator gets 201 and `owner`,
  nothing of the old room (affiliations, password, configuration) carries over;
* a MUC-wide `max_occupants` (docker's `MAX_PARTICIPANTS`, Jitsi's `muc_max_occupants`) is a hard cap no room
  owner lifts through `muc#roomconfig_maxusers`, with focus exempt.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conftest import (
    JVB_JID,
    JVB_PASSWORD,
    NS_CLIENT,
    NS_DISCO_INFO,
    connect_client,
    q,
    stanza_error,
)
from test_jitsi_flow import (
    BREWERY,
    INTERNAL_MUC_DOMAIN,
    MESSAGE,
    NS_MUC,
    PRESENCE,
    Peer,
    disco_info,
    error_text,
    focus_creates,
    jvb_stats_presence,
    login_browser,
    login_focus,
    muc_item,
    nick_of,
    owner_submit,
    participant_join,
    room_jid,
    show,
    start_conference,
    status_codes,
    strophe_id,
    with_attrs,
)

pytestmark = pytest.mark.timeout(40)



def is_104_notice(room: str):
    def match(e: ET.Element) -> bool:
        if e.tag != MESSAGE or e.get("from") != room or e.get("type") != "groupchat":
            return False
        return "104" in status_codes(e)

    return match


async def login_jvb(aio, server) -> Peer:
    client = await connect_client(server.c2s, JVB_JID, JVB_PASSWORD, "SCRAM-SHA-1", runner=aio)
    return Peer(client, "jvb")


# ----------------------------------------------------------------------------------------------------------------
# The breweries: auth-domain accounts only
# ----------------------------------------------------------------------------------------------------------------


def test_brewery_refuses_anonymous_users(server, aio):
    async def scenario():
        intruder = await login_browser(aio, server, "intruder")
        # Before any bridge: the brewery cannot be created by an anonymous user either.
        ident = strophe_id()
        intruder.send(with_attrs(jvb_stats_presence("fakebridge"), id_=ident))
        error = await intruder.join_error(f"{BREWERY}/fakebridge", ident, "an anonymous join of an empty brewery")
        assert stanza_error(error) == ("cancel", "not-allowed"), show(error)
        assert error_text(error), f"the refusal needs a text: {show(error)}"

        # A real bridge creates it and Jicofo joins.
        jvb = await login_jvb(aio, server)
        occupant = f"{BREWERY}/5d8e3c1f2a9b"
        jvb.send(f"<presence to='{occupant}'><x xmlns='{NS_MUC}'/></presence>")
        own = await jvb.presence_from(occupant, "the bridge's self-presence")
        assert "201" in status_codes(own), show(own)
        jvb.send(jvb_stats_presence("5d8e3c1f2a9b"))
        focus = await login_focus(aio, server)
        focus.send(f"<presence to='{BREWERY}/focus'><x xmlns='{NS_MUC}'/></presence>")
        await focus.presence_from(f"{BREWERY}/focus", "focus's self-presence in the brewery")
        await focus.presence_from(occupant, "the bridge's presence")

        # The anonymous user posing as a bridge with the bridge's own stats presence is refused, and nobody
        # inside ever sees it: Jicofo would send it conferences.
        for nick in ("fakebridge", "focus"):
            ident = strophe_id()
            stanza = with_attrs(jvb_stats_presence(nick), id_=ident)
            intruder.send(stanza.replace("</presence>", f"<x xmlns='{NS_MUC}'/></presence>"))
            error = await intruder.join_error(f"{BREWERY}/{nick}", ident, f"an anonymous join as {nick}")
            assert stanza_error(error) == ("cancel", "not-allowed"), show(error)
        for peer in (jvb, focus):
            await peer.none_of(
                lambda e: e.tag == PRESENCE and e.get("from") == f"{BREWERY}/fakebridge",
                "a presence of the anonymous intruder",
            )
        # The other breweries on the same service refuse the same way (Jibri's, Jigasi's).
        for brewery in ("jibribrewery", "jigasibrewery"):
            ident = strophe_id()
            intruder.send(f"<presence id='{ident}' to='{brewery}@{INTERNAL_MUC_DOMAIN}/x'><x xmlns='{NS_MUC}'/></presence>")
            error = await intruder.join_error(f"{brewery}@{INTERNAL_MUC_DOMAIN}/x", ident, f"a join of {brewery}")
            assert stanza_error(error) == ("cancel", "not-allowed"), show(error)

    aio.run(scenario(), timeout=30)


# ----------------------------------------------------------------------------------------------------------------
# Status 104
# ----------------------------------------------------------------------------------------------------------------


def test_password_change_is_announced_with_104(server, aio):
    room = "designreview"

    async def scenario():
        conf = await start_conference(aio, server, room, names=("alice", "bob"))
        focus, (alice, bob) = conf.focus, conf.browsers
        # lib-jitsi-meet's lockRoom: the moderator reads the form and submits it with the secret.
        await focus.expect_result(
            owner_submit(conf.jid, "lock-1", {
                "muc#roomconfig_roomsecret": "hunter2", "muc#roomconfig_passwordprotectedroom": "1",
            }),
            "owner form with a password",
        )
        for peer in (focus, alice, bob):
            notice = await peer.take(is_104_notice(conf.jid), f"status 104 to {peer.name}")
            assert notice.find(q(NS_CLIENT, "body")) is None, show(notice)
        info = await alice.expect_result(disco_info(conf.jid, strophe_id()), "disco#info after the 104")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert "muc_passwordprotected" in features, show(info, 3000)

        # Submitting the same form again changes nothing: no notice (Jicofo submits on every join).
        await focus.expect_result(
            owner_submit(conf.jid, "lock-2", {"muc#roomconfig_roomsecret": "hunter2"}), "the same form again"
        )
        await alice.none_of(is_104_notice(conf.jid), "a 104 for a submission that changed nothing", seconds=0.5)

        # Unlocking is a change too.
        await focus.expect_result(owner_submit(conf.jid, "lock-3", {"muc#roomconfig_roomsecret": ""}), "unlock")
        await bob.take(is_104_notice(conf.jid), "status 104 after the password was removed")
        info = await bob.expect_result(disco_info(conf.jid, strophe_id()), "disco#info after unlocking")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert "muc_passwordprotected" not in features, show(info, 3000)

    aio.run(scenario(), timeout=30)


# ----------------------------------------------------------------------------------------------------------------
# A room made again starts clean
# ----------------------------------------------------------------------------------------------------------------

UNRESTRICTED = """\
muc:
  - domain: muc.meet.jitsi
    restrict_room_creation: false
  - domain: internal-muc.meet.jitsi
    admins: [jvb@auth.meet.jitsi]
    allowed_domains: [auth.meet.jitsi]
"""


def test_room_made_again_starts_clean(parley_factory, aio):
    server = parley_factory(config=UNRESTRICTED)
    room = "standup"
    target = room_jid(room)

    async def scenario():
        alice = await login_browser(aio, server, "alice")
        bob = await login_browser(aio, server, "bob")
        a_occ, b_occ = f"{target}/{nick_of(alice)}", f"{target}/{nick_of(bob)}"

        alice.send(participant_join(room, nick_of(alice), "Alice"))
        own = await alice.presence_from(a_occ, "alice creating the room")
        assert {"110", "201"} <= status_codes(own), show(own)
        assert (muc_item(own).get("affiliation"), muc_item(own).get("role")) == ("owner", "moderator"), (
            f"XEP-0045 §10.1.1: the creator owns the room: {show(own)}"
        )
        await alice.expect_result(
            owner_submit(target, "cfg-1", {"muc#roomconfig_roomsecret": "old-secret", "muc#roomconfig_roomname": "Old"}),
            "alice configures a password",
        )
        bob.send(participant_join(room, nick_of(bob), "Bob", password="old-secret"))
        own = await bob.presence_from(b_occ, "bob joins with the password")
        assert muc_item(own).get("affiliation") == "none" and "201" not in status_codes(own), show(own)
        await alice.expect_result(
            f"<iq type='set' id='grant' to='{target}'><query xmlns='http://jabber.org/protocol/muc#admin'>"
            f"<item affiliation='admin' jid='{bob.bare}'/></query></iq>",
            "alice makes bob an admin",
        )
        for peer in (alice, bob):
            seen = await peer.presence_from(b_occ, "bob's presence after the grant", where=lambda e: muc_item(e).get("affiliation") == "admin")
            assert muc_item(seen).get("role") == "moderator", show(seen)

        # Everyone leaves: the room is gone.
        for peer, occupant in ((alice, a_occ), (bob, b_occ)):
            peer.send(f"<presence type='unavailable' to='{occupant}'/>")
            await peer.presence_from(occupant, f"{peer.name}'s own leave", available=False)

        # bob makes it again: 201 and owner, no password asked for.
        bob.send(participant_join(room, nick_of(bob), "Bob"))
        own = await bob.presence_from(b_occ, "bob making the room again")
        assert {"110", "201"} <= status_codes(own), f"a room made again is new: {show(own)}"
        assert muc_item(own).get("affiliation") == "owner", f"its creator owns it: {show(own)}"
        # alice, the old owner, is nobody here; no password.
        alice.send(participant_join(room, nick_of(alice), "Alice"))
        own = await alice.presence_from(a_occ, "alice joins the new room without a password")
        assert muc_item(own).get("affiliation") == "none", f"the old room's affiliation carried over: {show(own)}"
        info = await alice.expect_result(disco_info(target, strophe_id()), "disco#info of the new room")
        features = {f.get("var") for f in info.iter(q(NS_DISCO_INFO, "feature"))}
        assert "muc_unsecured" in features and "muc_passwordprotected" not in features, show(info, 3000)
        names = [i.get("name") for i in info.iter(q(NS_DISCO_INFO, "identity"))]
        assert "Old" not in names, f"the old room's name carried over: {show(info, 3000)}"

    aio.run(scenario(), timeout=30)


# ----------------------------------------------------------------------------------------------------------------
# max_occupants: a hard cap
# ----------------------------------------------------------------------------------------------------------------

CAPPED = """\
muc:
  - domain: muc.meet.jitsi
    focus_lock: true
    max_occupants: 2
  - domain: internal-muc.meet.jitsi
    admins: [jvb@auth.meet.jitsi]
    allowed_domains: [auth.meet.jitsi]
"""


def test_max_occupants_is_a_hard_cap(parley_factory, aio):
    server = parley_factory(config=CAPPED)
    room = "allhands"

    async def scenario():
        focus = await login_focus(aio, server)
        await focus_creates(focus, room)
        target = room_jid(room)
        # The owner tries to lift and to raise the limit: both accepted as forms, neither in force.
        for value in ("none", "1000"):
            await focus.expect_result(owner_submit(target, f"max-{value}", {"muc#roomconfig_maxusers": value}), value)
        browsers = [await login_browser(aio, server, name) for name in ("alice", "bob", "carol")]
        for browser in browsers[:2]:
            occupant = f"{target}/{nick_of(browser)}"
            browser.send(participant_join(room, nick_of(browser), browser.name.title()))
            await browser.presence_from(occupant, f"{browser.name} joins (focus is not counted)")
        carol = browsers[2]
        ident = strophe_id()
        carol.send(participant_join(room, nick_of(carol), "Carol", ident=ident))
        error = await carol.join_error(f"{target}/{nick_of(carol)}", ident, "a third participant")
        assert stanza_error(error) == ("cancel", "service-unavailable"), (
            f"lib-jitsi-meet shows 'meeting full' for cancel/service-unavailable: {show(error)}"
        )
        # The form shows the limit in force.
        form = await focus.expect_result(
            f"<iq type='get' id='form' to='{target}'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>",
            "the owner form",
        )
        values = [
            v.text for f in form.iter("{jabber:x:data}field") if f.get("var") == "muc#roomconfig_maxusers"
            for v in f.findall("{jabber:x:data}value")
        ]
        assert values == ["2"], show(form, 4000)

    aio.run(scenario(), timeout=30)
