"""`parley import prosody` against Debian's real Prosody (issue 14.5).

In a temporary folder: a Prosody configuration with its own data_path, accounts made by Debian's
`prosodyctl register` (their SCRAM-SHA-1 keys, never their passwords, go to Parley), the import, and then
`parley serve --config` on the converted YAML (Prosody's ports, free loopback ports picked by the test), where
slixmpp logs in by SCRAM-SHA-1 with the original passwords. No Prosody server is started; a system prosody
service is not touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import HOST, PARLEY_BIN, close_client, connect_client

PROSODYCTL = shutil.which("prosodyctl")
pytestmark = pytest.mark.skipif(PROSODYCTL is None, reason="Debian's prosody is not installed (Scripts/lib/ensure-deps.sh)")

ACCOUNTS = [
    ("focus", "auth.meet.test", "focus pass: 1"),
    ("jvb", "auth.meet.test", "jvb-secret"),
    ("alice", "meet.test", "älice päss"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def write_prosody_config(folder, c2s_port: int, http_port: int) -> str:
    data = folder / "prosody-data"
    data.mkdir()
    os.chmod(data, 0o777)  # prosodyctl run as root writes as the prosody user
    (folder / "certs").mkdir()
    config = folder / "prosody.cfg.lua"
    config.write_text(
        f"""
-- written by test_prosody_import.py
data_path = "{data}"
pidfile = "{folder}/prosody.pid"
log = {{ error = "{folder}/prosody.err" }}
certificates = "certs"
c2s_ports = {{ {c2s_port} }}
c2s_interfaces = {{ "{HOST}" }}
http_ports = {{ {http_port} }}
https_ports = {{ }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; "bosh"; "posix"; }}
gc = {{ mode = "incremental" }}

VirtualHost "meet.test"
    authentication = "internal_hashed"

VirtualHost "auth.meet.test"
    authentication = "internal_hashed"
    modules_enabled = {{ "limits_exception"; "smacks"; }}

Component "conference.meet.test" "muc"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
"""
    )
    (folder / "conf.d").mkdir()
    return str(config)


def start_parley(config: str, port: int, log_path):
    log = open(log_path, "wb")
    proc = subprocess.Popen([PARLEY_BIN, "serve", "--config", config], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log, close_fds=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return proc, log
        except OSError:
            time.sleep(0.1)
    stop_parley(proc, log)
    pytest.fail(f"parley serve did not listen on {port}:\n{log_path.read_text(errors='replace')}")


def stop_parley(proc, log):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    log.close()


@pytest.fixture
def prosody_folder():
    """A folder the prosody user can read (pytest's tmp_path is private to this user), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="parley-prosody-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_prosodyctl_accounts_log_in_to_parley_by_scram_sha1(prosody_folder, aio):
    tmp_path = prosody_folder
    c2s_port, http_port = free_port(), free_port()
    config = write_prosody_config(tmp_path, c2s_port, http_port)
    for user, host, password in ACCOUNTS:
        made = subprocess.run([PROSODYCTL, "--config", config, "register", user, host, password],
                              capture_output=True, text=True, timeout=30)
        assert made.returncode == 0, made.stdout + made.stderr
    stored = (tmp_path / "prosody-data" / "auth%2emeet%2etest" / "accounts" / "focus.dat").read_text()
    assert '["stored_key"]' in stored and "focus pass" not in stored

    output = tmp_path / "parley" / "parley.yaml"
    output.parent.mkdir()
    imported = subprocess.run([PARLEY_BIN, "import", "prosody", config, "--output", str(output)],
                              capture_output=True, text=True, timeout=30)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    report = imported.stdout
    for user, host, _ in ACCOUNTS:
        assert f"account: {user}@{host}: imported (SCRAM-SHA-1, " in report, report
    assert f"{config}:12: ignored: gc:" in report, report
    assert f"{config}:11: ignored: posix:" in report, report
    assert f"{c2s_port} (c2s): " in report and "Before the switch, stop Prosody" in report, report
    yaml = output.read_text()
    assert f"c2s_port: {c2s_port}" in yaml and f"http_port: {http_port}" in yaml and 'address: "127.0.0.1"' in yaml
    assert (output.parent / "data" / "accounts.sqlite").exists()
    assert oct(output.stat().st_mode & 0o777) == "0o600"

    checked = subprocess.run([PARLEY_BIN, "check", str(output)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    proc, log = start_parley(str(output), c2s_port, tmp_path / "parley.stderr.log")
    try:
        for user, host, password in ACCOUNTS:
            client = aio.run(connect_client(c2s_port, f"{user}@{host}", password, "SCRAM-SHA-1", runner=aio))
            assert str(client.boundjid.bare) == f"{user}@{host}"
            aio.run(close_client(client))
        with pytest.raises(ConnectionError):
            aio.run(connect_client(c2s_port, "focus@auth.meet.test", "not the password", "SCRAM-SHA-1", runner=aio))
        assert proc.poll() is None, "parley died"
    finally:
        stop_parley(proc, log)
    stderr = (tmp_path / "parley.stderr.log").read_text(errors="replace")
    assert "focus pass" not in stderr


def run_import(config, output, *extra):
    return subprocess.run([PARLEY_BIN, "import", "prosody", str(config), "--output", str(output), *extra],
                          capture_output=True, text=True, timeout=60)


def test_computed_lua_converts_and_lua_errors_name_file_and_line(tmp_path):
    """The configuration runs in Parley's Lua sandbox: computed values convert; an error is a message, not a crash."""
    config = tmp_path / "prosody.cfg.lua"
    config.write_text('local domain = "meet.test"\nadmins = { }\nVirtualHost(domain)\n'
                      '    authentication = "jitsi-" .. "anonymous"\n')
    output = tmp_path / "parley.yaml"
    result = run_import(config, output, "--data", str(tmp_path / "no-data"))
    assert result.returncode == 0, result.stdout + result.stderr
    yaml = output.read_text()
    assert "- domain: meet.test" in yaml and "authentication: anonymous" in yaml, yaml

    failures = {
        'admins = { }\nVirtualHost "meet.test"\n    authentication = "jitsi-" .. anonymous\n':
            f"{config}:3: attempt to concatenate a nil value (global 'anonymous')",
        'admins = { }\nlocal x = io.open("/etc/passwd")\n': f"{config}:2: attempt to index a nil value (global 'io')",
        'admins = { "a@b"\n': f"{config}:2: '}}' expected (to close '{{' at line 1) near <eof>",
        'admins = { }\nwhile true do end\n': f"{config}:2: stopped after 20 million Lua instructions",
    }
    for text, message in failures.items():
        config.write_text(text)
        output = tmp_path / "refused.yaml"
        result = run_import(config, output)
        assert result.returncode == 1, result.stdout + result.stderr
        assert message in result.stderr, result.stderr
        assert not output.exists()


@pytest.mark.skipif(not os.access("/etc/prosody/prosody.cfg.lua", os.R_OK),
                    reason="Debian's /etc/prosody/prosody.cfg.lua is not readable here")
def test_debian_stock_configuration_imports(tmp_path):
    """Debian's own /etc/prosody/prosody.cfg.lua (and its conf.d Include) converts to a configuration `parley check`
    accepts; the accounts come from an empty folder, so /var/lib/prosody is not read."""
    output = tmp_path / "parley" / "parley.yaml"
    result = run_import("/etc/prosody/prosody.cfg.lua", output, "--data", str(tmp_path / "empty"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/etc/prosody/prosody.cfg.lua:" in result.stdout and "- domain: localhost" in output.read_text()
    assert "ignored: pidfile:" in result.stdout, result.stdout
    checked = subprocess.run([PARLEY_BIN, "check", str(output)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_bind_error_names_the_listener_and_this_holder(tmp_path):
    """A port held by this test process: `parley serve` names the listener, the port and the holder."""
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        config = tmp_path / "parley.yaml"
        config.write_text(f"listen: {{ address: {HOST}, c2s_port: {port}, c2s_tls_port: 0, http_port: 0 }}\n"
                          f"data_directory: {tmp_path}/data\naccounts: []\n")
        result = subprocess.run([PARLEY_BIN, "serve", "--config", str(config)], capture_output=True, text=True,
                                timeout=30)
    assert result.returncode != 0
    assert f"cannot listen for c2s (STARTTLS) on {HOST}:{port}: Address already in use (errno 98)" in result.stderr, result.stderr
    assert f"(pid {os.getpid()}" in result.stderr, result.stderr
