"""Shards behind Debian's HAProxy, configured as meet.jit.si's (issue 13.6; jitsi-operations.md §1.2): three
`parley serve` processes, each with its own emulated Jicofo, behind one HAProxy that takes the room from the
`room` URL parameter into a header, balances on it with consistent hashing, and pins it in a stick table.

* `parley load jitsi` over WebSocket with `--room-query` (each client's URL carries its room, as lib-jitsi-meet's
  does): every client of a room lands on the same shard, checked through each shard's `/room-census`, and the
  rooms spread over the shards;
* killing one shard: HAProxy's health check takes it out, the clients of its rooms reconnect through HAProxy to
  another shard, whose `X-Jitsi-Shard` they see;
* draining a shard (`parley drain` / the agent-check state) sends new rooms elsewhere while its existing rooms keep
  working.

Only 127.0.0.1 is contacted; HAProxy and every server are stopped by their PIDs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import DEFAULT_ACCOUNTS, PARLEY_BIN, q
from webxmpp import Focus, WSClient, fixture_stanza, http_request, show

pytestmark = pytest.mark.timeout(120)

SHARDS = ("shard-a", "shard-b", "shard-c")
NS_FOCUS = "http://jitsi.org/protocol/focus"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HAProxy:
    """Debian's HAProxy in the foreground (`-db`), meet.jit.si's room pinning: `X-Room` from `url_param(room)`,
    `balance hdr(X-Room)` with `hash-type consistent sdbm avalanche`, a stick table on the room, `option
    redispatch`, and an HTTP health check of each shard's `/health`.

    Without meet.jit.si's `hash-balance-factor 150`: with it, the first clients of a room arriving together can be
    sent to two shards before the stick table holds the room (seen here: one room of 24 split), since the bounded
    load lets HAProxy pass over the hashed shard. Docs/Operations.md says so."""

    def __init__(self, workdir: Path, shards: dict[str, int], agents: dict[str, int] | None = None):
        if not os.access(HAPROXY, os.X_OK):
            pytest.fail("haproxy is not installed (Debian package `haproxy`; Scripts/test installs it)", pytrace=False)
        self.port = free_port()
        agents = agents or {}
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{port} check inter 300ms fall 2 rise 2"
            + (f" agent-check agent-port {agents[name]} agent-inter 300ms weight 256" if name in agents else "")
            for name, port in shards.items()
        )
        self.config = workdir / "haproxy.cfg"
        self.config.write_text(f"""
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option redispatch
    retries 2

frontend signalling
    bind 127.0.0.1:{self.port}
    http-request set-header X-Room %[url_param(room),lower] if {{ url_param(room) -m found }}
    default_backend shards

backend shards
    balance hdr(X-Room)
    hash-type consistent sdbm avalanche
    stick-table type string len 200 size 200k expire 5m
    stick on req.hdr(X-Room) if {{ req.hdr(X-Room) -m found }}
    option httpchk GET /health
    http-check expect status 200
{servers}
""")
        self.log = workdir / "haproxy.log"
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, f"haproxy -c refused the configuration:\n{check.stdout}{check.stderr}"
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(self.config)], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, f"haproxy exited:\n{self.log.read_text()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "haproxy did not listen"
                time.sleep(0.05)
        time.sleep(1.0)  # the first health checks mark the shards up

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class Jicofo(threading.Thread):
    """One shard's Jicofo, emulated: answers every conference IQ after joining (creating) the room as `focus`."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.focus = Focus(server)
        self.stop = threading.Event()
        self.rooms: set[str] = set()
        self.answered = 0
        self.error: BaseException | None = None

    def run(self):
        """Reads every element itself: a conference IQ for a room it is not in yet sends the join and waits (with
        the other requests for that room) for the self-presence, as Jicofo answers once it is in the room."""
        client = self.focus.client
        waiting: dict[str, list[ET.Element]] = {}
        try:
            while not self.stop.is_set():
                try:
                    element = client.next_element(0.3)
                except AssertionError:
                    continue
                conference = element.find(q(NS_FOCUS, "conference")) if element.tag.endswith("}iq") else None
                if conference is not None and element.get("type") == "set":
                    room = conference.get("room") or ""
                    if room in self.rooms:
                        self.answer(element, room)
                    else:
                        if room not in waiting:
                            join = fixture_stanza("focus-join-presence.xml").replace(
                                "weeklysync@muc.meet.jitsi/focus", f"{room}/focus")
                            self.focus.send(join)
                        waiting.setdefault(room, []).append(element)
                elif element.tag.endswith("}presence") and (element.get("from") or "").endswith("/focus"):
                    room = element.get("from").rsplit("/", 1)[0]
                    if room in waiting and element.get("type") is None:
                        self.rooms.add(room)
                        for request in waiting.pop(room):
                            self.answer(request, room)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            self.error = error

    def answer(self, request: ET.Element, room: str):
        result = fixture_stanza("conference-iq-result.xml").replace("weeklysync@muc.meet.jitsi", room)
        element = ET.fromstring(result)
        element.set("to", request.get("from"))
        element.set("id", request.get("id"))
        self.focus.send(ET.tostring(element, encoding="unicode").replace("ns0:", "").replace(":ns0", ""))
        self.answered += 1

    def close(self):
        self.stop.set()
        self.join(3)
        self.focus.close()


@pytest.fixture
def shards(parley_factory, tmp_path):
    """Three shards with their Jicofos, and HAProxy in front, asking each shard's agent port for its state (no
    brewery is watched: the emulated Jicofo is enough for a shard to be ready)."""
    servers = {
        # --ephemeral puts the agent on a free port and names it in its JSON line ("agent").
        name: parley_factory(
            accounts=DEFAULT_ACCOUNTS,
            config=f"operations:\n  shard: {name}\n  agent_port: 6060\n  brewery: null\n",
        )
        for name in SHARDS
    }
    agents = {name: server.ports["agent"] for name, server in servers.items()}
    jicofos = {name: Jicofo(server) for name, server in servers.items()}
    for jicofo in jicofos.values():
        jicofo.start()
    proxy = HAProxy(tmp_path, {name: server.ports["http"] for name, server in servers.items()}, agents)
    yield servers, jicofos, proxy
    proxy.close()
    for jicofo in jicofos.values():
        jicofo.close()


def census(server) -> dict[str, int]:
    status, _, body = http_request(server.ports["http"], "GET", "/room-census")
    assert status == 200, (status, body)
    return {room["room_name"]: int(room["participants"]) for room in json.loads(body)["room_census"]}


def run_load(port: int, clients: int, room_size: int, prefix: str) -> dict:
    """`parley load jitsi` over WebSocket through HAProxy, each URL with its room; the shards' Jicofos answer."""
    done = subprocess.run(
        [PARLEY_BIN, "load", "jitsi", "--transport", "websocket", "--room-query", "--host", "127.0.0.1",
         "--port", str(port), "--clients", str(clients), "--room-size", str(room_size), "--concurrency", "20",
         "--room-prefix", prefix, "--duration", "40", "--json", "--no-progress"],
        capture_output=True, text=True, timeout=90)
    assert done.stdout, f"parley load gave no report ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def test_every_occupant_of_a_room_lands_on_one_shard(shards):
    """A room whose clients were split would be created on two shards (each shard's Jicofo joins the rooms its
    clients ask for and stays): every room must be in exactly one shard's census."""
    servers, jicofos, proxy = shards
    rooms, size = 24, 4
    report = run_load(proxy.port, rooms * size, size, "pin")
    assert report["errors"] == {} and report["completed"] == rooms * size, json.dumps(report)[:3000]
    join = report["phases"][-1]
    assert join["failed"] == 0 and join["deliveries"] >= rooms * size * size, json.dumps(join)[:2000]
    where: dict[str, str] = {}
    for name, server in servers.items():
        for room in census(server):
            if not room.startswith("pin"):
                continue
            assert room not in where, f"{room} is on {where[room]} and on {name}: its clients were split"
            where[room] = name
    assert len(where) == rooms, f"expected {rooms} rooms, found {sorted(where)}"
    per_shard = {name: sum(1 for shard in where.values() if shard == name) for name in SHARDS}
    assert sum(1 for count in per_shard.values() if count > 0) >= 2, f"the rooms did not spread: {per_shard}"
    assert sum(j.answered for j in jicofos.values()) == rooms * size
    for jicofo in jicofos.values():
        assert jicofo.error is None, jicofo.error


def test_a_dead_shards_rooms_reconnect_elsewhere(shards):
    servers, jicofos, proxy = shards
    # A browser of room r: the shard answering its WebSocket says who it is.
    rooms = [f"moving{n}" for n in range(12)]
    first: dict[str, str] = {}
    for room in rooms:
        client = WSClient(proxy.port, f"room={room}")
        first[room] = client.ws.response.headers.get("X-Jitsi-Shard", "")
        client.close()
    assert set(first.values()) <= set(SHARDS) and len(set(first.values())) >= 2, first
    victim = next(iter(set(first.values())))
    servers[victim].stop()
    time.sleep(1.5)  # two failed checks at 300 ms take it out
    for room in rooms:
        client = WSClient(proxy.port, f"room={room}")
        shard = client.ws.response.headers.get("X-Jitsi-Shard", "")
        client.login()
        client.close()
        if first[room] == victim:
            assert shard in SHARDS and shard != victim, f"{room} reconnected to {shard!r}, the dead shard was {victim}"
        else:
            assert shard == first[room], f"{room} moved from {first[room]} to {shard} though its shard lives"


def shard_of(proxy: HAProxy, room: str) -> str:
    """The shard that answers a browser's WebSocket for `room` (its `X-Jitsi-Shard`)."""
    client = WSClient(proxy.port, f"room={room}")
    shard = client.ws.response.headers.get("X-Jitsi-Shard", "")
    client.close()
    return shard


def test_a_draining_shard_keeps_its_rooms_and_gets_no_new_ones(shards):
    """`parley drain drain` on one shard: its agent tells HAProxy `drain`; rooms already pinned there keep going
    there (the stick table), new rooms go to the others."""
    servers, _, proxy = shards
    before = {f"kept{n}": shard_of(proxy, f"kept{n}") for n in range(12)}
    victim = max(set(before.values()), key=lambda shard: list(before.values()).count(shard))
    drained = subprocess.run([PARLEY_BIN, "drain", "drain", "--port", str(servers[victim].ports["http"])],
                             capture_output=True, text=True, timeout=20)
    assert drained.returncode == 0, f"parley drain failed: {drained.stdout}{drained.stderr}"
    time.sleep(1.5)  # a few agent checks at 300 ms
    for room, shard in before.items():
        assert shard_of(proxy, room) == shard, f"{room} left {shard} when {victim} began to drain"
    fresh = {f"fresh{n}": shard_of(proxy, f"fresh{n}") for n in range(12)}
    assert victim not in fresh.values(), f"new rooms went to the draining {victim}: {fresh}"
    assert set(fresh.values()) <= set(SHARDS), fresh
