"""The control API for Jicofo developers (issue 14.1, Docs/Testing-Jicofo.md), checked against independent
clients: slixmpp over STARTTLS for the browsers and Jicofo, a raw TCP client for XEP-0198 resumption, and
Python's own http.client for the API and its Server-Sent Events.

* `parley serve --ephemeral` names the control port in its JSON line; it listens on loopback only;
* rooms, one room and sessions as JSON: occupants, roles, affiliations, configuration and the focus lock;
* the event stream: joins, leaves, role changes, room creation and destruction, filtered by kind and room, and
  routed stanzas by namespace;
* accounts added and removed at run time (a login succeeds, then fails), and brought back by a reset;
* a reset destroys the rooms (occupants get XEP-0045's destroy presence), ends the sessions with `reset`;
* each fault, observably: a dropped connection (no stream error, the room sees the occupant leave), stanzas
  dropped and delayed (a later message overtakes a delayed one), the focus proxy and the MUC answering
  `service-unavailable`, and the next XEP-0198 resumption refused (`<failed/>`, then the one after succeeds);
* with `control.token`, requests without the bearer token get 401.
"""

from __future__ import annotations

import base64
import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import (
    ANON_DOMAIN,
    AUTH_DOMAIN,
    JVB_JID,
    JVB_PASSWORD,
    NS_CLIENT,
    NS_SASL,
    connect_client,
    q,
    raw_secured_client,
    stanza_error,
)
from test_jitsi_flow import (
    FOCUS_FULL,
    FOCUS_PROXY,
    IQ,
    MESSAGE,
    MUC_DOMAIN,
    NS_MUC_ADMIN,
    NS_MUC_USER,
    PRESENCE,
    conference_request,
    focus_creates,
    login_browser,
    login_focus,
    nick_of,
    participant_join,
    room_jid,
    show,
    status_codes,
    strophe_id,
)

pytestmark = pytest.mark.timeout(60)

NS_SM = "urn:xmpp:sm:3"
NS_PING = "urn:xmpp:ping"
NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"


# ----------------------------------------------------------------------------------------------------------------
# The API's client
# ----------------------------------------------------------------------------------------------------------------


class Control:
    """Plain HTTP/1.1 to the control port (127.0.0.1)."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.token = token

    def call(self, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        token = token if token is not None else self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        return response.status, json.loads(text) if text else {}

    def ok(self, method: str, path: str, body=None) -> dict:
        status, answer = self.call(method, path, body)
        assert status in (200, 201), f"{method} {path}: HTTP {status} {answer}"
        return answer

    def events(self, **query) -> "EventStream":
        return EventStream(self.port, query, self.token)


class EventStream:
    """`GET /control/events`: a thread reads the Server-Sent Events into a queue. Ready once `: subscribed` came."""

    def __init__(self, port: int, query: dict, token: str | None):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        path = "/control/events"
        if query:
            path += "?" + urllib.parse.urlencode(query)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200, f"GET {path}: HTTP {self.response.status} {self.response.read()!r}"
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        first = self.response.readline().decode()
        assert first.startswith(": subscribed"), f"the stream did not start with ': subscribed': {first!r}"
        self.response.readline()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        fields: dict = {}
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                text = line.decode().rstrip("\n")
                if text == "":
                    if "data" in fields:
                        self.queue.put(json.loads(fields["data"]))
                    fields = {}
                elif not text.startswith(":"):
                    key, _, value = text.partition(": ")
                    fields[key] = value
        except (OSError, ValueError):
            pass
        self.queue.put(None)

    def next(self, predicate=lambda e: True, what: str = "an event", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout} s; got {self.seen[-12:]}")
            try:
                event = self.queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if event is None:
                raise AssertionError(f"the event stream ended before {what}; got {self.seen[-12:]}")
            self.seen.append(event)
            if predicate(event):
                return event

    def drain(self, seconds: float = 0.3) -> list[dict]:
        time.sleep(seconds)
        events = []
        while True:
            try:
                event = self.queue.get_nowait()
            except queue.Empty:
                return events
            if event is not None:
                self.seen.append(event)
                events.append(event)

    def close(self):
        try:
            self.connection.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        self.connection.close()


@pytest.fixture
def control_server(parley_factory):
    server = parley_factory()
    assert isinstance(server.ports.get("control"), int), f"the JSON line names no control port: {server.ports}"
    server.control = Control(server.ports["control"])
    streams: list[EventStream] = []
    server.streams = streams
    yield server
    for stream in streams:
        stream.close()


def subscribe(server, **query) -> EventStream:
    stream = server.control.events(**query)
    server.streams.append(stream)
    return stream


def room_of(server, room: str) -> dict:
    return server.control.ok("GET", f"/control/rooms/{room_jid(room)}")


def occupants_by_nick(room: dict) -> dict:
    return {o["nick"]: o for o in room["occupants"]}


async def conference(aio, server, room: str, *names: str):
    """Focus creates `room` (configured like Jicofo), then each browser joins; returns (focus, browsers)."""
    focus = await login_focus(aio, server)
    await focus_creates(focus, room, ident=f"Jv4Qx-{room}")
    browsers = []
    for name in names:
        browser = await login_browser(aio, server, name)
        occupant = f"{room_jid(room)}/{nick_of(browser)}"
        browser.send(participant_join(room, nick_of(browser), name.title()))
        await browser.presence_from(occupant, f"{name}'s self-presence")
        browsers.append(browser)
    return focus, browsers


def chat(to: str, body: str) -> str:
    return f"<message xmlns='{NS_CLIENT}' to='{to}' type='chat'><body>{body}</body></message>"


def is_chat(body: str):
    return lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) == body


# ----------------------------------------------------------------------------------------------------------------
# The listener
# ----------------------------------------------------------------------------------------------------------------


def test_control_port_is_loopback_only(control_server):
    """The JSON line names the control port, distinct from the others; it answers on 127.0.0.1 and nowhere else."""
    ports = control_server.ports
    assert len({ports["c2s"], ports["c2s_tls"], ports["http"], ports["control"]}) == 4, ports
    index = control_server.control.ok("GET", "/control")
    assert "POST /control/reset" in index["endpoints"], index
    # Another address of this machine, if it has one: the control port must not answer there.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, it only picks the outgoing address
        address = probe.getsockname()[0]
    except OSError:
        address = None
    finally:
        probe.close()
    if address and not address.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((address, ports["control"]), timeout=2).close()
    status, answer = control_server.control.call("GET", "/control/nothing-here")
    assert status == 404 and "error" in answer, (status, answer)


def test_token_required_when_configured(parley_factory):
    """With control.token set, a request without the bearer token (or with another) gets 401 and changes nothing."""
    token = "t0ken-for-the-control-api"
    server = parley_factory(config={"control": {"enabled": True, "token": token}})
    control = Control(server.ports["control"], token)
    status, answer = control.call("GET", "/control/rooms", token="")
    assert status == 401 and "bearer" in answer["error"].lower(), (status, answer)
    status, _ = control.call("POST", "/control/accounts", {"jid": "x@auth.meet.jitsi", "password": "p"}, token="nope")
    assert status == 401
    assert "x@auth.meet.jitsi" not in control.ok("GET", "/control/accounts")["accounts"]
    assert control.ok("GET", "/control/rooms") == {"rooms": []}


# ----------------------------------------------------------------------------------------------------------------
# Rooms, sessions, events
# ----------------------------------------------------------------------------------------------------------------


def test_rooms_and_sessions(control_server, aio):
    """A conference made by slixmpp clients as the API shows it: occupants in join order with roles and
    affiliations, the configuration focus submitted, the focus lock, and every session."""
    server = control_server

    async def scenario():
        focus, (alice,) = await conference(aio, server, "ctlrooms", "alice")
        return focus, alice

    focus, alice = aio.run(scenario(), timeout=20)
    rooms = server.control.ok("GET", "/control/rooms")["rooms"]
    assert [r["jid"] for r in rooms] == [room_jid("ctlrooms")], rooms
    room = room_of(server, "ctlrooms")
    assert [o["nick"] for o in room["occupants"]] == ["focus", nick_of(alice)], room
    by_nick = occupants_by_nick(room)
    assert (by_nick["focus"]["role"], by_nick["focus"]["affiliation"]) == ("moderator", "owner"), room
    assert by_nick["focus"]["sessions"] == [FOCUS_FULL], room
    mine = by_nick[nick_of(alice)]
    assert (mine["role"], mine["affiliation"], mine["sessions"]) == ("participant", "none", [alice.jid]), room
    assert mine["occupant_jid"] == f"{room_jid('ctlrooms')}/{nick_of(alice)}"
    assert room["occupant_count"] == 2 and room["configuration"]["whois"] == "anyone", room
    assert room["configuration"]["password_protected"] is False
    assert room["focus_lock"]["enabled"] is True and room["focus_lock"]["focus_joined"] is True, room
    assert len(room["meeting_id"]) == 36, room
    status, answer = server.control.call("GET", f"/control/rooms/nosuchroom@{MUC_DOMAIN}")
    assert status == 404, answer

    sessions = {s["jid"]: s for s in server.control.ok("GET", "/control/sessions")["sessions"]}
    assert {FOCUS_FULL, alice.jid} <= set(sessions), sessions
    # Jicofo sent initial presence; lib-jitsi-meet's browser only directed presence to the room (RFC 6121 §4.6).
    assert (sessions[FOCUS_FULL]["available"], sessions[alice.jid]["available"]) == (True, False), sessions


def test_events_stream_joins_roles_leaves(control_server, aio):
    """Room created, joined (focus, then alice), role changed (focus makes alice a moderator), left, destroyed,
    in that order; a subscriber filtering on another room sees none of it; routed stanzas only when asked for."""
    server = control_server
    room = "ctlevents"
    events = subscribe(server, room=room_jid(room))
    elsewhere = subscribe(server, room=room_jid("some-other-room"))
    pings = subscribe(server, kinds="stanza", namespace=NS_PING)

    async def scenario():
        focus, (alice,) = await conference(aio, server, room, "alice")
        ident = strophe_id()
        await focus.expect_result(
            f"<iq type='set' id='{ident}' to='{room_jid(room)}'><query xmlns='{NS_MUC_ADMIN}'>"
            f"<item nick='{nick_of(alice)}' role='moderator'/></query></iq>",
            "granting moderator",
        )
        await alice.client.plugin["xep_0199"].send_ping(ANON_DOMAIN, timeout=5)
        alice.send(f"<presence to='{room_jid(room)}/{nick_of(alice)}' type='unavailable'/>")
        await alice.presence_from(f"{room_jid(room)}/{nick_of(alice)}", "alice's leave", available=False)
        focus.send(f"<presence to='{room_jid(room)}/focus' type='unavailable'/>")
        await focus.presence_from(f"{room_jid(room)}/focus", "focus's leave", available=False)
        return alice

    alice = aio.run(scenario(), timeout=20)
    created = events.next(lambda e: e["kind"] == "room_created", "room_created")
    assert created["room"] == room_jid(room)
    joined = events.next(lambda e: e["kind"] == "joined", "focus joined")
    assert (joined["nick"], joined["role"], joined["affiliation"]) == ("focus", "moderator", "owner"), joined
    joined = events.next(lambda e: e["kind"] == "joined", "alice joined")
    assert (joined["nick"], joined["jid"], joined["role"]) == (nick_of(alice), alice.bare, "participant"), joined
    changed = events.next(lambda e: e["kind"] == "role_changed", "role_changed")
    assert (changed["nick"], changed["previous_role"], changed["role"]) == (nick_of(alice), "participant", "moderator")
    left = events.next(lambda e: e["kind"] == "left", "alice left")
    assert left["nick"] == nick_of(alice), left
    events.next(lambda e: e["kind"] == "left" and e["nick"] == "focus", "focus left")
    destroyed = events.next(lambda e: e["kind"] == "room_destroyed", "room_destroyed")
    assert destroyed["room"] == room_jid(room)
    sequence = [e["seq"] for e in events.seen]
    assert sequence == sorted(sequence), f"events out of order: {events.seen}"
    assert all(e["kind"] != "stanza" for e in events.seen), "routed stanzas without asking for them"

    assert elsewhere.drain() == [], "a subscriber of another room got this room's events"
    ping = pings.next(lambda e: e["stanza"]["from"] == alice.jid, "alice's ping as a routed stanza")
    assert ping["stanza"]["kind"] == "iq" and NS_PING in ping["stanza"]["namespaces"], ping
    assert all(NS_PING in e["stanza"].get("namespaces", []) for e in pings.seen + pings.drain()), pings.seen


def test_bad_filters_and_faults_are_refused(control_server):
    control = control_server.control
    for path in ("/control/events?kinds=nonsense", "/control/events?colour=blue", "/control/events?room=a@b@c"):
        status, answer = control.call("GET", path)
        assert status == 400 and answer["error"], (path, status, answer)
    for body in ({"action": "explode"}, {"action": "delay"}, {"action": "drop", "match": {"colour": "red"}},
                 {"action": "drop", "seconds": 99999}, {"action": "drop", "match": {"kind": "mail"}}):
        status, answer = control.call("POST", "/control/faults", body)
        assert status == 400 and answer["error"], (body, status, answer)
    assert control.ok("GET", "/control/faults")["faults"] == []


# ----------------------------------------------------------------------------------------------------------------
# Accounts and reset
# ----------------------------------------------------------------------------------------------------------------


def test_accounts_at_run_time_and_reset(control_server, aio):
    """An account added through the API logs in by SCRAM-SHA-1; removed, it cannot. A reset destroys the rooms
    (occupants get the destroy presence), ends the sessions with `reset`, removes added accounts and restores
    removed configured ones."""
    server = control_server
    control = server.control
    new_jid = f"tester@{AUTH_DOMAIN}"
    assert control.ok("POST", "/control/accounts", {"jid": new_jid, "password": "pa55word"})["jid"] == new_jid

    async def login(jid, password):
        return await connect_client(server.c2s, jid, password, "SCRAM-SHA-1", runner=aio)

    aio.run(login(new_jid, "pa55word"), timeout=15)
    assert control.ok("DELETE", f"/control/accounts/{new_jid}")["removed"] == new_jid
    with pytest.raises(ConnectionError):
        aio.run(login(new_jid, "pa55word"), timeout=15)
    control.ok("POST", "/control/accounts", {"jid": new_jid, "password": "again"})
    control.ok("DELETE", f"/control/accounts/{JVB_JID}")
    with pytest.raises(ConnectionError):
        aio.run(login(JVB_JID, JVB_PASSWORD), timeout=15)

    events = subscribe(server, kinds="room_destroyed,session_ended")

    async def scenario():
        return await conference(aio, server, "ctlreset", "alice")

    focus, (alice,) = aio.run(scenario(), timeout=20)
    answer = control.ok("POST", "/control/reset")
    assert answer == {"rooms_destroyed": 1, "sessions_closed": 2 + 1}, answer  # + the first tester login

    async def after():
        destroy = await alice.presence_from(
            f"{room_jid('ctlreset')}/{nick_of(alice)}",
            "the destroy presence",
            available=False,
        )
        assert destroy.find(f"{{{NS_MUC_USER}}}x/{{{NS_MUC_USER}}}destroy") is not None, show(destroy)
        await alice.client.disconnected_event.wait()

    aio.run(after(), timeout=10)
    assert [e["condition"] for e in alice.client.stream_errors] == ["reset"], alice.client.stream_errors
    assert control.ok("GET", "/control/rooms") == {"rooms": []}
    assert control.ok("GET", "/control/sessions") == {"sessions": []}
    events.next(lambda e: e["kind"] == "room_destroyed", "room_destroyed after the reset")
    events.next(lambda e: e["kind"] == "session_ended" and e["jid"] == alice.jid, "alice's session_ended")
    accounts = control.ok("GET", "/control/accounts")["accounts"]
    assert new_jid not in accounts and JVB_JID in accounts, accounts
    aio.run(login(JVB_JID, JVB_PASSWORD), timeout=15)


# ----------------------------------------------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------------------------------------------


def test_drop_connection_like_a_crash(control_server, aio):
    """POST /control/sessions/drop cuts alice's TCP connection: slixmpp sees the connection go without a stream
    error, and the room tells focus she left (she had no XEP-0198 resumption)."""
    server = control_server
    events = subscribe(server, kinds="session_dropped,left")

    async def scenario():
        focus, (alice,) = await conference(aio, server, "ctldrop", "alice")
        return focus, alice

    focus, alice = aio.run(scenario(), timeout=20)
    answer = server.control.ok("POST", "/control/sessions/drop", {"jid": alice.jid})
    assert answer["dropped"] == [alice.jid], answer

    async def after():
        await asyncio_wait(alice.client.disconnected_event)
        await focus.presence_from(f"{room_jid('ctldrop')}/{nick_of(alice)}", "alice's leave", available=False)

    aio.run(after(), timeout=10)
    assert alice.client.stream_errors == [], f"a dropped connection carries no stream error: {alice.client.stream_errors}"
    assert events.next(lambda e: e["kind"] == "session_dropped")["jid"] == alice.jid
    assert events.next(lambda e: e["kind"] == "left")["nick"] == nick_of(alice)
    status, _ = server.control.call("POST", "/control/sessions/drop", {"jid": alice.jid})
    assert status == 404


async def asyncio_wait(event, timeout: float = 5.0):
    import asyncio

    await asyncio.wait_for(event.wait(), timeout)


def test_drop_and_delay_stanzas(control_server, aio):
    """A drop rule on chat messages to bob: the first message never arrives while pings still do; a delay rule on
    one body: the message sent after it overtakes it. Both reported as routed stanzas with their fault."""
    server = control_server
    faults = subscribe(server, kinds="stanza", stanza_kind="message")

    async def scenario():
        alice = await login_browser(aio, server, "alice")
        bob = await login_browser(aio, server, "bob")
        rule = server.control.ok(
            "POST", "/control/faults", {"action": "drop", "seconds": 30, "match": {"kind": "message", "to": bob.jid}}
        )
        alice.send(chat(bob.jid, "lost"))
        await bob.client.plugin["xep_0199"].send_ping(ANON_DOMAIN, timeout=5)
        await alice.client.plugin["xep_0199"].send_ping(ANON_DOMAIN, timeout=5)
        await bob.none_of(is_chat("lost"), "the dropped message")
        server.control.ok("DELETE", f"/control/faults/{rule['id']}")
        alice.send(chat(bob.jid, "kept"))
        await bob.take(is_chat("kept"), "a message after the rule was removed")

        server.control.ok(
            "POST",
            "/control/faults",
            {"action": "delay", "delay_ms": 600, "seconds": 30, "match": {"to": bob.jid, "kind": "message"}},
        )
        alice.send(chat(bob.jid, "first, delayed"))
        server.control.ok("DELETE", "/control/faults")
        alice.send(chat(bob.jid, "second"))
        second = await bob.take(lambda e: e.tag == MESSAGE and e.findtext(q(NS_CLIENT, "body")) is not None, "a message")
        assert second.findtext(q(NS_CLIENT, "body")) == "second", f"the delayed message was not overtaken: {show(second)}"
        await bob.take(is_chat("first, delayed"), "the delayed message", timeout=5)
        return bob

    bob = aio.run(scenario(), timeout=30)
    dropped = faults.next(lambda e: e.get("fault") == "drop", "the dropped message's event")
    assert dropped["stanza"]["to"] == bob.jid, dropped
    faults.next(lambda e: e.get("fault") == "delay", "the delayed message's event")
    assert server.control.ok("GET", "/control/faults")["faults"] == []


def test_focus_proxy_and_muc_unavailable_for_a_while(control_server, aio):
    """service-unavailable rules on focus.meet.jitsi and on muc.meet.jitsi: the conference IQ and a join are
    answered service-unavailable while focus is connected; once the rules expire both work again."""
    server = control_server

    async def scenario():
        focus = await login_focus(aio, server)
        alice = await login_browser(aio, server, "alice")
        for domain in (FOCUS_PROXY, MUC_DOMAIN):
            rule = server.control.ok(
                "POST", "/control/faults", {"action": "service-unavailable", "seconds": 1, "match": {"to": domain}}
            )
            assert rule["action"] == "service-unavailable" and rule["match"] == {"to": domain}, rule
        await alice.expect_error(conference_request("ctlunavail", strophe_id()), "service-unavailable", "conference IQ")
        ident = strophe_id()
        alice.send(participant_join("ctlunavail", nick_of(alice), "Alice", ident))
        error = await alice.join_error(f"{room_jid('ctlunavail')}/{nick_of(alice)}", ident, "a join")
        assert stanza_error(error)[1] == "service-unavailable", show(error)
        await focus.none_of(lambda e: e.tag == IQ and e.get("from", "").startswith(FOCUS_PROXY), "a proxied IQ")

        deadline = time.monotonic() + 5
        while server.control.ok("GET", "/control/faults")["faults"]:
            assert time.monotonic() < deadline, "the rules did not expire"
            await asyncio_sleep(0.1)
        alice.send(conference_request("ctlunavail", strophe_id()))
        await focus.take(lambda e: e.tag == IQ and e.get("from") == f"{FOCUS_PROXY}/{alice.jid}", "the proxied IQ")
        await focus_creates(focus, "ctlunavail")
        alice.send(participant_join("ctlunavail", nick_of(alice), "Alice"))
        own = await alice.presence_from(f"{room_jid('ctlunavail')}/{nick_of(alice)}", "alice's self-presence")
        assert "110" in status_codes(own), show(own)

    aio.run(scenario(), timeout=30)


async def asyncio_sleep(seconds: float):
    import asyncio

    await asyncio.sleep(seconds)


class SMClient:
    """jvb@auth.meet.jitsi over raw TCP (STARTTLS, PLAIN, bind) with XEP-0198 resumption enabled."""

    def __init__(self, server):
        self.server = server
        self.client = self.login()
        self.jid = self.client.bind()
        self.client.send(f"<enable xmlns='{NS_SM}' resume='true'/>")
        enabled = self.client.wait_for(lambda e: e.tag == q(NS_SM, "enabled"), what="<enabled/>")
        self.previd = enabled.get("id")

    def login(self):
        client = raw_secured_client(self.server.c2s, AUTH_DOMAIN)
        token = base64.b64encode(f"\0jvb\0{JVB_PASSWORD}".encode()).decode()
        assert client.auth("PLAIN", token).tag == q(NS_SASL, "success")
        client.features = client.open_stream(AUTH_DOMAIN)
        return client

    def resume(self) -> ET.Element:
        client = self.login()
        client.send(f"<resume xmlns='{NS_SM}' previd='{self.previd}' h='0'/>")
        answer = client.wait_for(lambda e: e.tag in (q(NS_SM, "resumed"), q(NS_SM, "failed")), what="<resumed/>")
        self.client = client
        return answer


def test_refuse_next_resumption_after_a_dropped_connection(control_server):
    """The control API cuts jvb's connection (it hibernates, XEP-0198 §5) and refuses the next resumption: the
    client gets <failed/> with item-not-found, as after a server restart; the attempt after that resumes."""
    server = control_server
    events = subscribe(server, kinds="session_dropped,resumption_refused")
    jvb = SMClient(server)
    server.control.ok("POST", "/control/sessions/drop", {"jid": jvb.jid})
    jvb.client.read_until_closed(timeout=5)
    assert not [e for e in jvb.client.history if e.tag == q("http://etherx.jabber.org/streams", "error")], (
        f"a dropped connection carries no stream error{jvb.client.transcript()}"
    )
    sessions = [s["jid"] for s in server.control.ok("GET", "/control/sessions")["sessions"]]
    assert jvb.jid in sessions, f"the hibernating session is gone: {sessions}"
    assert server.control.ok("POST", "/control/faults/refuse-resumption", {"count": 1}) == {"refuse_resumptions": 1}

    failed = jvb.resume()
    assert failed.tag == q(NS_SM, "failed"), show(failed)
    assert failed.find(q("urn:ietf:params:xml:ns:xmpp-stanzas", "item-not-found")) is not None, show(failed)
    assert server.control.ok("GET", "/control/faults")["refuse_resumptions"] == 0
    jvb.client.close()
    resumed = jvb.resume()
    assert resumed.tag == q(NS_SM, "resumed") and resumed.get("previd") == jvb.previd, show(resumed)
    assert events.next(lambda e: e["kind"] == "session_dropped")["jid"] == jvb.jid
    assert events.next(lambda e: e["kind"] == "resumption_refused")["jid"] == jvb.jid
    jvb.client.close()


def test_restart_with_and_without_stream_management_state(control_server, aio):
    """POST /control/restart cuts every connection as a restart would. Keeping the XEP-0198 state, jvb's session
    hibernates, stays in its room and resumes, while the clients without resumption are gone; without it, the
    resumption fails with item-not-found and no room or session is left."""
    server = control_server
    control = server.control
    room = "ctlrestart"

    async def scenario():
        return await conference(aio, server, room, "alice")

    focus, (alice,) = aio.run(scenario(), timeout=20)
    jvb = SMClient(server)
    jvb.client.send(f"<presence to='{room_jid(room)}/jvbnick'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
    jvb.client.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{room_jid(room)}/jvbnick", what="join")

    answer = control.ok("POST", "/control/restart", {"keep_stream_management": True})
    assert answer == {"keep_stream_management": True, "sessions_cut": 3}, answer
    jvb.client.read_until_closed(timeout=5)

    async def gone():
        await asyncio_wait(alice.client.disconnected_event)
        await asyncio_wait(focus.client.disconnected_event)

    aio.run(gone(), timeout=10)
    assert alice.client.stream_errors == [] and focus.client.stream_errors == []
    deadline = time.monotonic() + 5
    while len(control.ok("GET", "/control/sessions")["sessions"]) > 1:
        assert time.monotonic() < deadline, control.ok("GET", "/control/sessions")
        time.sleep(0.05)
    assert [s["jid"] for s in control.ok("GET", "/control/sessions")["sessions"]] == [jvb.jid]
    assert [o["nick"] for o in room_of(server, room)["occupants"]] == ["jvbnick"]
    resumed = jvb.resume()
    assert resumed.tag == q(NS_SM, "resumed"), show(resumed)

    answer = control.ok("POST", "/control/restart", {})
    assert answer == {"keep_stream_management": False, "sessions_cut": 1}, answer
    jvb.client.read_until_closed(timeout=5)
    assert control.ok("GET", "/control/rooms") == {"rooms": []}
    assert control.ok("GET", "/control/sessions") == {"sessions": []}
    failed = jvb.resume()
    assert failed.tag == q(NS_SM, "failed"), show(failed)
    jvb.client.close()
    status, answer = control.call("POST", "/control/restart", {"keep_stream_management": "yes"})
    assert status == 400, answer
