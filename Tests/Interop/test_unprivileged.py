"""Parley as operators run it: under a service account, not root. The rest of the suite runs as whoever runs
it (root on CI), so this module starts one server as `nobody` and checks that the c2s and web listeners
accept connections. Every accepted socket's options must be ones an unprivileged process may set: a
`SOL_SOCKET` option number taken for `TCP_NODELAY` meant `SO_DEBUG`, which needs CAP_NET_ADMIN, and each
connection was reset (found 2026-11-22).

Skipped when not run as root: then every other module already runs the server unprivileged."""

from __future__ import annotations

import json
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ANON_DOMAIN, PARLEY_BIN

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(os.geteuid() != 0, reason="runs the server as nobody, which needs root to start"),
]


@pytest.fixture(scope="module")
def unprivileged_server():
    # The binary and the working folder must be reachable by nobody (the checkout may be under /root).
    folder = Path(tempfile.mkdtemp(prefix="parley-unprivileged-"))
    os.chmod(folder, 0o755)
    binary = folder / "parley"
    shutil.copyfile(PARLEY_BIN, binary)
    os.chmod(binary, 0o755)
    stderr = open(folder / "stderr.log", "wb")
    nobody = pwd.getpwnam("nobody")
    proc = subprocess.Popen([str(binary), "serve", "--ephemeral"], cwd=folder, user=nobody.pw_uid,
                            group=nobody.pw_gid, extra_groups=[], env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    try:
        line = b""
        deadline = time.monotonic() + 20
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            assert remaining > 0 and proc.poll() is None, (
                f"parley as nobody printed no ports: {(folder / 'stderr.log').read_text(errors='replace')[-3000:]}")
            if select.select([proc.stdout], [], [], remaining)[0]:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"parley as nobody exited: {(folder / 'stderr.log').read_text(errors='replace')[-3000:]}"
                line += chunk
        yield proc, json.loads(line.split(b"\n", 1)[0])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stderr.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_runs_as_nobody(unprivileged_server):
    proc, _ = unprivileged_server
    owner = Path(f"/proc/{proc.pid}/status").read_text()
    uid_line = next(line for line in owner.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1] != "0", uid_line


def test_c2s_accepts_a_client(unprivileged_server):
    proc, ports = unprivileged_server
    with socket.create_connection(("127.0.0.1", ports["c2s"]), timeout=5) as sock:
        sock.sendall(f"<?xml version='1.0'?><stream:stream to='{ANON_DOMAIN}' xmlns='jabber:client' "
                     f"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode())
        received = b""
        while b"</stream:features>" not in received:
            chunk = sock.recv(4096)
            assert chunk, f"the connection closed before the stream features: {received!r}"
            received += chunk
    assert b"urn:ietf:params:xml:ns:xmpp-tls" in received, received
    assert proc.poll() is None


def test_web_listener_answers(unprivileged_server):
    proc, ports = unprivileged_server
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/health", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b"OK\n"
    assert proc.poll() is None
