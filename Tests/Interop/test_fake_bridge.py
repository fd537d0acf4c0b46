"""`parley fake-bridge` (issue 14.2): a videobridge stand-in that logs in as jvb@auth.meet.jitsi, joins the
brewery with Colibri stats presence and answers Jicofo's Colibri2 `conference-modify` as JVB does, printing one
JSON line per thing it did. Checked with slixmpp playing Jicofo, sending Jicofo's real request
(Tests/Fixtures/jitsi/colibri2-conference-modify.xml), and through the control API.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import JVB_PASSWORD, PARLEY_BIN, fixture_stanza, q, readdress, stanza_error
from test_control_api import Control
from test_jitsi_flow import BREWERY, IQ, PRESENCE, login_focus, show, strophe_id, with_attrs

pytestmark = pytest.mark.timeout(60)

NS_COLIBRI = "http://jitsi.org/protocol/colibri"
NS_COLIBRI2 = "jitsi:colibri2"
NS_ICE = "urn:xmpp:jingle:transports:ice-udp:1"
NS_DTLS = "urn:xmpp:jingle:apps:dtls:0"
NS_SSMA = "urn:xmpp:jingle:apps:rtp:ssma:0"
ENDPOINT = "3f9a1c7e"


class FakeBridge:
    """One `parley fake-bridge` process; its JSON lines in a queue."""

    def __init__(self, server, nick: str, seed: int | None = 7, password: str = JVB_PASSWORD):
        args = [PARLEY_BIN, "fake-bridge", "--port", str(server.c2s), "--nick", nick, "--stats-interval", "1"]
        if seed is not None:
            args += ["--seed", str(seed)]
        env = dict(os.environ, JVB_AUTH_PASSWORD=password)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def next(self, event: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                break
            self.seen.append(item)
            if item["event"] == event:
                return item
        raise AssertionError(f"fake-bridge printed no {event!r} line; got {self.seen}; stderr: {self.stderr()}")

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)


@pytest.fixture
def bridges():
    started: list[FakeBridge] = []
    yield started
    for bridge in started:
        bridge.stop()


def colibri_request(nick: str, *, create: bool = True, meeting: str | None = None) -> str:
    stanza = readdress(fixture_stanza("colibri2-conference-modify.xml"), f"{BREWERY}/{nick}")
    if not create:
        stanza = stanza.replace(' create="true"', "")
    if meeting:
        stanza = stanza.replace("a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab", meeting)
    return with_attrs(stanza, id_=strophe_id())


def expire_endpoint(nick: str, meeting: str) -> str:
    return (
        f"<iq type='set' id='{strophe_id()}' to='{BREWERY}/{nick}'><conference-modify xmlns='{NS_COLIBRI2}' "
        f"meeting-id='{meeting}'><endpoint id='{ENDPOINT}' expire='true'/></conference-modify></iq>"
    )


def stats_of(presence: ET.Element) -> dict:
    stats = presence.find(q(NS_COLIBRI, "stats"))
    assert stats is not None, show(presence)
    return {s.get("name"): s.get("value") for s in stats}


def test_fake_bridge_joins_the_brewery_and_answers_colibri2(parley_factory, aio, bridges):
    server = parley_factory()
    control = Control(server.ports["control"])
    bridge = FakeBridge(server, "bridge1")
    bridges.append(bridge)
    connected = bridge.next("connected")
    assert connected["jid"].startswith("jvb@auth.meet.jitsi/"), connected
    assert bridge.next("joined")["brewery"] == BREWERY
    occupants = {o["nick"]: o for o in control.ok("GET", f"/control/rooms/{BREWERY}")["occupants"]}
    assert occupants["bridge1"]["jid"] == "jvb@auth.meet.jitsi", occupants

    async def scenario():
        focus = await login_focus(aio, server)
        focus.send(f"<presence to='{BREWERY}/focus'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        seen = await focus.presence_from(f"{BREWERY}/bridge1", "the bridge's presence in the brewery")
        stats = stats_of(seen)
        assert stats["healthy"] == "true" and stats["stress_level"] == "0.0000" and stats["conferences"] == "0", stats

        reply = await focus.iq(colibri_request("bridge1"), "Jicofo's conference-modify")
        assert reply.get("type") == "result", show(reply)
        modified = reply.find(q(NS_COLIBRI2, "conference-modified"))
        assert modified is not None, show(reply)
        sources = modified.findall(f"{{{NS_COLIBRI2}}}sources/{{{NS_COLIBRI2}}}media-source")
        assert [(s.get("type"), s.get("id")) for s in sources] == [("audio", "jvb-a0"), ("video", "jvb-v0")]
        assert all(int(s.find(q(NS_SSMA, "source")).get("ssrc")) > 0 for s in sources), show(modified)
        endpoint = modified.find(q(NS_COLIBRI2, "endpoint"))
        assert endpoint is not None and endpoint.get("id") == ENDPOINT, show(modified)
        ice = endpoint.find(f"{{{NS_COLIBRI2}}}transport/{{{NS_ICE}}}transport")
        assert ice is not None and ice.get("ufrag") and ice.get("pwd"), show(endpoint)
        fingerprint = ice.find(q(NS_DTLS, "fingerprint"))
        assert fingerprint is not None and len(fingerprint.text.split(":")) == 32, show(ice)
        assert ice.find(q(NS_ICE, "candidate")) is not None and ice.find(q(NS_COLIBRI, "web-socket")) is not None
        sctp = endpoint.find(f"{{{NS_COLIBRI2}}}transport/{{{NS_COLIBRI2}}}sctp")
        assert sctp is not None and sctp.get("role") == "server", show(endpoint)
        updated = await focus.presence_from(f"{BREWERY}/bridge1", "the stats after the allocation")
        assert stats_of(updated)["endpoints"] == "1", show(updated)

        again = await focus.iq(colibri_request("bridge1"), "a second create of the same conference")
        assert stanza_error(again)[1] == "conflict", show(again)
        other = await focus.iq(colibri_request("bridge1", create=False, meeting="nope"), "an unknown conference")
        assert stanza_error(other)[1] == "item-not-found", show(other)
        expired = await focus.iq(expire_endpoint("bridge1", "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab"), "expiring")
        assert expired.get("type") == "result", show(expired)
        ping = await focus.iq(f"<iq type='get' id='{strophe_id()}' to='{BREWERY}/bridge1'><ping xmlns='urn:xmpp:ping'/></iq>")
        assert ping.get("type") == "result", show(ping)
        return ice.get("ufrag")

    ufrag = aio.run(scenario(), timeout=30)
    created = bridge.next("conference-modify")
    assert created["meeting_id"] == "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab" and created["created"] is True, created
    assert created["endpoints_created"] == [ENDPOINT] and created["name"] == "weeklysync@muc.meet.jitsi", created
    assert created["from"] == f"{BREWERY}/focus", created
    assert bridge.next("conference-modify")["error"] == "conflict"
    assert bridge.next("conference-modify")["error"] == "item-not-found"
    expired = bridge.next("conference-modify")
    assert expired["endpoints_expired"] == [ENDPOINT] and expired["expired"] is True, expired
    assert bridge.stop() == 0, bridge.stderr()

    # --seed: a second bridge with the same seed answers the same request with the same credentials.
    twin = FakeBridge(server, "bridge2")
    bridges.append(twin)
    twin.next("joined")

    async def again():
        focus = await login_focus(aio, server)
        focus.send(f"<presence to='{BREWERY}/focus'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        await focus.presence_from(f"{BREWERY}/bridge2", "the twin's presence in the brewery")
        reply = await focus.iq(colibri_request("bridge2"), "the same request to the twin")
        return reply.find(f".//{{{NS_ICE}}}transport").get("ufrag")

    assert aio.run(again(), timeout=20) == ufrag


def test_fake_bridge_with_a_wrong_password_fails(parley_factory, bridges):
    server = parley_factory()
    bridge = FakeBridge(server, "bridge1", password="wrong")
    bridges.append(bridge)
    failed = bridge.next("failed")
    assert "SASL" in failed["reason"], failed
    assert bridge.proc.wait(timeout=5) == 1
