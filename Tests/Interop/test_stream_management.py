"""XEP-0198 stream management over WebSocket and TCP: the <sm/> feature, enable/enabled, ack requests and
answers, hibernation of a dropped session, resumption with `previd` (lib-jitsi-meet over WebSocket, Smack over
TCP) with the queued stanzas delivered and no ghost or duplicate occupant, and expiry of the window.

Spec: XEP-0198 §3 (enable), §4 (acks), §5 (resumption); jitsi-requirements R2 (jitsi-anonymous gives the
hibernated session's username back when the WebSocket URL carries `previd`), R12 (ids `[A-Za-z0-9_-]+`, resume =
new WebSocket with `?previd=`, SASL again, `<resume/>`), §3.4 (unavailable presence when hibernation expires).
Each test starts its own server (the Jitsi preset; `c2s.sm_hibernation: 2` for the expiry tests)."""

from __future__ import annotations

import base64
import socket
import struct
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    JVB_JID,
    JVB_PASSWORD,
    NS_BIND,
    NS_CLIENT,
    NS_SASL,
    NS_STREAMS,
    q,
    raw_secured_client,
)
from webxmpp import (
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    NS_SM,
    PRESENCE,
    SM_ID_RE,
    STANZAS,
    BoshClient,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    participant_join,
    show,
    start_with_config,
    status_codes,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
    ws_join,
)

pytestmark = pytest.mark.timeout(30)

NS_PING = "urn:xmpp:ping"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


@pytest.fixture
def server(parley_factory):
    return parley_factory()


@pytest.fixture
def short_window_server(parley_factory):
    return start_with_config(parley_factory, "c2s:\n  sm_hibernation: 2\n", "c2s.sm_hibernation")


def sm_feature(features: ET.Element) -> ET.Element | None:
    return features.find(q(NS_SM, "sm"))


def ping_xml(ident: str) -> str:
    return f"<iq xmlns='{NS_CLIENT}' type='get' id='{ident}' to='{ANON_DOMAIN}'><ping xmlns='{NS_PING}'/></iq>"


def groupchat(room: str, body: str) -> str:
    return f"<message xmlns='{NS_CLIENT}' to='{room}@{MUC_DOMAIN}' type='groupchat'><body>{body}</body></message>"


def is_groupchat(sender: str, body: str | None = None):
    return lambda e: (e.tag == MESSAGE and e.get("from") == sender and e.get("type") == "groupchat"
                      and (body is None or e.findtext(q(NS_CLIENT, "body")) == body))


def presences_from(elements, occupant: str, kind: str | None = "any") -> list[ET.Element]:
    return [e for e in elements if e.tag == PRESENCE and e.get("from") == occupant
            and (kind == "any" or e.get("type") == kind)]


def sm_client(ws_clients, server, query: str = "") -> WSClient:
    """A WebSocket participant logged in (ANONYMOUS + bind) with <sm/> checked and resumption enabled."""
    client = ws_clients(WSClient(server.ports["http"], query))
    features = client.login()
    assert sm_feature(features) is not None, (
        f"no <sm xmlns='{NS_SM}'/> in the features after authentication (XEP-0198 §3, jitsi R12): {show(features)}"
    )
    enabled = client.enable_sm()
    assert SM_ID_RE.fullmatch(enabled.get("id") or ""), f"resumption id {enabled.get('id')!r}"
    client.sm_id = enabled.get("id")  # type: ignore[attr-defined]
    return client


# ---------------------------------------------------------------------------------------------------------------
# Offer, enable, acks
# ---------------------------------------------------------------------------------------------------------------


def test_sm_offered_on_websocket_and_tcp_not_bosh(server):
    """<sm xmlns='urn:xmpp:sm:3'/> after authentication on WebSocket and TCP; not over BOSH (jitsi §3.3)."""
    ws = WSClient(server.ports["http"])
    try:
        features = ws.authenticate_anonymous()
        assert sm_feature(features) is not None, f"WebSocket: no <sm/> after SASL: {show(features)}{ws.transcript()}"
        assert features.find(q(NS_BIND, "bind")) is not None
    finally:
        ws.close()
    tcp = raw_secured_client(server.c2s)
    try:
        assert tcp.auth("ANONYMOUS").tag == q(NS_SASL, "success")
        features = tcp.open_stream(ANON_DOMAIN)
        assert sm_feature(features) is not None, f"TCP: no <sm/> after SASL: {show(features)}{tcp.transcript()}"
    finally:
        tcp.close()
    bosh = BoshClient(server.ports["http"])
    try:
        bosh.create(wait=5)
        assert bosh.request(f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>").status == 200
        restart = bosh.request(to=ANON_DOMAIN, xmpp__restart="true")
        features = next(c for c in restart.children if c.tag == q(NS_STREAMS, "features"))
        assert sm_feature(features) is None, f"BOSH offers <sm/> (lib-jitsi-meet never uses it there): {show(features)}"
    finally:
        bosh.close()


def test_enable_with_resume(server, ws_clients):
    """<enable resume='true'/> → <enabled id resume='true' max/> with an id lib-jitsi-meet's URL regex keeps."""
    client = ws_clients(WSClient(server.ports["http"]))
    client.login()
    client.send(f"<enable xmlns='{NS_SM}' resume='true'/>")
    enabled = client.expect(q(NS_SM, "enabled"))
    ident = enabled.get("id") or ""
    assert SM_ID_RE.fullmatch(ident), f"id {ident!r} does not match [A-Za-z0-9_-]+ (LJM ResumeTask.ts)"
    assert enabled.get("resume") in ("true", "1"), show(enabled)
    assert enabled.get("max") == "60", f"max (hibernation seconds, default 60): {show(enabled)}"


def test_enable_twice_fails(server, ws_clients):
    client = sm_client(ws_clients, server)
    client.send(f"<enable xmlns='{NS_SM}' resume='true'/>")
    failed = client.expect(q(NS_SM, "failed"))
    assert failed.find(q(NS_STANZAS, "unexpected-request")) is not None, show(failed)


def test_ack_request_and_answer(server, ws_clients):
    """§4: <r/> is answered with <a h/> counting the stanzas the server handled; the client's <a/> is taken."""
    client = sm_client(ws_clients, server)
    for n in range(3):
        client.send(ping_xml(f"p{n}"))
    for n in range(3):
        client.wait_for(lambda e, n=n: e.tag == IQ and e.get("id") == f"p{n}", what=f"result of p{n}")
    client.send(f"<r xmlns='{NS_SM}'/>")
    answer = client.wait_for(lambda e: e.tag == q(NS_SM, "a"), what="<a/>")
    assert answer.get("h") == "3", f"three pings handled, <a h='3'/> expected: {show(answer)}"
    client.send(f"<a xmlns='{NS_SM}' h='{client.h_in}'/>")
    client.send(ping_xml("after-ack"))
    reply = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "after-ack", what="result after the ack")
    assert reply.get("type") == "result"


def test_server_requests_acks(server, ws_clients):
    """The server asks for an ack (<r/>) once stanzas go unacknowledged."""
    client = ws_clients(WSClient(server.ports["http"], auto_ack=False))
    client.login()
    client.enable_sm()
    for n in range(8):
        client.send(ping_xml(f"q{n}"))
    client.wait_for(lambda e: e.tag == IQ and e.get("id") == "q7", what="the last ping result")
    client.poll(0.5)
    requests = [e for e in client.history if e.tag == q(NS_SM, "r")]
    assert requests, f"8 unacknowledged stanzas and no <r/> from the server{client.transcript()}"


def test_ack_beyond_sent_ends_stream(server, ws_clients):
    """§4: acknowledging stanzas never sent is an error that ends the stream."""
    client = sm_client(ws_clients, server)
    client.send(f"<a xmlns='{NS_SM}' h='500'/>")
    client.expect_stream_error(("undefined-condition", "policy-violation"))


# ---------------------------------------------------------------------------------------------------------------
# Resumption over WebSocket (lib-jitsi-meet)
# ---------------------------------------------------------------------------------------------------------------


def resume_ws(server, ws_clients, room: str, previd: str, h: int) -> tuple[WSClient, ET.Element]:
    """lib-jitsi-meet's ResumeTask: a new WebSocket with ?previd=, <open/>, SASL ANONYMOUS, <open/>, <resume/>."""
    client = ws_clients(WSClient(server.ports["http"], f"room={room}&previd={previd}"))
    features = client.authenticate_anonymous()
    assert sm_feature(features) is not None, show(features)
    client.send(f"<resume xmlns='{NS_SM}' previd='{previd}' h='{h}'/>")
    answer = client.wait_for(lambda e: e.tag in (q(NS_SM, "resumed"), q(NS_SM, "failed")), what="<resumed/> or <failed/>")
    return client, answer


def test_resume_over_websocket_delivers_queued_stanzas(server, ws_clients, focus_factory):
    """Join, drop the TCP connection under the WebSocket, let another occupant talk, reconnect with ?previd=:
    ANONYMOUS gives the same username, <resume/> → <resumed/>, the messages sent meanwhile arrive once each, and
    the room never saw the occupant leave nor sees it twice."""
    room = unique_room("smws")
    focus = focus_factory(server)
    focus.create_room(room)
    alice = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    alice.login()
    alice_occupant, _ = ws_join(alice, room, "Alice")
    bob = sm_client(ws_clients, server, f"room={room}")
    bob_jid = bob.jid
    previd = bob.sm_id
    bob_occupant, _ = ws_join(bob, room, "Bob")
    alice.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == bob_occupant, what="Bob's join")
    focus.wait_presence(bob_occupant, available=True)
    alice.send(groupchat(room, "before the drop"))
    bob.wait_for(is_groupchat(alice_occupant, "before the drop"), what="the message before the drop")
    bob.poll(0.2)
    handled = bob.h_in

    bob.abort()
    time.sleep(0.3)
    queued = [f"while away {n}" for n in range(3)]
    for body in queued:
        alice.send(groupchat(room, body))
    for body in queued:
        alice.wait_for(is_groupchat(alice_occupant, body), what=f"the echo of {body!r}")
    alice.poll(0.5)
    assert not presences_from(alice.elements, bob_occupant), (
        f"the room saw Bob's presence change while he was hibernating: "
        f"{[show(e) for e in presences_from(alice.elements, bob_occupant)]}"
    )
    assert not presences_from(focus.client.elements, bob_occupant, "unavailable"), "focus saw Bob leave"

    resumed_client, answer = resume_ws(server, ws_clients, room, previd, handled)
    assert answer.tag == q(NS_SM, "resumed"), (
        f"<resume previd h/> was refused: {show(answer)} (ANONYMOUS must give the hibernated session's username "
        f"back when the URL carries previd){resumed_client.transcript()}"
    )
    assert answer.get("previd") == previd, show(answer)
    assert answer.get("h", "").isdigit(), show(answer)
    resumed_client.count_stanzas = True
    resumed_client.h_in = handled
    for body in queued:
        resumed_client.wait_for(is_groupchat(alice_occupant, body), what=f"the queued message {body!r}")
    resumed_client.poll(0.4)
    again = [e for e in resumed_client.history if is_groupchat(alice_occupant)(e)]
    bodies = [e.findtext(q(NS_CLIENT, "body")) for e in again]
    assert bodies == queued, f"queued messages expected once each, in order: {queued}; got {bodies}"

    resumed_client.send(ping_xml("who-am-i"))
    reply = resumed_client.wait_for(lambda e: e.tag == IQ and e.get("id") == "who-am-i", what="ping result")
    assert reply.get("to") == bob_jid, f"the resumed session answers as {reply.get('to')!r}, not {bob_jid!r}"

    resumed_client.send(groupchat(room, "back again"))
    alice.wait_for(is_groupchat(bob_occupant, "back again"), what="Bob's message after resuming")
    # No ghost, no duplicate: a newcomer sees exactly one presence for Bob's nick.
    carol = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    carol.login()
    ws_join(carol, room, "Carol")
    carol.poll(0.3)
    seen = presences_from(carol.history, bob_occupant)
    assert len(seen) == 1 and seen[0].get("type") is None, (
        f"a newcomer should see Bob exactly once, available: {[show(e) for e in seen]}"
    )
    alice.poll(0.2)
    assert not presences_from(alice.history, bob_occupant, "unavailable"), "Alice saw Bob leave"
    assert len(presences_from(alice.history, bob_occupant, None)) == 1, "Alice saw Bob join twice"


def test_resume_needs_previd_in_url(server, ws_clients):
    """Without ?previd= the anonymous login gets a new username, and resuming another user's session fails."""
    bob = sm_client(ws_clients, server)
    previd = bob.sm_id
    bob.abort()
    time.sleep(0.2)
    other = ws_clients(WSClient(server.ports["http"]))
    other.authenticate_anonymous()
    other.send(f"<resume xmlns='{NS_SM}' previd='{previd}' h='0'/>")
    answer = other.wait_for(lambda e: e.tag in (q(NS_SM, "resumed"), q(NS_SM, "failed")), what="<resumed/> or <failed/>")
    assert answer.tag == q(NS_SM, "failed"), f"another anonymous user resumed Bob's session: {show(answer)}"


def test_resume_unknown_previd_fails_and_bind_still_works(server, ws_clients):
    client = ws_clients(WSClient(server.ports["http"], "previd=nosuchsession_00"))
    client.authenticate_anonymous()
    client.send(f"<resume xmlns='{NS_SM}' previd='nosuchsession_00' h='0'/>")
    failed = client.expect(q(NS_SM, "failed"))
    assert failed.find(q(NS_STANZAS, "item-not-found")) is not None, show(failed)
    jid = client.bind()
    assert jid.endswith("@meet.jitsi/" + jid.split("/", 1)[1])


def test_hibernation_expiry_room_gets_unavailable(short_window_server, ws_clients, focus_factory):
    """c2s.sm_hibernation: 2. While the window is open the room sees nothing; when it expires the room gets
    the unavailable presence and the id no longer resumes."""
    server = short_window_server
    room = unique_room("smexp")
    focus = focus_factory(server)
    focus.create_room(room)
    bob = sm_client(ws_clients, server, f"room={room}")
    enabled = next(e for e in reversed(bob.history) if e.tag == q(NS_SM, "enabled"))
    assert enabled.get("max") == "2", f"max with sm_hibernation: 2: {show(enabled)}"
    previd = enabled.get("id")
    occupant, _ = ws_join(bob, room, "Bob")
    focus.wait_presence(occupant, available=True)
    bob.abort()
    dropped = time.monotonic()
    early = focus.presences_from(occupant, seconds=1.0)
    assert not [p for p in early if p.get("type") == "unavailable"], (
        f"unavailable presence {time.monotonic() - dropped:.1f} s after the drop, inside the 2 s window"
    )
    focus.wait_presence(occupant, available=False, timeout=6)
    elapsed = time.monotonic() - dropped
    assert 1.5 <= elapsed <= 6.5, f"unavailable presence {elapsed:.1f} s after the drop (window 2 s)"
    client, answer = resume_ws(server, ws_clients, room, previd, 0)
    assert answer.tag == q(NS_SM, "failed") and answer.find(q(NS_STANZAS, "item-not-found")) is not None, (
        f"resuming an expired session: {show(answer)}"
    )


# ---------------------------------------------------------------------------------------------------------------
# Resumption over TCP (Smack: Jicofo, JVB)
# ---------------------------------------------------------------------------------------------------------------


class TcpSM:
    """A raw TCP session of jvb@auth.meet.jitsi with stream management."""

    def __init__(self, server):
        self.server = server
        self.client = self._login()

    def _login(self):
        client = raw_secured_client(self.server.c2s, AUTH_DOMAIN)
        token = base64.b64encode(f"\0jvb\0{JVB_PASSWORD}".encode()).decode()
        answer = client.auth("PLAIN", token)
        assert answer.tag == q(NS_SASL, "success"), show(answer)
        client.features = client.open_stream(AUTH_DOMAIN)
        return client

    def handled(self, since: int) -> int:
        return sum(1 for e in self.client.history[since:] if e.tag in STANZAS)

    def abort(self):
        sock = self.client.sock
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.client.close()

    def reconnect(self):
        self.client = self._login()
        return self.client


def test_resume_over_tcp(server, focus_factory, ws_clients):
    """Smack-style: jvb (an account, PLAIN over STARTTLS) enables resumption, joins a room, loses its TCP
    connection; a direct message and a groupchat message sent meanwhile arrive after <resume/> on a new
    connection, and the room keeps exactly one occupant for it."""
    room = unique_room("smtcp")
    focus = focus_factory(server)
    focus.create_room(room)
    jvb = TcpSM(server)
    assert sm_feature(jvb.client.features) is not None, f"TCP: no <sm/>: {show(jvb.client.features)}"
    full = jvb.client.bind()
    assert full.startswith(JVB_JID + "/")
    jvb.client.send(f"<enable xmlns='{NS_SM}' resume='true'/>")
    enabled = jvb.client.wait_for(lambda e: e.tag in (q(NS_SM, "enabled"), q(NS_SM, "failed")), what="<enabled/>")
    assert enabled.tag == q(NS_SM, "enabled") and SM_ID_RE.fullmatch(enabled.get("id") or ""), show(enabled)
    previd = enabled.get("id")
    since = len(jvb.client.history)
    occupant = f"{room}@{MUC_DOMAIN}/jvbnick1"
    jvb.client.send(participant_join(room, "jvbnick1", "Bridge"))
    own = jvb.client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == occupant, what="self-presence")
    assert "110" in status_codes(own), show(own)
    focus.wait_presence(occupant, available=True)
    jvb.client.poll(0.3)
    handled = jvb.handled(since)

    jvb.abort()
    time.sleep(0.3)
    focus.send(f"<message xmlns='{NS_CLIENT}' to='{full}' type='chat'><body>direct while away</body></message>")
    focus.send(groupchat(room, "room while away"))
    assert not [p for p in focus.presences_from(occupant, seconds=0.5) if p.get("type") == "unavailable"], (
        "the room saw jvb leave while hibernating"
    )

    client = jvb.reconnect()
    assert sm_feature(client.features) is not None
    client.send(f"<resume xmlns='{NS_SM}' previd='{previd}' h='{handled}'/>")
    answer = client.wait_for(lambda e: e.tag in (q(NS_SM, "resumed"), q(NS_SM, "failed")), what="<resumed/>")
    assert answer.tag == q(NS_SM, "resumed") and answer.get("previd") == previd, f"{show(answer)}{client.transcript()}"
    direct = client.wait_for(lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == "direct while away",
                             what="the direct message sent while away")
    assert direct.get("to") == full, show(direct)
    client.wait_for(is_groupchat(f"{room}@{MUC_DOMAIN}/focus", "room while away"), what="the groupchat sent while away")
    client.send(ping_xml("tcp-after"))
    reply = client.wait_for(lambda e: e.tag == IQ and e.get("id") == "tcp-after", what="ping after resuming")
    assert reply.get("type") == "result" and reply.get("to") == full, show(reply)
    # One occupant for jvbnick1: a newcomer sees it once.
    newcomer = ws_clients(WSClient(server.ports["http"], f"room={room}"))
    newcomer.login()
    ws_join(newcomer, room, "Newcomer")
    newcomer.poll(0.3)
    seen = presences_from(newcomer.history, occupant)
    assert len(seen) == 1 and seen[0].get("type") is None, [show(e) for e in seen]
