#!/usr/bin/env python3
"""Helpers for Scripts/bench: free ports, waiting for a listener, waiting for a server to go idle, and the
Docs/benchmarks.md writer. Only 127.0.0.1 is ever contacted.

  bench.py free-port
  bench.py wait-port PORT START_NS TIMEOUT_S      prints milliseconds from START_NS until PORT accepts
  bench.py quiesce PID [MAX_S]                     waits until PID uses < 2% of a core over 300 ms
  bench.py report WORKDIR OUT.md                   writes the report from WORKDIR's results
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, start_ns: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return (time.time_ns() - start_ns) / 1e6
        except OSError:
            time.sleep(0.002)
    raise SystemExit(f"port {port} did not open within {timeout} s")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def quiesce(pid: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.3)
        if cpu_seconds(pid) - before < 0.006:
            return


# ---------------------------------------------------------------------------------------------------------
# Report

SERVERS = ["parley", "prosody", "ejabberd"]
NAMES = {"parley": "Parley", "prosody": "Prosody", "ejabberd": "ejabberd"}


def load(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def fmt(value, digits=0, unit=""):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if digits == 0:
        return f"{value:,.0f}{unit}"
    return f"{value:,.{digits}f}{unit}"


def ms(value):
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


class Results:
    def __init__(self, work: Path):
        self.work = work

    def run(self, server: str, name: str):
        return load(self.work / "results" / server / f"{name}.json")

    def runs(self, server: str, prefix: str):
        found = []
        for path in sorted((self.work / "results" / server).glob(f"{prefix}-*.json")):
            data = load(path)
            if data is not None:
                found.append(data)
        return found


def phase(report, name=None):
    if not report or not report.get("phases"):
        return None
    if name is None:
        return report["phases"][0]
    for p in report["phases"]:
        if p["name"] == name:
            return p
    return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def per_cpu(report, name=None):
    p = phase(report, name)
    return p.get("operations_per_server_cpu_second") if p else None


def errors_of(report):
    if report is None:
        return "did not run"
    if not report.get("errors"):
        return "none"
    return ", ".join(f"{k} {v}" for k, v in sorted(report["errors"].items(), key=lambda kv: -kv[1]))


# The box the issue's targets and the other servers' published figures were measured on: the performance anchors
# (2 vCPU AMD EPYC Zen 5 KVM guest, OpenSSL 3.0.19, Prosody 0.12.3 with docker-jitsi-meet's GC settings).
REFERENCE_BOX = "2 vCPU AMD EPYC Zen 5 KVM guest"
REFERENCE = {
    "ecdsa_p256_signs": 69001,      # `openssl speed`, per CPU-second
    "x25519": 40416,                # `openssl speed`, ECDH operations per CPU-second
    "prosody_logins": (2500, 3000), # anonymous login (connect → bind) per Prosody CPU-second, docker-jitsi-meet GC
}


def calibration(work: Path) -> dict:
    """This machine's figures from the calibration step: `openssl speed` and tls-floor (Scripts/lib/tls-floor.c)."""
    found = {}
    floor = load(work / "calibration" / "tls-floor.json")
    if floor:
        found["tls_floor"] = floor
    client = load(work / "calibration" / "client-floor.json")
    if client:
        found["client_floor"] = client
    speed = work / "calibration" / "openssl-speed.txt"
    if speed.exists():
        for line in speed.read_text().splitlines():
            numbers = re.findall(r"\d+\.\d+", line)
            if "ecdsa (nistp256)" in line and len(numbers) >= 4:
                found["ecdsa_p256_signs"] = float(numbers[2])
            elif "ecdh (X25519)" in line and numbers:
                found["x25519"] = float(numbers[-1])
    return found


def instruction_storms(work: Path) -> list[float]:
    """Instructions per join in each storm against Parley under callgrind (Scripts/bench's instruction_storms)."""
    counts = []
    for path in sorted((work / "callgrind").glob("storm-*.ir"), key=lambda p: int(p.stem.split("-")[1])):
        fields = path.read_text().split()
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[0]) > 0:
            counts.append(int(fields[1]) / int(fields[0]))
    return counts


FINDINGS_START = "<!-- findings: hand-written, kept by Scripts/bench across runs -->"
FINDINGS_END = "<!-- /findings -->"


def write_report(work: Path, out: Path) -> None:
    previous_findings = ""
    if out.exists():
        text = out.read_text()
        if FINDINGS_START in text and FINDINGS_END in text:
            previous_findings = text.split(FINDINGS_START, 1)[1].split(FINDINGS_END, 1)[0]
    r = Results(work)
    meta = json.loads((work / "meta.json").read_text())
    commands = (work / "commands.txt").read_text().splitlines() if (work / "commands.txt").exists() else []
    lines: list[str] = []
    add = lines.append
    servers = [s for s in SERVERS if (work / "results" / s).exists()]

    add("# Benchmarks: Parley, Prosody and ejabberd")
    add("")
    add(f"Written by `Scripts/bench{' --quick' if meta.get('quick') else ''}` on {meta['date']} "
        f"(run took {meta.get('elapsed_s', 0) / 60:.1f} min). Each figure comes from `parley load` (Docs/Load.md) "
        "against a server on loopback. **Each server is pinned to one core (`taskset -c 1`) and the generator to the "
        "other (`taskset -c 0`)**, so the per-CPU-second figures are the server's own, not the machine's. "
        "Per-CPU-second = operations ÷ the server process's CPU time (user + system, all threads) over the phase. "
        "The kernel's loopback TCP work is charged to whichever process sends, so each side also pays part of "
        "the other's network stack.")
    add("")
    add("## Machine and versions")
    add("")
    for key in ["cpu", "cores", "memory", "kernel", "os", "swift", "parley", "prosody", "lua", "ejabberd", "erlang", "openssl"]:
        if key in meta:
            add(f"- **{key}**: {meta[key]}")
    add("")
    calib = calibration(work)
    # Joins per server CPU-second of each interleaved round, per server: the calibration's ceiling uses Parley's
    # median, the join section prints them all.
    rounds = {server: [per_cpu(run) for run in r.runs(server, "join")] for server in servers}
    parley_join = median(rounds.get("parley", []))
    join_server_us = 1e6 / parley_join if parley_join else None
    tls_ceiling = None
    if calib:
        add("## Machine calibration")
        add("")
        add(f"The issue's targets were set from figures measured on another machine, the {REFERENCE_BOX} of the "
            "performance anchors. The same measurements here, each pinned to the server's core, say how this "
            "machine's core compares; no XMPP server is involved in the first two.")
        add("")
        add(f"| figure | this machine | {REFERENCE_BOX} | that ÷ this |")
        add("|---|---|---|---|")
        for key, label in [("ecdsa_p256_signs", "`openssl speed ecdsap256`: signs per CPU-second"),
                           ("x25519", "`openssl speed ecdhx25519`: key agreements per CPU-second")]:
            if calib.get(key):
                add(f"| {label} | {fmt(calib[key])} | {fmt(REFERENCE[key])} | {REFERENCE[key] / calib[key]:.2f}× |")
        prosody_login = per_cpu(r.run("prosody", "login"))
        if prosody_login:
            low, high = REFERENCE["prosody_logins"]
            add(f"| Prosody, anonymous logins per server CPU-second (this run's login storm) | {fmt(prosody_login)} | "
                f"{fmt(low)}–{fmt(high)} | {low / prosody_login:.2f}–{high / prosody_login:.2f}× |")
        add("")
        floor = calib.get("tls_floor")
        if floor:
            add(f"**The floor under a TLS connection.** `Scripts/lib/tls-floor.c` runs {fmt(floor['handshakes'])} full "
                f"{floor['version']} handshakes ({floor['cipher']}, ECDSA P-256 certificate, X25519) between a server "
                "and a client in one process, over memory BIOs, with Parley's server settings, and times only the "
                f"server's calls into {floor['openssl']}: **{floor['server_us_per_handshake']:,.0f} µs per handshake** "
                f"(SSL_new to SSL_free) and {floor['server_us_per_record']:.1f} µs per small record. No sockets, no "
                "XMPP: this is what the library alone costs a server per connection.")
            if join_server_us:
                tls_ceiling = 1e6 / (floor["server_us_per_handshake"] + join_server_us)
                add("")
                add(f"A STARTTLS login+join costs at least that plus a plain one ({join_server_us:,.0f} µs of server "
                    f"CPU in this run's join storms), so on this machine and this OpenSSL it cannot go past "
                    f"**{tls_ceiling:,.0f} per server CPU-second**, before the STARTTLS round trip, the stream restart "
                    "and the handshake's own segments are counted.")
            add("")
        client = calib.get("client_floor")
        if client:
            add(f"**The floor under a generator.** `Scripts/lib/client-floor.c` logs in and joins {fmt(client['clients'])} "
                "clients against the pinned Parley, one at a time, from the generator's core: blocking sockets, no XML "
                "parser, fixed markers, the same stanzas as `parley load join`. It spends "
                f"**{client['us_per_login_join']:,.0f} µs of CPU per login+join**, {client['user_us_per_login_join']:,.0f} µs "
                "of it in user space: the rest is the kernel's work for the connection and its loopback segments, about what "
                "any generator pays here (an epoll client trades the blocking wake-ups for epoll_wait calls).")
            add("")
    steal, order = {}, {}
    for server in servers:
        for path in sorted((work / "results" / server).glob("*.steal"), key=lambda path: path.stat().st_mtime):
            try:
                steal.setdefault(path.stem, {})[server] = float(path.read_text().split()[0])
            except (ValueError, IndexError):
                continue
            order.setdefault(path.stem, len(order))
    if steal:
        add("## VM steal time")
        add("")
        add("This machine is a VM on a shared host. Steal time is the share of both cores' time the host gave to "
            "someone else while a run went on (`/proc/stat`); a run with more than a few percent was disturbed, and "
            "its wall-clock figures (rates, latencies) say more about the host than about the server. "
            "Per-CPU-second figures are less affected. Runs above 5% are in bold.")
        add("")
        add("| run | " + " | ".join(NAMES[s] for s in servers) + " |")
        add("|---|" + "---|" * len(servers))
        for name in sorted(steal, key=lambda n: order[n]):  # in the order the first server ran them
            cells = []
            for server in servers:
                value = steal[name].get(server)
                cells.append("–" if value is None else (f"**{value * 100:.1f}%**" if value > 0.05 else f"{value * 100:.1f}%"))
            add(f"| {name} | " + " | ".join(cells) + " |")
        add("")
    add("Ratio columns show Parley's advantage: Parley ÷ other for rates, other ÷ Parley for latencies (above 1× "
        "means Parley is better); generator rows and error rows have none.")
    add("")
    add("## Server configurations")
    add("")
    add("- **Parley**: release build, `parley serve --ephemeral` with a YAML file: hosts `meet.jitsi` (anonymous) and "
        "`auth.meet.jitsi` (accounts), `c2s.allow_plaintext_loopback: true`, MUC `muc.meet.jitsi` with "
        "`restrict_room_creation: false` and `focus_lock: false`, the focus proxy `focus.meet.jitsi` → "
        "`focus@auth.meet.jitsi` (preset), `event_loops: 1` when pinned (one core), 0 (one per core) unpinned, "
        "`log_level: warning`.")
    add("- **Prosody** (Debian's package) configured as docker-jitsi-meet's `prosody.cfg.lua`: incremental Lua GC "
        "`gc = { mode = \"incremental\"; threshold = 400; speed = 250; step_size = 13 }`, `network_backend = \"epoll\"`, "
        "`tcp_backlog = 511`, `limits = { c2s = { rate = \"10kb/s\" } }` with `unlimited_jids = { focus }` "
        "(docker's `limits_exception`), `c2s_stanza_size_limit = 512 KiB` (Jitsi's infra value), modules roster, "
        "saslauth, tls, disco, limits, ping, bosh, websocket; `offline`, `register`, `s2s` disabled; anonymous "
        "`meet.jitsi`, `internal_hashed` `auth.meet.jitsi`; MUC `muc.meet.jitsi` with `storage = \"memory\"`, "
        "`muc_room_locking = false`, `muc_room_default_public_jids = true`, `muc_tombstones = false`, "
        "`muc_room_cache_size = 10000`, and `restrict_room_creation = false` (docker sets true with the focus as "
        "admin; these scenarios let participants create rooms), `c2s_require_encryption = false` and "
        "`allow_unencrypted_plain_auth = true` for plain-TCP runs, `log` at warn.")
    add("- **ejabberd** (Debian's package) with the equivalent: anonymous `meet.jitsi` (`sasl_anon`), internal "
        "`auth.meet.jitsi`, `mod_muc` on `muc.meet.jitsi` (anyone creates, `history_size: 0`, `max_users` 100,000, "
        "non-anonymous rooms, no MAM), `mod_bosh`, `ejabberd_http_ws`, STARTTLS offered, c2s shaper 10 KiB/s with "
        "burst 20 KiB (the same limit as docker's Prosody; the focus is exempt), `backlog: 511`, `loglevel: warning`, "
        "and BEAM started with `+sbwt none +sbwtdcpu none +sbwtdio none` so that its CPU time is work, not scheduler "
        "busy-waiting.")
    add("- Every server process gets the generator's open-file limit (65,536): Debian's `runuser` would reset it to "
        "1,024 through PAM.")
    add("- The emulated focus (`--focus-jid`) answers conference IQs; Parley routes them through its "
        "`focus.meet.jitsi` proxy, Prosody and ejabberd (without Jitsi's `client_proxy` module) get them addressed to "
        "`focus@auth.meet.jitsi/focus` directly.")
    add("")

    # ---- Tables
    def section(title, note, rows):
        add(f"## {title}")
        add("")
        if note:
            add(note)
            add("")
        header = ["figure"] + [NAMES[s] for s in servers]
        if "parley" in servers:
            header += [f"Parley/{NAMES[s]}" for s in servers if s != "parley"]
        add("| " + " | ".join(header) + " |")
        add("|" + "---|" * len(header))
        for label, getter, higher_better in rows:
            values = [getter(s) for s in servers]
            compare = higher_better is not None
            cells = [label] + [fmt(v, 1 if isinstance(v, float) and abs(v) < 100 else 0) if not isinstance(v, str) else v for v in values]
            if "parley" in servers:
                p = values[servers.index("parley")]
                for i, s in enumerate(servers):
                    if s == "parley":
                        continue
                    other = values[i]
                    if compare and isinstance(p, (int, float)) and isinstance(other, (int, float)) and other:
                        cells.append(f"{(p / other) if higher_better else (other / p):.2f}×" if p else "–")
                    else:
                        cells.append("–")
            add("| " + " | ".join(cells) + " |")
        add("")

    def g(name, key, phase_name=None, source=None):
        def get(server):
            report = r.run(server, name)
            p = phase(report, phase_name)
            if p is None:
                return None
            value = p
            for k in key.split("."):
                value = value.get(k) if isinstance(value, dict) else None
            return value
        return get

    def gerr(name):
        return lambda s: errors_of(r.run(s, name))

    def median_join(server, key):
        values = []
        for report in r.runs(server, "join"):
            p = phase(report)
            if p:
                value = p
                for k in key.split("."):
                    value = value.get(k) if isinstance(value, dict) else None
                values.append(value)
        return median(values)

    section(
        "Login storm (plain TCP)",
        "Connect, SASL ANONYMOUS, bind, leave. Closed loop, 100 in flight. This, the join storms and the STARTTLS "
        "run come first and interleave the servers: round by round, each server in turn on a fresh process, so "
        "that all of them meet the same stretch of the shared host.",
        [("logins per server CPU-second", g("login", "operations_per_server_cpu_second"), True),
         ("logins per second (wall)", g("login", "rate"), True),
         ("login p50 ms", g("login", "latency.p50"), False),
         ("login p99 ms", g("login", "latency.p99"), False),
         ("generator µs per login (user+system)", g("login", "generator_microseconds_per_operation"), None),
         ("errors", gerr("login"), None)])
    section(
        "Join storm: login + join into rooms of 10 (plain TCP)",
        "Closed loop, 100 in flight; every client stays until the last has joined. Median of the repeated runs, "
        "one per interleaved round (each run's figures are in the JSON files and in the line under the table). "
        "Join latency = join presence sent → own self-presence.",
        [("joins per server CPU-second", lambda s: median_join(s, "operations_per_server_cpu_second"), True),
         ("joins per second (wall)", lambda s: median_join(s, "rate"), True),
         ("join p50 ms", lambda s: median_join(s, "latency.p50"), False),
         ("join p99 ms", lambda s: median_join(s, "latency.p99"), False),
         ("presences delivered per server CPU-second", lambda s: median_join(s, "deliveries_per_server_cpu_second"), True),
         ("generator µs per login+join (user+system)", lambda s: median_join(s, "generator_microseconds_per_operation"), None),
         ("generator user µs per login+join", lambda s: median_join(s, "generator_user_microseconds_per_operation"), None),
         ("runs", lambda s: f"{len(r.runs(s, 'join'))}", None)])
    if any(rounds.values()):
        parts = [f"{NAMES[server]} {', '.join(fmt(x) for x in values)}" for server, values in rounds.items() if values]
        line = "Joins per server CPU-second, round by round: " + "; ".join(parts) + "."
        if "parley" in rounds:
            for server in servers:
                if server != "parley" and rounds.get(server) and len(rounds[server]) == len(rounds["parley"]):
                    pairs = zip(rounds["parley"], rounds[server])
                    line += f" Parley ÷ {NAMES[server]} per round: " + ", ".join(
                        f"{a / b:.2f}×" if a and b else "–" for a, b in pairs) + "."
        add(line)
        add("")
    section(
        "Join storm with STARTTLS (rooms of 10)",
        "TLS 1.3 (the servers' self-signed ECDSA P-256 certificates), closed loop, 50 in flight.",
        [("joins per server CPU-second", g("starttls", "operations_per_server_cpu_second"), True),
         ("joins per second (wall)", g("starttls", "rate"), True),
         ("join p99 ms", g("starttls", "latency.p99"), False),
         ("errors", gerr("starttls"), None)])
    section(
        "Open loop: 1,000 joins per second offered (rooms of 10, plain TCP, 5 s)",
        "Clients start at the offered rate whatever the server does; a server slower than the offer shows as "
        "growing latency. Session = scheduled start → joined (connect, login and queueing included).",
        [("joins per second achieved", g("open1000", "rate"), True),
         ("join p50 ms", g("open1000", "latency.p50"), False),
         ("join p90 ms", g("open1000", "latency.p90"), False),
         ("join p99 ms", g("open1000", "latency.p99"), False),
         ("join p99.9 ms", g("open1000", "latency.p999"), False),
         ("join max ms", g("open1000", "latency.max"), False),
         ("session p99 ms", g("open1000", "session_latency.p99"), False),
         ("errors", gerr("open1000"), None)])
    section(
        "Big room: filling one room to 500 occupants",
        "Closed loop, 10 in flight; each join makes the server send ~2N presences.",
        [("joins per second (wall)", g("fill500", "rate"), True),
         ("joins per server CPU-second", g("fill500", "operations_per_server_cpu_second"), True),
         ("join p50 ms", g("fill500", "latency.p50"), False),
         ("join p99 ms", g("fill500", "latency.p99"), False),
         ("presences delivered", g("fill500", "deliveries"), True),
         ("errors", gerr("fill500"), None)])
    section(
        "Presence fan-out: 2 rooms of 50, 20 updates per occupant",
        "After the rooms fill, every occupant sends 20 presence updates, each after the echo of the previous one; "
        "every presence delivered is counted (expected 2 × 50 × 50 × 20 = 100,000).",
        [("delivered presences per server CPU-second", g("fanout", "deliveries_per_server_cpu_second", "fanout"), True),
         ("delivered presences per second (wall)", g("fanout", "deliveries_per_second", "fanout"), True),
         ("delivered / expected", lambda s: (lambda p: f"{p['deliveries']:,} / {p['expected_deliveries']:,}" if p else "–")(phase(r.run(s, 'fanout'), 'fanout')), None),
         ("update → echo p50 ms", g("fanout", "latency.p50", "fanout"), False),
         ("update → echo p99 ms", g("fanout", "latency.p99", "fanout"), False),
         ("errors", gerr("fanout"), None)])
    section(
        "Presence fan-out with Jitsi-sized presences (~1.5 KB)",
        "The same with `--presence jitsi`; the c2s rate limits of Prosody (10 kb/s) and ejabberd (10 KiB/s) apply "
        "to the updates.",
        [("delivered presences per server CPU-second", g("fanout-jitsi", "deliveries_per_server_cpu_second", "fanout"), True),
         ("delivered presences per second (wall)", g("fanout-jitsi", "deliveries_per_second", "fanout"), True),
         ("update → echo p99 ms", g("fanout-jitsi", "latency.p99", "fanout"), False),
         ("errors", gerr("fanout-jitsi"), None)])
    section(
        "The Jitsi join (conference IQ to the focus, then the join; Jitsi-sized presences)",
        "1,000 participants into rooms of 10; the generator emulates Jicofo. Latency = conference IQ sent → own "
        "self-presence.",
        [("joins per server CPU-second", g("jitsi", "operations_per_server_cpu_second"), True),
         ("joins per second (wall)", g("jitsi", "rate"), True),
         ("p50 ms", g("jitsi", "latency.p50"), False),
         ("p99 ms", g("jitsi", "latency.p99"), False),
         ("errors", gerr("jitsi"), None)])
    section(
        "Join storms over WebSocket and BOSH (rooms of 10)",
        "1,000 clients each, closed loop, 50 in flight.",
        [("WebSocket joins per server CPU-second", g("websocket", "operations_per_server_cpu_second"), True),
         ("WebSocket joins per second", g("websocket", "rate"), True),
         ("WebSocket join p99 ms", g("websocket", "latency.p99"), False),
         ("WebSocket errors", gerr("websocket"), None),
         ("BOSH joins per server CPU-second", g("bosh", "operations_per_server_cpu_second"), True),
         ("BOSH joins per second", g("bosh", "rate"), True),
         ("BOSH join p99 ms", g("bosh", "latency.p99"), False),
         ("BOSH errors", gerr("bosh"), None)])

    def idle_bytes(name):
        def get(server):
            report = r.run(server, name)
            return report.get("server", {}).get("bytes_per_session") if report else None
        return get

    section(
        "Memory per idle joined session",
        "2,000 clients join rooms of 10 and stay idle for 5 s, each run on a freshly started server; (RSS at the end "
        "of the hold − RSS before the first connection) ÷ sessions. User-space memory of the server process only; "
        "the kernel adds ~5 KB per socket.",
        [("bytes per WebSocket session", idle_bytes("idle-ws"), False),
         ("bytes per TCP session", idle_bytes("idle-tcp"), False),
         ("RSS before (MiB)", lambda s: (lambda x: x["server"]["rss_before_kib"] / 1024 if x else None)(r.run(s, "idle-ws")), False),
         ("RSS joined (MiB)", lambda s: (lambda x: x["server"]["rss_joined_kib"] / 1024 if x else None)(r.run(s, "idle-ws")), False),
         ("errors (WebSocket)", gerr("idle-ws"), None)])

    startup = json.loads((work / "startup.json").read_text()) if (work / "startup.json").exists() else {}
    section(
        "Start to accepting connections",
        "Process start → first successful TCP connect to its c2s port (median over every start in the run; for "
        "Parley, the moment its `--ephemeral` JSON line names the port, which it prints once it accepts).",
        [("milliseconds", lambda s: median(startup.get(s, [])), False)])

    decay = json.loads((work / "decay.json").read_text()) if (work / "decay.json").exists() else {}
    add("## No decay: six identical join storms against one process")
    add("")
    storm_clients = next((run.get("clients") for run in (r.run(s, "decay-1") for s in servers) if run), None)
    add(f"{fmt(storm_clients) if storm_clients else 'The same number of'} clients into rooms of 10 per storm (closed "
        "loop, 100 in flight), all leaving after each storm, on a freshly started process; RSS read 2 s after the "
        "clients left. Storms are long enough (seconds, not a fraction of one) that a passing slowdown of this shared "
        "VM does not decide a storm's rate; the per-CPU-second rates are shown too.")
    add("")
    add("| server | idle RSS MiB | storm rates, joins/s | worst ÷ first | joins per server CPU-s | worst ÷ first | RSS after each storm, MiB | final RSS ÷ idle |")
    add("|---|---|---|---|---|---|---|---|")
    for s in servers:
        d = decay.get(s)
        if not d or not d.get("rates"):
            add(f"| {NAMES[s]} | – | – | – | – | – | – | – |")
            continue
        rates, cpu_rates = d["rates"], d.get("per_cpu") or []
        first = rates[0] or None
        first_cpu = cpu_rates[0] if cpu_rates and cpu_rates[0] else None
        add(f"| {NAMES[s]} | {d['idle_rss_kib'] / 1024:.1f} | {', '.join(f'{x:,.0f}' for x in rates)} | "
            f"{(min(rates) / first) if first else 0:.2f} | {', '.join(f'{x:,.0f}' for x in cpu_rates)} | "
            f"{(min(cpu_rates) / first_cpu) if first_cpu else 0:.2f} | "
            f"{', '.join(f'{x / 1024:.1f}' for x in d['rss_after_kib'])} | "
            f"{d['rss_after_kib'][-1] / d['idle_rss_kib']:.2f} |")
    add("")
    counted = instruction_storms(work)
    if counted:
        add(f"**Parley's storms counted in instructions.** The same storms, a tenth the size (closed loop, 20 in flight), against "
            "one Parley process under callgrind, which counts the instructions the process executes (user space, all "
            "threads; leaves included). Instructions per join, storm by storm: "
            f"{', '.join(f'{x:,.0f}' for x in counted)}; **last ÷ first {counted[-1] / counted[0]:.3f}**, highest ÷ "
            f"first {max(counted) / counted[0]:.3f}. A count does not move with the VM's neighbours, so a process "
            "doing more work per join as it ages would show here even when the rates above cannot resolve it.")
        add("")

    unpinned_runs = r.runs("parley", "unpinned")
    unpinned = sorted(unpinned_runs, key=lambda run: (phase(run) or {}).get("rate") or 0)[len(unpinned_runs) // 2] \
        if unpinned_runs else None
    pinned_rate = median_join("parley", "rate")
    add("## Parley unpinned")
    add("")
    if unpinned:
        p = phase(unpinned)
        gen_util = p["generator_cpu_seconds"] / p["seconds"] if p and p.get("seconds") else None
        srv = unpinned.get("server") or {}
        srv_util = (p.get("server_cpu_seconds") or 0) / p["seconds"] if p and p.get("seconds") else None
        rates = ", ".join(fmt((phase(run) or {}).get("rate")) for run in unpinned_runs)
        add(f"The same join storm with neither process pinned and `event_loops: 0` (one loop per core), "
            f"{len(unpinned_runs)} runs ({rates} joins/s): median {fmt(p['rate'])} joins/s against {fmt(pinned_rate)} "
            f"pinned (median), **{ratio(p['rate'], pinned_rate)}**. During the median run the generator used "
            f"{gen_util:.2f} cores and Parley {srv_util:.2f} cores of the 2 available." if gen_util is not None and srv_util is not None else "")
        pinned_server_us = 1e6 / median_join("parley", "operations_per_server_cpu_second") \
            if median_join("parley", "operations_per_server_cpu_second") else None
        pinned_gen_us = median_join("parley", "generator_microseconds_per_operation")
        if pinned_server_us and pinned_gen_us:
            ceiling = 2e6 / (pinned_server_us + pinned_gen_us)
            add("")
            add(f"Ceiling on this machine: with both processes sharing its 2 cores, a join costs {pinned_server_us:,.0f} µs "
                f"of server CPU and {pinned_gen_us:,.0f} µs of generator CPU at the pinned efficiency, so the two cores "
                f"allow at most {ceiling:,.0f} joins/s, **{ceiling / pinned_rate:.2f}×** the pinned rate, even with perfect "
                f"scaling across event loops.")
        add("")
    else:
        add("Not run.")
        add("")

    # ---- Targets
    add("## Targets (issue 5, point 5)")
    add("")
    targets = []
    join_cpu = median_join("parley", "operations_per_server_cpu_second")
    prosody_cpu = median_join("prosody", "operations_per_server_cpu_second")
    ejabberd_cpu = median_join("ejabberd", "operations_per_server_cpu_second")

    def target(name, value_text, met):
        targets.append((name, value_text, "met" if met else ("missed" if met is not None else "not measured")))

    target("login + join, rooms of 10, plain TCP ≥ 5,000 joins per server CPU-second", fmt(join_cpu),
           join_cpu >= 5000 if join_cpu else None)
    target("… ≥ 4× Prosody per CPU-second", ratio(join_cpu, prosody_cpu),
           (join_cpu / prosody_cpu >= 4) if join_cpu and prosody_cpu else None)
    target("… ≥ 4× ejabberd per CPU-second", ratio(join_cpu, ejabberd_cpu),
           (join_cpu / ejabberd_cpu >= 4) if join_cpu and ejabberd_cpu else None)
    tls = per_cpu(r.run("parley", "starttls"))
    target("STARTTLS ≥ 2,000 joins per server CPU-second",
           fmt(tls) + (f" (this machine's ceiling with its OpenSSL: {fmt(tls_ceiling)}, see Machine calibration)"
                       if tls and tls_ceiling else ""),
           tls >= 2000 if tls else None)
    p99 = g("open1000", "latency.p99")("parley")
    target("join latency p99 ≤ 10 ms at 1,000 joins/s offered", f"{ms(p99)} ms" if p99 is not None else "–",
           p99 <= 10 if p99 is not None else None)
    fill = g("fill500", "rate")("parley")
    target("filling one room to 500 occupants ≥ 200 joins/s", f"{fmt(fill)}/s" if fill else "–",
           fill >= 200 if fill else None)
    fan = g("fanout", "deliveries_per_server_cpu_second", "fanout")("parley")
    target("presence fan-out ≥ 200,000 delivered stanzas per server CPU-second", fmt(fan), fan >= 200000 if fan else None)
    ws = idle_bytes("idle-ws")("parley")
    target("memory per idle joined WebSocket session ≤ 16 KB", f"{fmt(ws)} B" if ws else "–",
           ws <= 16 * 1024 if ws else None)
    start = median(startup.get("parley", []))
    target("start to accepting connections ≤ 100 ms", f"{ms(start)} ms" if start else "–", start <= 100 if start else None)
    d = decay.get("parley")
    if d and d.get("rates"):
        rates = d["rates"]
        worst = min(rates) / rates[0]
        cpu_rates = d.get("per_cpu") or []
        worst_cpu = (min(cpu_rates) / cpu_rates[0]) if cpu_rates and cpu_rates[0] else None
        target("no decay: six storms within 10% of the first",
               (f"worst storm {worst:.2f} × the first (wall), {worst_cpu:.2f} × (per CPU-second)"
                if worst_cpu is not None else f"worst {worst:.2f} × the first")
               + (f"; instructions per join, last ÷ first {counted[-1] / counted[0]:.3f}" if counted else ""),
               worst >= 0.9)
        back = d["rss_after_kib"][-1] / d["idle_rss_kib"]
        target("no decay: RSS back within 10% of idle after the clients leave", f"{back:.2f} × idle", back <= 1.10)
    else:
        target("no decay", "–", None)
    if unpinned:
        up = phase(unpinned)["rate"]
        target("unpinned join rate ≥ 1.6× pinned", ratio(up, pinned_rate), (up / pinned_rate >= 1.6) if pinned_rate else None)
    gen = median_join("parley", "generator_microseconds_per_operation")
    client_floor = (calib.get("client_floor") or {}).get("us_per_login_join")
    target("generator ≤ 50 µs of its own CPU per plain-TCP login+join", f"{fmt(gen)} µs "
           f"(user {fmt(median_join('parley', 'generator_user_microseconds_per_operation'))} µs)"
           + (f"; the simplest C client spends {fmt(client_floor)} µs here (Machine calibration)" if client_floor else "")
           if gen else "–",
           gen <= 50 if gen else None)
    add("| target | measured | |")
    add("|---|---|---|")
    for name, value, verdict in targets:
        add(f"| {name} | {value} | **{verdict}** |")
    add("")

    notes = work / "notes.md"
    if notes.exists():
        add(notes.read_text().rstrip())
        add("")

    # The hand-written findings (what the profiles say about each missed target) survive a rerun, marked as
    # belonging to the run they were written for.
    if previous_findings:
        add(FINDINGS_START)
        add(previous_findings.strip())
        add(FINDINGS_END)
        add("")

    profiles = sorted((work / "profiles").glob("*.txt")) if (work / "profiles").exists() else []
    if profiles:
        add("## Parley profiles (server side)")
        add("")
        add("`perf record -F 499 --call-graph dwarf -p <parley pid>` during the run named (a separate run, pinned as "
            "above, after the measured ones). For each: time by shared object, the 25 hottest symbols by self time "
            "(`perf report --no-children --sort dso,symbol`), and Parley's own functions by inclusive time "
            "(`--children --dsos parley`, event-loop frames left out), demangled with `swift demangle`.")
        add("")
        for path in profiles:
            add(f"### {path.stem}")
            add("")
            add("```")
            add(path.read_text().rstrip())
            add("```")
            add("")

    add("## Commands")
    add("")
    add("Each run was `taskset -c 0 parley load …` with the server's pid for CPU and RSS; `$PORT`/`$HTTP` are the "
        "server's ports in that run.")
    add("")
    add("```")
    for command in commands:
        add(command)
    add("```")
    add("")
    out.write_text("\n".join(lines))


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    command = argv[0]
    if command == "free-port":
        print(free_port())
    elif command == "wait-port":
        print(f"{wait_port(int(argv[1]), int(argv[2]), float(argv[3])):.1f}")
    elif command == "quiesce":
        quiesce(int(argv[1]), float(argv[2]) if len(argv) > 2 else 15)
    elif command == "report":
        write_report(Path(argv[1]), Path(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
