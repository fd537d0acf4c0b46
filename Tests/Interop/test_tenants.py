"""Tenants as Jitsi's `mod_muc_domain_mapper` makes them (docker-jitsi-meet and Debian load it by default): a page at
`https://meet.jitsi/acme/standup` makes lib-jitsi-meet join `standup@muc.acme.meet.jitsi`, a MUC domain that does not
exist. Parley maps it to the real room `[acme]standup@muc.meet.jitsi` and back:

* the browser's conference IQ names the virtual room; Jicofo (here slixmpp as focus) gets the real one;
* Jicofo joins and sees only real addresses; the browsers only virtual ones, in `from` and in the conference answer,
  and nowhere else in payloads (the muc#user item keeps the real room and the browser's real JID);
* disco#info to the virtual MUC domain is answered from it;
* the room-name policy judges the room part;
* with `verify_subject` (docker's JWT_ENABLE_DOMAIN_VERIFICATION) a token's `sub` selects the tenant (PyJWT).

Every client is independent (slixmpp, the PyPI `websockets` client); only 127.0.0.1 is contacted."""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET

import jwt
import pytest

from conftest import ANON_DOMAIN, NS_CLIENT, NS_DISCO_INFO, ServerSlot, q, stanza_error
from test_jitsi_flow import (
    FOCUS_JID,
    FOCUS_PROXY,
    IQ,
    MESSAGE,
    NS_FOCUS,
    NS_MUC_USER,
    PRESENCE,
    conference_request,
    conference_result,
    disco_info,
    error_text,
    focus_creates,
    login_browser,
    login_focus,
    muc_item,
    nick_of,
    participant_join,
    show,
    status_codes,
    strophe_id,
    with_attrs,
)
from webxmpp import WSClient, focus_factory, ws_clients  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(60)

TENANT = "acme"
VIRTUAL_MUC = f"muc.{TENANT}.meet.jitsi"


def virtual(room: str, tenant: str = TENANT) -> str:
    return f"{room}@muc.{tenant}.meet.jitsi"


def real(room: str, tenant: str = TENANT) -> str:
    return f"[{tenant}]{room}@muc.meet.jitsi"


def readdressed(stanza: str, room: str, tenant: str = TENANT) -> str:
    """A fixture stanza built for `room@muc.meet.jitsi`, sent to the tenant's virtual room instead."""
    return stanza.replace(f"{room}@muc.meet.jitsi", virtual(room, tenant))


def test_a_tenant_conference_from_request_to_groupchat(server, aio):
    room = "standup"

    async def scenario():
        focus = await login_focus(aio, server)
        alice = await login_browser(aio, server, "alice")
        bob = await login_browser(aio, server, "bob")

        # The conference IQ names the virtual room; Jicofo gets the real one, nothing else changed.
        requests = {}
        for browser in (alice, bob):
            ident = strophe_id()
            browser.send(readdressed(conference_request(room, ident), room))
            request = await focus.take(
                lambda e, b=browser: e.tag == IQ and e.get("from") == f"{FOCUS_PROXY}/{b.jid}",
                f"{browser.name}'s conference IQ",
            )
            conference = request.find(q(NS_FOCUS, "conference"))
            assert conference is not None and conference.get("room") == real(room), (
                f"Jicofo must see the real room {real(room)}: {show(request)}"
            )
            requests[browser] = (ident, request)

        # Jicofo creates the real room and answers with it; each browser gets its virtual room back.
        await focus_creates(focus, f"[{TENANT}]{room}")
        for browser, (ident, request) in requests.items():
            focus.send(conference_result(request, f"[{TENANT}]{room}"))
            answer = await browser.take(lambda e, i=ident: e.tag == IQ and e.get("id") == i, "the conference result")
            conference = answer.find(q(NS_FOCUS, "conference"))
            assert answer.get("type") == "result" and answer.get("from") == FOCUS_PROXY, show(answer)
            assert conference.get("room") == virtual(room) and conference.get("focusjid") == FOCUS_JID, show(answer)

        # alice joins the virtual room: her self-presence comes from it; Jicofo sees the real one.
        alice_virtual = f"{virtual(room)}/{nick_of(alice)}"
        alice.send(readdressed(participant_join(room, nick_of(alice), "Alice"), room))
        own = await alice.presence_from(alice_virtual, "alice's self-presence from the virtual room")
        assert {"110", "100"} <= status_codes(own), show(own)
        item = muc_item(own)
        assert item.get("jid") == alice.jid, f"payloads are not rewritten: {show(own)}"
        await alice.presence_from(f"{virtual(room)}/focus", "focus's presence, from the virtual room")
        seen = await focus.presence_from(f"{real(room)}/{nick_of(alice)}", "alice's presence, real address")
        assert muc_item(seen).get("jid") == alice.jid, show(seen)

        bob_virtual = f"{virtual(room)}/{nick_of(bob)}"
        bob.send(readdressed(participant_join(room, nick_of(bob), "Bob"), room))
        await bob.presence_from(bob_virtual, "bob's self-presence")
        await bob.presence_from(alice_virtual, "alice's presence for bob, virtual")
        await alice.presence_from(bob_virtual, "bob's presence for alice, virtual")
        await focus.presence_from(f"{real(room)}/{nick_of(bob)}", "bob's presence for focus, real")

        # Groupchat: the same message, each recipient in the form it joined with.
        alice.send(f"<message to='{virtual(room)}' type='groupchat' id='g1'><body>hello acme</body></message>")
        for peer, sender in ((alice, alice_virtual), (bob, alice_virtual), (focus, f"{real(room)}/{nick_of(alice)}")):
            await peer.take(
                lambda e, s=sender: e.tag == MESSAGE and e.get("from") == s and e.findtext(q(NS_CLIENT, "body")) == "hello acme",
                f"{peer.name}: the groupchat from {sender}",
            )

        # disco#info to the virtual MUC domain and to the virtual room: answered from the address asked.
        reply = await alice.iq(disco_info(VIRTUAL_MUC, "d-muc"), "disco#info of the virtual MUC domain")
        assert reply.get("type") == "result" and reply.get("from") == VIRTUAL_MUC, show(reply)
        features = {f.get("var") for f in reply.iter(q(NS_DISCO_INFO, "feature"))}
        assert "http://jabber.org/protocol/muc" in features, show(reply)
        reply = await alice.iq(disco_info(virtual(room), "d-room"), "disco#info of the virtual room")
        assert reply.get("type") == "result" and reply.get("from") == virtual(room), show(reply)

        # Another tenant's room of the same name is another room.
        carol = await login_browser(aio, server, "carol")
        ident = strophe_id()
        carol.send(readdressed(conference_request(room, ident), room, tenant="globex"))
        request = await focus.take(lambda e: e.tag == IQ and e.get("from") == f"{FOCUS_PROXY}/{carol.jid}", "carol's IQ")
        assert request.find(q(NS_FOCUS, "conference")).get("room") == real(room, "globex"), show(request)

        # Leaving: the unavailable presence comes from the virtual room too.
        bob.send(f"<presence type='unavailable' to='{bob_virtual}'/>")
        await alice.presence_from(bob_virtual, "bob leaving, virtual", available=False)
        await focus.presence_from(f"{real(room)}/{nick_of(bob)}", "bob leaving, real", available=False)

    aio.run(scenario(), timeout=40)


def test_the_room_name_policy_judges_a_tenants_room(server, aio):
    async def scenario():
        alice = await login_browser(aio, server, "alice")
        # lib-jitsi-meet's form of "alice.smith@example.com" after getBackendSafeRoomName drops the '@'.
        for name in ("alice.smith%40example.com", "alicesmithexample.com"):
            ident = strophe_id()
            alice.send(readdressed(conference_request(name, ident), name))
            reply = await alice.take(lambda e, i=ident: e.tag == IQ and e.get("id") == i, f"the answer for {name}")
            assert reply.get("type") == "error", f"{name} identifies a person: {show(reply)}"
            assert stanza_error(reply)[1] in ("not-acceptable", "not-allowed"), show(reply)
            assert error_text(reply), f"the refusal says why: {show(reply)}"

    aio.run(scenario(), timeout=20)


def test_a_too_long_tenant_room_is_refused_and_others_go_on(server, aio):
    async def scenario():
        alice = await login_browser(aio, server, "alice")
        long = "a" * 1020
        alice.send(f"<presence to='{long}@{VIRTUAL_MUC}/n' id='long1'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        error = await alice.take(lambda e: e.tag == PRESENCE and e.get("id") == "long1", "the error for the long name")
        assert error.get("type") == "error" and stanza_error(error)[1] == "jid-malformed", show(error)
        reply = await alice.iq(disco_info(VIRTUAL_MUC, "after"), "disco#info afterwards")
        assert reply.get("type") == "result", show(reply)

    aio.run(scenario(), timeout=20)


# ------------------------------------------------------------------------------------------------------------------
# A token's `sub` selects the tenant (JWT_ENABLE_DOMAIN_VERIFICATION)
# ------------------------------------------------------------------------------------------------------------------

SECRET = "parley-interop-tenant-secret-0123456789abcdef"
SECRET_ENV = "PARLEY_TEST_TENANT_JWT_SECRET"
APP_ID = "parley_tenant_app"
TOKEN_CONFIG = f"""
hosts:
  - domain: {ANON_DOMAIN}
    authentication: token
    token:
      app_id: {APP_ID}
      app_secret_env: {SECRET_ENV}
      verify_subject: true
  - domain: auth.meet.jitsi
    authentication: internal_hashed
"""


def token(**claims) -> str:
    now = int(time.time())
    body = {"iss": APP_ID, "aud": "jitsi", "room": "*", "nbf": now - 10, "exp": now + 600}
    body.update(claims)
    return jwt.encode(body, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def token_slot(parley_module_pool):
    os.environ[SECRET_ENV] = SECRET
    return ServerSlot(parley_module_pool, config=TOKEN_CONFIG)


def ws_tenant_join(client: WSClient, room: str, tenant: str) -> ET.Element:
    """lib-jitsi-meet's join of a tenant's room; returns the first presence answering it."""
    nick = client.jid.split("@", 1)[0][:8]
    occupant = f"{virtual(room, tenant)}/{nick}"
    client.send(f"<presence xmlns='{NS_CLIENT}' to='{occupant}'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    return client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant, what=f"the answer to {occupant}")


def test_the_tokens_subject_selects_the_tenant(token_slot, ws_clients, focus_factory, request):
    server = token_slot.acquire()
    room = "planning"
    focus = focus_factory(server)
    focus.create_room(f"[{TENANT}]{room}")
    focus.create_room(f"[globex]{room}")
    focus.create_room(room)

    # sub = the tenant: that tenant's rooms only.
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}&prefix={TENANT}&token={token(sub=TENANT)}"))
    alice.login()
    own = ws_tenant_join(alice, room, TENANT)
    assert own.get("type") is None and "110" in {s.get("code") for s in own.iter(q(NS_MUC_USER, "status"))}, show(own)
    refused = ws_tenant_join(alice, room, "globex")
    assert refused.get("type") == "error" and stanza_error(refused) == ("cancel", "not-allowed"), show(refused)
    assert error_text(refused) == "Room and token mismatched", show(refused)
    # ... and not the main domain's room of the same name.
    nick = alice.jid.split("@", 1)[0][:8]
    alice.send(f"<presence xmlns='{NS_CLIENT}' to='{room}@muc.meet.jitsi/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    main = alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{room}@muc.meet.jitsi/{nick}", what="main room answer")
    assert main.get("type") == "error" and stanza_error(main)[1] == "not-allowed", show(main)

    # sub = the main domain: its rooms, no tenant's.
    bob = ws_clients(WSClient(server.ports["http"], f"room={room}&token={token(sub=ANON_DOMAIN)}"))
    bob.login()
    refused = ws_tenant_join(bob, room, TENANT)
    assert refused.get("type") == "error" and stanza_error(refused)[1] == "not-allowed", show(refused)

    # sub = '*': any tenant.
    carol = ws_clients(WSClient(server.ports["http"], f"room={room}&token={token(sub='*')}"))
    carol.login()
    assert ws_tenant_join(carol, room, "globex").get("type") is None

    # A subject that is neither a tenant nor the domain is refused at login.
    dave = ws_clients(WSClient(server.ports["http"], f"room={room}&token={token(sub='other.example.com')}"))
    _, features = dave.open()
    dave.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>")
    answer = dave.next_element()
    assert answer.tag.endswith("failure"), show(answer)
    token_slot.check(request.node.name)
