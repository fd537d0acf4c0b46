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
