"""Operator endpoints (issue 13 points 1-4 and 8): /metrics read with prometheus_client's own text parser while
slixmpp clients are in a conference, /health as docker's mod_http_health answers it, /ready flipping as the focus
and a bridge come and go, the occupancy endpoints (Jitsi's mod_muc_size and mod_muc_census) without names, the
allow lists (a caller bound to 127.0.0.2 is not loopback), the shard identity (disco and X-Jitsi-* headers), and a
client's connection reset counted, not logged at info.

The clients are independent peers: slixmpp over STARTTLS sending Jitsi's own stanzas (Tests/Fixtures/jitsi),
http.client for HTTP. Only 127.0.0.0/8 is used."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import struct
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import ANON_DOMAIN, DEFAULT_ACCOUNTS, HOST, JVB_JID, JVB_PASSWORD, close_client, connect_client
from test_jitsi_flow import (
    BREWERY,
    MUC_DOMAIN,
    NS_MUC,
    Peer,
    browser_joins,
    focus_creates,
    jvb_stats_presence,
    login_browser,
    login_focus,
)
from webxmpp import host_identities, http_request, unique_room

pytestmark = pytest.mark.timeout(60)

IDENTITY = {"shard": "shard-7", "region": "eu-central", "release": "4711"}


def operations_config(**extra) -> dict:
    return {"operations": {**IDENTITY, **extra}}


def get(server, path: str, source: str | None = None, timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """One GET on the web port; from `source` (another loopback address) when given."""
    if source is None:
        return http_request(server.ports["http"], "GET", path, timeout=timeout)
    connection = http.client.HTTPConnection(HOST, server.ports["http"], timeout=timeout, source_address=(source, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def scrape(server) -> dict[tuple[str, tuple], float]:
    """/metrics parsed by prometheus_client: {(sample name, sorted labels): value}."""
    status, headers, body = get(server, "/metrics")
    assert status == 200, (status, body[:300])
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def wait_until(predicate, what: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


async def conference(aio, server, browsers: int):
    """Jicofo creates a room and `browsers` anonymous slixmpp clients join it with lib-jitsi-meet's presence."""
    room = unique_room("ops")
    focus = await login_focus(aio, server)
    await focus_creates(focus, room)
    peers: list[Peer] = []
    for index in range(browsers):
        browser = await login_browser(aio, server, f"browser{index}")
        await browser_joins(browser, room, [focus] + peers, f"Person{index}")
        peers.append(browser)
    return room, focus, peers


# ----------------------------------------------------------------------------------------------------------------
# Health and shard identity
# ----------------------------------------------------------------------------------------------------------------


def test_health_and_shard_headers(parley_factory):
    server = parley_factory(config=operations_config())
    status, headers, body = get(server, "/health")
    assert (status, body) == (200, b"OK\n"), (status, body)
    for path in ("/health", "/http-bind", "/xmpp-websocket", "/ready"):
        status, headers, _ = get(server, path)
        assert status in (200, 503), (path, status)
        assert headers.get("x-jitsi-shard") == "shard-7", (path, headers)
        assert headers.get("x-jitsi-region") == "eu-central", (path, headers)
        assert headers.get("x-jitsi-release") == "4711", (path, headers)
        exposed = {h.strip().lower() for h in headers.get("access-control-expose-headers", "").split(",")}
        assert {"x-jitsi-shard", "x-jitsi-region", "x-jitsi-release"} <= exposed, (path, headers)
    # The keep-alive and sidecar probes still answer 200.
    assert get(server, "/http-bind")[0] == 200 and get(server, "/xmpp-websocket")[0] == 200
    # mod_jiconop's identities on the main domain, as lib-jitsi-meet reads them.
    identities = host_identities(server.ports["http"])
    assert identities.get(("server", "shard")) == "shard-7", identities
    assert identities.get(("server", "region")) == "eu-central", identities
    assert identities.get(("server", "release")) == "4711", identities


def test_no_identity_no_headers(server):
    status, headers, _ = get(server, "/http-bind")
    assert status == 200 and "x-jitsi-shard" not in headers, headers
    assert ("server", "shard") not in host_identities(server.ports["http"])


# ----------------------------------------------------------------------------------------------------------------
# Readiness
# ----------------------------------------------------------------------------------------------------------------


def ready(server) -> tuple[int, dict]:
    status, headers, body = get(server, "/ready")
    assert headers["content-type"].startswith("application/json"), headers
    return status, json.loads(body)


def test_ready_follows_focus_and_bridges(parley_factory, aio):
    server = parley_factory()
    status, body = ready(server)
    assert status == 503 and body["missing"] == ["focus", "bridge"] and body["ready"] is False, body

    async def scenario():
        focus = await login_focus(aio, server)
        status, body = ready(server)
        assert status == 503 and body["missing"] == ["bridge"] and body["focus"] is True, body
        # Jicofo in the brewery is not a bridge.
        focus.send(f"<presence to='{BREWERY}/focus'><x xmlns='{NS_MUC}'/></presence>")
        await focus.presence_from(f"{BREWERY}/focus", "focus's self-presence in the brewery")
        status, body = ready(server)
        assert status == 503 and body["bridges"] == 0, body

        jvb = Peer(await connect_client(server.c2s, JVB_JID, JVB_PASSWORD, "SCRAM-SHA-1", runner=aio), "jvb")
        occupant = f"{BREWERY}/5d8e3c1f2a9b"
        jvb.send(jvb_stats_presence("5d8e3c1f2a9b").replace("<stats", f"<x xmlns='{NS_MUC}'/><stats", 1))
        await jvb.presence_from(occupant, "the bridge's self-presence in the brewery")
        status, body = ready(server)
        assert status == 200 and body == {"ready": True, "focus": True, "bridges": 1, "missing": [], "status": "ready"}, body
        samples = scrape(server)
        assert total(samples, "parley_focus_online") == 1 and total(samples, "parley_brewery_bridges") == 1, samples

        jvb.send(f"<presence to='{occupant}' type='unavailable'/>")
        await jvb.presence_from(occupant, "the bridge leaving", available=False)
        status, body = ready(server)
        assert status == 503 and body["missing"] == ["bridge"], body
        await close_client(jvb.client)
        await close_client(focus.client)
        wait_until(lambda: ready(server)[1]["missing"] == ["focus", "bridge"], "focus's logout reaching /ready")

    aio.run(scenario(), timeout=40)


# ----------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------


def test_metrics_while_a_conference_runs(parley_factory, aio):
    server = parley_factory()
    before = scrape(server)
    # Prosody's names, as docker-jitsi-meet's Grafana dashboard queries them, exist from the start.
    for name in (
        "prosody_mod_bosh__active_sessions", "prosody_mod_bosh__new_sid_total", "prosody_mod_bosh__bad_sid_total",
        "prosody_mod_smacks__sessions_started_total", "prosody_mod_smacks__session_resumption_expired_total",
        "prosody_mod_smacks__tx_queued_stanzas_total", "prosody_mod_muc__live_room",
        "prosody_mod_measure_stanza_counts__received_total", "prosody_mod_measure_stanza_counts__sent_total",
        "parley_muc_occupants", "parley_muc_join_seconds_count",
    ):
        assert any(n == name for n, _ in before), f"{name} is missing from /metrics"
    assert total(before, "prosody_mod_muc__live_room", host=MUC_DOMAIN) == 0

    async def scenario():
        room, focus, browsers = await conference(aio, server, 3)
        samples = scrape(server)
        # Four c2s connections on meet.jitsi and auth.meet.jitsi, bound, all IPv4.
        assert total(samples, "prosody_mod_c2s__connections", type="c2s", ip_family="ipv4") == 4, samples
        assert total(samples, "prosody_mod_c2s__connections", host=ANON_DOMAIN, type="c2s") == 3
        assert total(samples, "prosody_mod_c2s__connections", ip_family="ipv6") == 0
        assert total(samples, "prosody_mod_muc__live_room", host=MUC_DOMAIN) == 1
        assert total(samples, "parley_muc_rooms", host=MUC_DOMAIN) == 1
        assert total(samples, "parley_muc_occupants", host=MUC_DOMAIN) == 4
        # Each browser's join presence was received and each got at least the others' presences.
        received = total(samples, "prosody_mod_measure_stanza_counts__received_total", stanza_kind="presence",
                         session_type="c2s")
        sent = total(samples, "prosody_mod_measure_stanza_counts__sent_total", stanza_kind="presence",
                     session_type="c2s")
        assert received >= 3 + 1 and sent >= 3 * 4, (received, sent)
        assert total(samples, "prosody_mod_measure_stanza_counts__received_total", stanza_kind="iq") >= 2
        # Four joins timed (focus and three browsers), each under 5 s.
        assert total(samples, "parley_muc_join_seconds_count") == 4
        assert total(samples, "parley_muc_join_seconds_bucket", le="5.0") == 4

        for peer in browsers + [focus]:
            await close_client(peer.client)
        # The room ends when its last occupant's presence goes; the connection gauge moves when the socket closes,
        # which can come a moment later. Both must reach zero.
        # Polled without blocking the clients' loop, so their side of the close goes on meanwhile.
        deadline = time.monotonic() + 5.0
        while True:
            after = scrape(server)
            if (total(after, "prosody_mod_muc__live_room", host=MUC_DOMAIN) == 0
                    and total(after, "prosody_mod_c2s__connections") == 0):
                break
            assert time.monotonic() < deadline, f"the room's end and the closed connections not in /metrics: {after}"
            await asyncio.sleep(0.05)
        assert total(after, "parley_muc_occupants", host=MUC_DOMAIN) == 0
        # Counters never go back.
        assert total(after, "prosody_mod_measure_stanza_counts__sent_total") >= total(
            samples, "prosody_mod_measure_stanza_counts__sent_total")

    aio.run(scenario(), timeout=40)


def test_stream_management_and_bosh_counters(server):
    """The smacks and BOSH counters move with what clients do (raw WebSocket with <enable/>, a BOSH body with an
    unknown sid)."""
    from webxmpp import WSClient

    before = scrape(server)
    client = WSClient(server.ports["http"])
    try:
        client.login()
        client.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        client.wait_for(lambda e: e.tag == "{urn:xmpp:sm:3}enabled", what="<enabled/>")
        client.send(f"<iq xmlns='jabber:client' type='get' id='p1' to='{ANON_DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
        client.wait_for(lambda e: e.get("id") == "p1", what="the ping's result")
        after = scrape(server)
    finally:
        client.close()
    assert total(after, "prosody_mod_smacks__sessions_started_total") == total(
        before, "prosody_mod_smacks__sessions_started_total") + 1
    assert total(after, "prosody_mod_smacks__tx_queued_stanzas_total") > total(
        before, "prosody_mod_smacks__tx_queued_stanzas_total")
    assert total(after, "prosody_mod_c2s__connections", host=ANON_DOMAIN, type="c2s") >= 1

    body = "<body xmlns='http://jabber.org/protocol/httpbind' rid='100' sid='no-such-sid'/>"
    status, _, _ = http_request(server.ports["http"], "POST", "/http-bind", body=body,
                                headers={"Content-Type": "text/xml"})
    assert status == 404
    assert total(scrape(server), "prosody_mod_bosh__bad_sid_total") == total(before, "prosody_mod_bosh__bad_sid_total") + 1


def test_parser_errors_by_kind(server):
    before = scrape(server)
    from conftest import raw_bound_client

    client = raw_bound_client(server.c2s)
    try:
        client.send("<message><body>unclosed</message>")
        client.wait_for(lambda e: e.tag.endswith("}error"), what="the stream error")
    finally:
        client.close()
    after = wait_until(
        lambda: (lambda s: s if total(s, "parley_stream_input_errors_total", kind="not_well_formed") > total(
            before, "parley_stream_input_errors_total", kind="not_well_formed") else None)(scrape(server)),
        "the parser error reaching /metrics",
    )
    assert total(after, "parley_stream_input_errors_total", kind="not_well_formed") == total(
        before, "parley_stream_input_errors_total", kind="not_well_formed") + 1


def test_client_reset_is_counted_not_logged_at_info(server):
    """Issue 13.8: a client resetting its connection is counted and logged at debug, not one info line each."""
    before = total(scrape(server), "parley_connection_errors_total", kind="reset")
    log_start = len(server.stderr_tail(10**9))
    for _ in range(5):
        sock = socket.create_connection((HOST, server.c2s), timeout=5)
        sock.sendall(f"<?xml version='1.0'?><stream:stream to='{ANON_DOMAIN}' xmlns='jabber:client' "
                     "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode())
        sock.recv(4096)  # the server's stream header and features: the connection is established on both sides
        # SO_LINGER 0: close sends RST.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    wait_until(
        lambda: total(scrape(server), "parley_connection_errors_total", kind="reset") >= before + 1,
        "a reset counted",
    )
    log = server.stderr_tail(10**9)[log_start:]
    assert "Connection reset" not in log and "Connection error" not in log, log[-2000:]


# ----------------------------------------------------------------------------------------------------------------
# Occupancy
# ----------------------------------------------------------------------------------------------------------------


def test_occupancy_counts_without_names(server, aio):
    async def scenario():
        room, focus, browsers = await conference(aio, server, 3)
        status, _, body = get(server, f"/room-size?room={room}&domain={ANON_DOMAIN}")
        assert status == 200 and json.loads(body) == {"participants": 3}, (status, body)
        status, _, body = get(server, f"/room?room={room}&domain={ANON_DOMAIN}")
        assert status == 200 and json.loads(body) == [{}, {}, {}], (status, body)
        status, _, body = get(server, "/room-census")
        census = json.loads(body)["room_census"]
        entry = next(e for e in census if e["room_name"] == f"{room}@{MUC_DOMAIN}")
        assert entry["participants"] == 3 and entry["leaked"] is False, entry
        assert abs(entry["created_time"] / 1000 - time.time()) < 60, entry
        assert not any(e["room_name"].startswith("jvbbrewery@") for e in census), census
        # Nothing about the people: no display name, e-mail, nick or real JID anywhere.
        everything = b"".join(get(server, p)[2] for p in (
            f"/room-size?room={room}&domain={ANON_DOMAIN}", f"/room?room={room}&domain={ANON_DOMAIN}", "/room-census"))
        for browser in browsers:
            for secret in (browser.user, browser.jid, b"Person".decode(), "@example.org"):
                assert secret.encode() not in everything, (secret, everything)
        assert get(server, f"/room-size?room=nosuchroom&domain={ANON_DOMAIN}")[0] == 404
        assert get(server, "/room-size?room=x")[0] == 400
        assert get(server, f"/room-size?room={room}&domain={ANON_DOMAIN}&subdomain=tenant")[0] == 404
        for peer in browsers + [focus]:
            await close_client(peer.client)

    aio.run(scenario(), timeout=40)


def test_room_identities_when_turned_on(parley_factory, aio):
    server = parley_factory(config=operations_config(occupancy_identities=True))

    async def scenario():
        room, focus, browsers = await conference(aio, server, 2)
        status, _, body = get(server, f"/room?room={room}&domain={ANON_DOMAIN}")
        occupants = json.loads(body)
        assert status == 200 and sorted(o["display_name"] for o in occupants) == ["Person0", "Person1"], occupants
        assert sorted(o["email"] for o in occupants) == ["person0@example.org", "person1@example.org"], occupants
        assert all(o["jid"].startswith(f"{room}@{MUC_DOMAIN}/") for o in occupants), occupants
        for peer in browsers + [focus]:
            await close_client(peer.client)

    aio.run(scenario(), timeout=40)


# ----------------------------------------------------------------------------------------------------------------
# Allow lists
# ----------------------------------------------------------------------------------------------------------------

OPERATOR_PATHS = ("/metrics", "/health", "/ready", "/room-census", f"/room-size?room=x&domain={ANON_DOMAIN}",
                  "/sessions")


def test_only_loopback_by_default(server):
    """127.0.0.2 is a loopback address but not one of the two Prosody allows by default: every operator endpoint
    refuses it, and the client transports still serve it."""
    for path in OPERATOR_PATHS:
        status, _, _ = get(server, path, source="127.0.0.2")
        assert status == 403, (path, status)
        assert get(server, path)[0] in (200, 404, 503), path
    assert get(server, "/http-bind", source="127.0.0.2")[0] == 200


def test_allow_lists_open_one_endpoint_each(parley_factory):
    server = parley_factory(config=operations_config(openmetrics_allow_cidr="127.0.0.2/32",
                                                     health_allow_cidr=["127.0.0.3/32"]))
    assert get(server, "/metrics", source="127.0.0.2")[0] == 200
    assert get(server, "/metrics", source="127.0.0.3")[0] == 403
    assert get(server, "/health", source="127.0.0.3")[0] == 200
    assert get(server, "/health", source="127.0.0.2")[0] == 403
    assert get(server, "/room-census", source="127.0.0.2")[0] == 403


def test_endpoints_can_be_turned_off(parley_factory):
    server = parley_factory(config={"operations": {"metrics": False, "occupancy": False}})
    for path in ("/metrics", "/room-census", "/sessions"):
        assert get(server, path)[0] == 404, path
    assert get(server, "/health")[0] == 200


# ----------------------------------------------------------------------------------------------------------------
# Drain (issue 13 point 5): parley drain, the status file, the HAProxy agent, new conferences refused
# ----------------------------------------------------------------------------------------------------------------


def agent_line(server) -> str:
    """What HAProxy's agent-check reads from the agent port: one line, then the server closes."""
    with socket.create_connection((HOST, server.ports["agent"]), timeout=5) as sock:
        data = b""
        while True:
            chunk = sock.recv(256)
            if not chunk:
                return data.decode()
            data += chunk


def parley_drain(server, *args: str) -> tuple[int, str]:
    import subprocess

    from conftest import PARLEY_BIN

    done = subprocess.run([PARLEY_BIN, "drain", *args, "--port", str(server.ports["http"])], capture_output=True,
                          timeout=20, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def test_drain_by_command_and_agent(parley_factory, aio):
    server = parley_factory(config={"operations": {"agent_port": 6060}})
    assert agent_line(server) == "up drain 0%\n"  # not ready yet: no focus, no bridge
    assert parley_drain(server) == (0, '{"status":"ready"}')

    async def scenario():
        focus = await login_focus(aio, server)
        jvb = Peer(await connect_client(server.c2s, JVB_JID, JVB_PASSWORD, "SCRAM-SHA-1", runner=aio), "jvb")
        jvb.send(jvb_stats_presence("5d8e3c1f2a9b").replace("<stats", f"<x xmlns='{NS_MUC}'/><stats", 1))
        await jvb.presence_from(f"{BREWERY}/5d8e3c1f2a9b", "the bridge's self-presence in the brewery")
        assert agent_line(server) == "up ready 100%\n"

        code, output = parley_drain(server, "drain")
        assert code == 0 and json.loads(output) == {"status": "drain", "previous": "ready"}, output
        assert agent_line(server) == "up drain 0%\n"
        status, body = ready(server)
        assert status == 200 and body["status"] == "drain", body  # still serving its conferences
        samples = scrape(server)
        assert total(samples, "parley_shard_state", state="drain") == 1
        assert total(samples, "parley_shard_state", state="ready") == 0

        assert parley_drain(server, "maint")[0] == 0 and agent_line(server) == "maint\n"
        assert parley_drain(server, "ready")[0] == 0 and agent_line(server) == "up ready 100%\n"
        code, output = parley_drain(server, "sideways")
        assert code != 0 and "ready, drain or maint" in output, output
        await close_client(jvb.client)
        await close_client(focus.client)

    aio.run(scenario(), timeout=40)
    # Only loopback's own two addresses may change the state.
    connection = http.client.HTTPConnection(HOST, server.ports["http"], timeout=5, source_address=("127.0.0.2", 0))
    try:
        connection.request("POST", "/shard-status", body=b"drain")
        assert connection.getresponse().status == 403
    finally:
        connection.close()
    assert parley_drain(server) == (0, '{"status":"ready"}')


def test_drain_from_the_status_file(parley_factory, tmp_path):
    status_file = tmp_path / "shard-status"
    status_file.write_text("drain\n")
    server = parley_factory(config={"operations": {"status_file": str(status_file)}})
    wait_until(lambda: parley_drain(server)[1] == '{"status":"drain"}', "the file's drain", timeout=8)
    # A state set at run time holds until the file's word changes.
    assert parley_drain(server, "ready")[0] == 0
    time.sleep(5.5)
    assert parley_drain(server)[1] == '{"status":"ready"}'
    status_file.write_text("maint")
    wait_until(lambda: parley_drain(server)[1] == '{"status":"maint"}', "the file's maint", timeout=8)


def test_draining_refuses_only_new_conferences(parley_factory, aio):
    from test_jitsi_flow import conference_request, error_text

    server = parley_factory(config={"operations": {"drain_refuses_new_conferences": True}})

    async def scenario():
        room, focus, browsers = await conference(aio, server, 1)
        assert parley_drain(server, "drain")[0] == 0
        browser = browsers[0]
        # The existing conference: its request still reaches Jicofo.
        browser.send(conference_request(room, "existing-1"))
        forwarded = await focus.take(lambda e: e.get("id") == "existing-1", "the existing room's conference request")
        assert forwarded.get("type") == "set", forwarded
        # A new one: refused at once, with a text saying why.
        newcomer = await login_browser(aio, server, "newcomer")
        reply = await newcomer.iq(conference_request(unique_room("fresh"), "fresh-1"), "conference request")
        assert reply.get("type") == "error" and "draining" in (error_text(reply) or ""), reply
        # The meeting goes on: another browser joins it.
        late = await login_browser(aio, server, "late")
        await browser_joins(late, room, [focus, browser], "Late")
        assert parley_drain(server, "ready")[0] == 0
        newcomer.send(conference_request(unique_room("fresh"), "fresh-2"))
        await focus.take(lambda e: e.get("id") == "fresh-2", "a new room's request once ready again")
        for peer in [late, newcomer, browser, focus]:
            await close_client(peer.client)

    aio.run(scenario(), timeout=40)


def test_final_stop_closes_every_stream(parley_factory, aio):
    """SIGTERM: every client learns the stream is over (RFC 6120 §4.9.3.22 system-shutdown) instead of a dropped
    TCP connection: a TCP client gets the stream error and </stream:stream>, a WebSocket client the error and
    <close/>, a BOSH client's held request a terminate body."""
    import signal

    from conftest import NS_STREAM_ERRORS, NS_STREAMS, raw_bound_client
    from webxmpp import BoshClient, WSClient

    server = parley_factory()
    tcp = raw_bound_client(server.c2s)
    ws = WSClient(server.ports["http"])
    ws.login()
    bosh = BoshClient(server.ports["http"])
    bosh.login(wait=10)
    held = bosh.request_async()  # the long poll the server answers at the stop
    time.sleep(0.3)
    server.stopped_by_us = True
    server.proc.send_signal(signal.SIGTERM)
    try:
        tcp_elements = tcp.read_until_closed(timeout=5)
        assert any(e.tag == f"{{{NS_STREAMS}}}error" and e.find(f"{{{NS_STREAM_ERRORS}}}system-shutdown") is not None
                   for e in tcp_elements), tcp.transcript()
        assert tcp.stream_closed, tcp.transcript()
        ws_error = ws.wait_for(lambda e: e.tag == f"{{{NS_STREAMS}}}error", timeout=5, what="the stream error")
        assert ws_error.find(f"{{{NS_STREAM_ERRORS}}}system-shutdown") is not None
        ws.wait_for(lambda e: e.tag == "{urn:ietf:params:xml:ns:xmpp-framing}close", timeout=5, what="<close/>")
        reply = held.result(timeout=10)
        assert reply.status == 200 and reply.type == "terminate", reply
    finally:
        tcp.close()
        ws.close()
        bosh.close()
    assert server.proc.wait(timeout=5) == 0
