"""Smoke test of `parley load` against `parley serve --ephemeral`: correctness only, never speed.

About 50 clients join rooms of 5 over plain TCP and over STARTTLS; the test asserts that every client joined
and that no error was counted. The server and the generator are started here (self-contained helpers, no
fixtures from conftest.py) and only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PARLEY = os.environ.get("PARLEY_BIN", str(REPO / ".build" / "debug" / "parley"))

CONFIG = """\
c2s:
  allow_plaintext_loopback: true
hosts:
  - domain: meet.jitsi
    authentication: anonymous
  - domain: auth.meet.jitsi
    authentication: internal_hashed
accounts: []
muc:
  - domain: muc.meet.jitsi
    restrict_room_creation: false
    focus_lock: false
"""


def start_server(tmp_path: Path) -> tuple[subprocess.Popen, dict]:
    """Starts `parley serve --ephemeral` and returns it with its JSON line of ports."""
    if not os.access(PARLEY, os.X_OK):
        pytest.fail(f"parley binary not found at {PARLEY} (swift build --product parley, or set PARLEY_BIN)")
    config = tmp_path / "parley.yaml"
    config.write_text(CONFIG)
    stderr = open(tmp_path / "server.err", "wb")
    server = subprocess.Popen(
        [PARLEY, "serve", "--ephemeral", "--config", str(config), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    line = server.stdout.readline()
    if not line:
        server.kill()
        pytest.fail("parley serve printed no ports: " + (tmp_path / "server.err").read_text())
    return server, json.loads(line)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_load(port: int, transport: str, server_pid: int) -> dict:
    """Runs `parley load join --json` (bounded: 50 clients, 10 seconds) and returns its report."""
    result = subprocess.run(
        [PARLEY, "load", "join", "--transport", transport, "--host", "127.0.0.1", "--port", str(port),
         "--clients", "50", "--room-size", "5", "--concurrency", "10", "--duration", "10",
         "--server-pid", str(server_pid), "--json", "--no-progress"],
        capture_output=True, text=True, timeout=30)
    assert result.stdout, f"no report; stderr: {result.stderr}"
    return json.loads(result.stdout)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("transport", ["tcp", "starttls"])
def test_every_client_joins_without_errors(tmp_path, transport):
    server, ports = start_server(tmp_path)
    try:
        report = run_load(ports["c2s"], transport, server.pid)
        assert server.poll() is None, "the server died during the run"
    finally:
        stop_server(server)
    assert report["errors"] == {}, report["errors"]
    assert report["error_count"] == 0
    assert report["completed"] == 50
    assert report["not_started"] == 0
    assert report["ok"] is True
    join = report["phases"][0]
    assert join["name"] == "join" and join["operations"] == 50 and join["failed"] == 0
    # Rooms of 5: each client sees the four others and itself.
    assert join["deliveries"] == 50 * 5
    assert join["latency"]["count"] == 50


@pytest.mark.timeout(30)
def test_fanout_over_websocket_counts_every_delivery_per_update(tmp_path):
    """20 participants in one room over WebSocket, 5 updates of the browser presence each: every tagged update
    reaches all 20 occupants (the sender's echo included), and each is timed to its last delivery."""
    server, ports = start_server(tmp_path)
    try:
        result = subprocess.run(
            [PARLEY, "load", "fanout", "--transport", "websocket", "--host", "127.0.0.1", "--port", str(ports["http"]),
             "--clients", "20", "--room-size", "20", "--updates", "5", "--concurrency", "5", "--presence", "jitsi",
             "--duration", "15", "--server-pid", str(server.pid), "--json", "--no-progress"],
            capture_output=True, text=True, timeout=25)
        assert server.poll() is None, "the server died during the run"
    finally:
        stop_server(server)
    assert result.stdout, f"no report; stderr: {result.stderr}"
    report = json.loads(result.stdout)
    assert report["errors"] == {}, report["errors"]
    fanout = report["phases"][1]
    assert fanout["name"] == "fanout"
    assert fanout["expected_deliveries"] == 5 * 20 * 20
    assert fanout["deliveries"] == 5 * 20 * 20
    assert fanout["updates_tracked"] == 100 and fanout["updates_complete"] == 100
    assert fanout["updates_incomplete"] == 0 and fanout["updates_duplicated"] == 0
    assert fanout["tracked_deliveries"] == fanout["tracked_expected_deliveries"] == 5 * 20 * 20
    assert fanout["untracked_deliveries"] == 0
    assert fanout["last_delivery_latency"]["count"] == 100
    # The last delivery of an update comes no earlier than its sender's echo.
    assert fanout["last_delivery_latency"]["max"] >= fanout["latency"]["p50"]
    assert fanout["server_user_cpu_seconds"] is not None and fanout["server_system_cpu_seconds"] is not None
