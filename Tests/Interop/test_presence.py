"""Presence broadcast to the user's own resources (RFC 6121 §4.2.2, §4.4.2, §4.5.2), with slixmpp and raw sockets.

Parley keeps no roster, so the user is the only subscriber: a resource's initial presence comes back to it and
goes to the user's other available resources, which answer with theirs; updates and unavailable follow the same
way, and a dropped connection counts as unavailable. Prosody does the same, and every scansion script of Prosody's
own test suite begins by expecting that echo."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET

import pytest
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    DEFAULT_ACCOUNTS,
    FOCUS_JID,
    FOCUS_PASSWORD,
    NS_CLIENT,
    NS_SASL,
    ServerSlot,
    close_client,
    connect_client,
    q,
    raw_bound_client,
    raw_secured_client,
)

pytestmark = pytest.mark.timeout(30)

PRESENCE = q(NS_CLIENT, "presence")


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    server = slot.acquire()
    yield server
    slot.check(request.node.name)


def focus_resource(server, resource: str):
    """focus@auth.meet.jitsi/<resource> over raw TCP: STARTTLS, PLAIN, bind."""
    client = raw_secured_client(server.c2s, AUTH_DOMAIN)
    token = base64.b64encode(f"\0focus\0{FOCUS_PASSWORD}".encode()).decode()
    answer = client.auth("PLAIN", token)
    assert answer.tag == q(NS_SASL, "success"), client.transcript()
    client.open_stream(AUTH_DOMAIN)
    client.bind(resource)
    return client


def next_presence(client, sender: str, timeout: float = 3.0) -> ET.Element:
    return client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == sender, timeout, f"presence from {sender}")


def test_initial_presence_comes_back_to_the_resource_that_sent_it_slixmpp(server, aio):
    """§4.2.2 with slixmpp: its own presence arrives, from its own full JID, with the status it sent."""

    async def scenario():
        client = await connect_client(server.c2s, ANON_DOMAIN, "", "ANONYMOUS", runner=aio)
        loop = asyncio.get_running_loop()
        echoed = loop.create_future()

        def on_presence(stanza):
            if stanza["from"].full == client.boundjid.full and not echoed.done():
                echoed.set_result(stanza)

        client.register_handler(Callback("own-presence", MatchXPath(f"{{{NS_CLIENT}}}presence"), on_presence))
        client.send_presence(pstatus="in a call", ppriority=5)
        stanza = await asyncio.wait_for(echoed, 5)
        await close_client(client)
        return stanza

    stanza = aio.run(scenario())
    assert stanza["type"] == "available"
    assert stanza["status"] == "in a call"
    assert stanza["priority"] == 5
    assert stanza["to"].full == stanza["from"].full


def test_initial_presence_raw_echo(server):
    client = raw_bound_client(server.c2s)
    try:
        client.send("<presence><show>away</show></presence>")
        echo = next_presence(client, client.jid)
        assert echo.get("to") == client.jid and echo.get("type") is None
        assert echo.findtext(q(NS_CLIENT, "show")) == "away"
    finally:
        client.close()


def test_resources_of_one_user_see_each_other(server):
    """Two resources of focus@auth: each gets its own presence and the other's; an update reaches both;
    unavailable reaches the other; a dropped connection is unavailable to the one left."""
    first = focus_resource(server, "one")
    second = focus_resource(server, "two")
    third = None
    try:
        first.send("<presence><status>first</status></presence>")
        next_presence(first, first.jid)
        second.poll(0.3)
        assert not [e for e in second.elements if e.tag == PRESENCE], (
            f"a resource that sent no initial presence got presence{second.transcript()}"
        )

        second.send("<presence><status>second</status></presence>")
        assert next_presence(second, second.jid).findtext(q(NS_CLIENT, "status")) == "second"
        theirs = next_presence(second, first.jid)
        assert theirs.findtext(q(NS_CLIENT, "status")) == "first" and theirs.get("to") == second.jid
        mine = next_presence(first, second.jid)
        assert mine.findtext(q(NS_CLIENT, "status")) == "second" and mine.get("to") == first.jid

        first.send("<presence><status>updated</status></presence>")
        assert next_presence(first, first.jid).findtext(q(NS_CLIENT, "status")) == "updated"
        assert next_presence(second, first.jid).findtext(q(NS_CLIENT, "status")) == "updated"

        second.send("<presence type='unavailable'/>")
        assert next_presence(first, second.jid).get("type") == "unavailable"
        assert next_presence(second, second.jid).get("type") == "unavailable"

        # A third comes online and hears only from the available one.
        third = focus_resource(server, "three")
        third.send("<presence/>")
        next_presence(third, third.jid)
        assert next_presence(third, first.jid).findtext(q(NS_CLIENT, "status")) == "updated"
        third.poll(0.3)
        assert not [e for e in third.elements if e.tag == PRESENCE and e.get("from") == second.jid]

        first.close()  # no unavailable, no </stream>
        gone = next_presence(third, FOCUS_JID + "/one")
        assert gone.get("type") == "unavailable"
    finally:
        for client in (first, second, third):
            if client is not None:
                client.close()
