#!/usr/bin/env python3
"""Helpers for Scripts/bench: free ports, waiting for a listener, waiting for a server to go idle, and the
Docs/benchmarks.md writer. Only 127.0.0.1 is ever contacted.

  bench.py free-port
  bench.py wait-port PORT START_NS TIMEOUT_S      prints milliseconds from START_NS until PORT accepts
  bench.py quiesce PID [MAX_S]                     waits until PID uses < 2% of a core over 300 ms
  bench.py report WORKDIR OUT.md [METHOD.md]       writes the results (OUT.md) and the method, configurations,
                                                   calibration, steal, profiles and commands (METHOD.md, default
                                                   benchmark-method.md beside OUT.md) from WORKDIR's results
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
        """The rounds `<prefix>-1`, `<prefix>-2`… in round order (not `<prefix>-open-1`)."""
        found = []
        pattern = re.compile(re.escape(prefix) + r"-(\d+)\.json$")
        paths = [p for p in (self.work / "results" / server).glob(f"{prefix}-*.json") if pattern.search(p.name)]
        for path in sorted(paths, key=lambda p: int(pattern.search(p.name).group(1))):
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
HISTORY_START = "<!-- history: hand-written, kept by Scripts/bench across runs -->"
HISTORY_END = "<!-- /history -->"

METHOD_NAME = "benchmark-method.md"
DETAILS_NAME = "benchmark-details.md"


def kept_section(path: Path, start: str, end: str) -> str:
    """The hand-written part of a report file between its markers, kept across runs."""
    if not path.exists():
        return ""
    text = path.read_text()
    if start in text and end in text:
        return text.split(start, 1)[1].split(end, 1)[0].strip()
    return ""


def dig(value, key: str):
    for k in key.split("."):
        value = value.get(k) if isinstance(value, dict) else None
    return value


class Table:
    """A server-by-server table with Parley's ratio against each other server."""

    def __init__(self, servers: list[str]):
        self.servers = servers

    def lines(self, rows) -> list[str]:
        servers = self.servers
        header = ["figure"] + [NAMES[s] for s in servers]
        if "parley" in servers:
            header += [f"Parley/{NAMES[s]}" for s in servers if s != "parley"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for label, getter, higher_better in rows:
            values = [getter(s) for s in servers]
            cells = [label] + [v if isinstance(v, str) else fmt(v, 1 if isinstance(v, float) and abs(v) < 100 else 0)
                               for v in values]
            if "parley" in servers:
                p = values[servers.index("parley")]
                for i, s in enumerate(servers):
                    if s == "parley":
                        continue
                    other = values[i]
                    if higher_better is not None and isinstance(p, (int, float)) and isinstance(other, (int, float)) \
                            and other and p:
                        cells.append(f"{(p / other) if higher_better else (other / p):.2f}×")
                    else:
                        cells.append("–")
            lines.append("| " + " | ".join(cells) + " |")
        return lines


def collect_errors(work: Path, servers: list[str]) -> list[str]:
    """Every run's errors by condition, every run without a report, and every fan-out whose deliveries fell short of
    the expected count (a missing presence is an error, whatever the generator's own counters say)."""
    errors = []
    for s in servers:
        for path in sorted((work / "results" / s).glob("*.json")):
            report = load(path)
            if report is None:
                errors.append(f"{NAMES[s]} {path.stem}: no report")
                continue
            if report.get("errors"):
                errors.append(f"{NAMES[s]} {path.stem}: {errors_of(report)}")
            fan = phase(report, "fanout")
            if fan and fan.get("expected_deliveries"):
                short = fan["expected_deliveries"] - (fan.get("deliveries") or 0)
                if short > 0:
                    errors.append(f"{NAMES[s]} {path.stem}: {short:,} of {fan['expected_deliveries']:,} presences "
                                  "not delivered")
                if fan.get("updates_incomplete"):
                    errors.append(f"{NAMES[s]} {path.stem}: {fan['updates_incomplete']:,} updates missed a receiver")
    return errors


def round_values(r: "Results", server: str, prefix: str, key: str, phase_name=None) -> list:
    return [dig(phase(run, phase_name), key) for run in r.runs(server, prefix)]


def verdict(value, good) -> str:
    if value is None:
        return "not measured"
    return "met" if good(value) else "missed"


# The issue-15 comparisons: (label, runs' prefix, phase, key, higher is better, the ratio to reach).
ISSUE15_RATIOS = [
    ("WebSocket login + join, rooms of 10, per server CPU-second", "websocket", None,
     "operations_per_server_cpu_second", 7),
    ("BOSH login + join, rooms of 10, per server CPU-second", "bosh", None, "operations_per_server_cpu_second", 8),
    ("Jitsi join over WebSocket (conference IQ + join, browser presence), per server CPU-second", "jitsi-ws", None,
     "operations_per_server_cpu_second", 10),
    ("Big conference over WebSocket ({clients} in one room, {updates} updates each): presences delivered per server "
     "CPU-second over the updates", "conference", "fanout", "deliveries_per_server_cpu_second", 25),
    ("Plain TCP login + join, rooms of 10, per server CPU-second", "join", None, "operations_per_server_cpu_second", 8),
]


def write_summary(sadd, r: "Results", servers: list[str], meta: dict, run_name: str, issue5: list[str]) -> None:
    """benchmarks.md: issue 15's targets, each Parley ÷ Prosody in this run, then issue 5's, then the errors."""
    sadd("# Benchmarks: Parley against Prosody (and ejabberd)")
    sadd("")
    sadd(f"Written by {run_name} (run took {meta.get('elapsed_s', 0) / 60:.1f} min); Prosody {meta.get('prosody', '?')}, "
         f"ejabberd {meta.get('ejabberd', '?')}, on {meta.get('cpu', '?')}, {meta.get('cores', '?')}. Every figure comes "
         "from `parley load` (Docs/Load.md) against a server on loopback, the server pinned to one core and the "
         "generator to the other; Prosody is configured like docker-jitsi-meet. **Per server CPU-second** = "
         "operations ÷ the server process's CPU time (user + system, all threads) over the phase. Each comparison "
         "runs in rounds, Parley and Prosody (and ejabberd) in turn, each on a fresh process; a figure is the median "
         "of its rounds and the ratio is Parley's median ÷ Prosody's for rates, Prosody's ÷ Parley's for latencies, "
         "CPU per operation and memory: above 1× means Parley is better. Every table, "
         f"with each round, is in [{DETAILS_NAME}]({DETAILS_NAME}); the method, configurations, calibration, VM steal, "
         f"profiles and commands in [{METHOD_NAME}]({METHOD_NAME}).")
    sadd("")
    sadd("## Targets (issue 15): ratios to Prosody in the same run")
    sadd("")
    sadd("| target | Parley | Prosody | ratio | target | |")
    sadd("|---|---|---|---|---|---|")

    def med(server, prefix, key, phase_name=None):
        return median(round_values(r, server, prefix, key, phase_name))

    def row(label, parley_text, prosody_text, ratio_text, target_text, verdict_text):
        sadd(f"| {label} | {parley_text} | {prosody_text} | {ratio_text} | {target_text} | **{verdict_text}** |")

    for label, prefix, phase_name, key, wanted in ISSUE15_RATIOS:
        p, q = med("parley", prefix, key, phase_name), med("prosody", prefix, key, phase_name)
        value = p / q if p and q else None
        rounds = len(r.runs("parley", prefix))
        first = (r.runs("parley", prefix) or r.runs("prosody", prefix) or [{}])[0]
        label = label.format(clients=fmt(first.get("clients")), updates=first.get("updates") or "–")
        row(f"{label} ({rounds} rounds)" if rounds > 1 else label, fmt(p), fmt(q), ratio(p, q), f"≥ {wanted}×",
            verdict(value, lambda v: v >= wanted))
        if prefix == "jitsi-ws":
            # The open loop: 500 joins per second offered, whatever the server does.
            p99 = med("parley", "jitsi-ws-open", "latency.p99")
            q99 = med("prosody", "jitsi-ws-open", "latency.p99")
            rate_p = med("parley", "jitsi-ws-open", "rate")
            rate_q = med("prosody", "jitsi-ws-open", "rate")
            row("… its p99 (conference IQ → joined), 500 joins per second offered",
                f"{ms(p99)} ms ({fmt(rate_p)}/s achieved)" if p99 is not None else "–",
                f"{ms(q99)} ms ({fmt(rate_q)}/s achieved)" if q99 is not None else "–",
                ratio(q99, p99), "Parley ≤ 10 ms", verdict(p99, lambda v: v <= 10))
        if prefix == "conference":
            def counted(server):
                runs = [phase(run, "fanout") for run in r.runs(server, "conference")]
                runs = [x for x in runs if x]
                if not runs:
                    return None, "–"
                got = sum(x.get("deliveries") or 0 for x in runs)
                expected = sum(x.get("expected_deliveries") or 0 for x in runs)
                incomplete = sum(x.get("updates_incomplete") or 0 for x in runs)
                text = f"{got:,} of {expected:,}" + (f", {incomplete} updates short" if incomplete else "")
                return got == expected and incomplete == 0 and expected > 0, text
            ok, text = counted("parley")
            _, prosody_text = counted("prosody")
            row(f"… every delivery counted (each update × its {fmt(first.get('clients'))} receivers, the sender's echo "
                "included; all rounds)", text,
                prosody_text, "–", "all arrive", "met" if ok else ("missed" if ok is not None else "not measured"))
            p99 = med("parley", "conference", "last_delivery_latency.p99", "fanout")
            q99 = med("prosody", "conference", "last_delivery_latency.p99", "fanout")
            row(f"… p99 from an update to its last delivery (the last of its {fmt(first.get('clients'))} receivers)",
                f"{ms(p99)} ms" if p99 is not None else "–", f"{ms(q99)} ms" if q99 is not None else "–",
                ratio(q99, p99), "reported", "reported" if p99 is not None else "not measured")
        if prefix == "join":
            pu = med("parley", "join", "server_user_microseconds_per_operation")
            pk = med("parley", "join", "server_system_microseconds_per_operation")
            qu = med("prosody", "join", "server_user_microseconds_per_operation")
            qk = med("prosody", "join", "server_system_microseconds_per_operation")
            row("… the server's user CPU per join, µs (`/proc/<pid>/stat` utime over the phase)", fmt(pu), fmt(qu),
                ratio(qu, pu), "Parley user ≤ its kernel", verdict(pu, lambda v: pk is not None and v <= pk))
            row("… the server's kernel CPU per join, µs (stime): the floor", fmt(pk), fmt(qk), ratio(qk, pk),
                "reported", "reported" if pk is not None else "not measured")

    def idle(server, name, key):
        return dig((r.run(server, name) or {}).get("server"), key)

    p, q = idle("parley", "idle-ws", "bytes_per_session"), idle("prosody", "idle-ws", "bytes_per_session")
    clients = (r.run("parley", "idle-ws") or {}).get("clients")
    row(f"Memory per idle joined WebSocket session, bytes ({fmt(clients)} sessions)", fmt(p), fmt(q), ratio(q, p),
        "Parley ≤ 8 KB", verdict(p, lambda v: v <= 8192))
    p, q = idle("parley", "idle-ws-many", "rss_joined_kib"), idle("prosody", "idle-ws-many", "rss_joined_kib")
    clients = (r.run("parley", "idle-ws-many") or r.run("prosody", "idle-ws-many") or {}).get("clients")
    row(f"RSS with {fmt(clients)} idle joined WebSocket sessions, MiB", fmt(p / 1024 if p else None, 1),
        fmt(q / 1024 if q else None, 1), ratio(q, p), "reported", "reported" if p else "not measured")
    sadd("")
    sadd("Where a target is missed, the profiles in the method file and the findings in the details say where the "
         "time goes. Point 6 of the issue (no other ratio regresses) is read from the details against the previous "
         "run's, in the History of the method file.")
    sadd("")
    for line in issue5:
        sadd(line)
    errors = collect_errors(r.work, servers)
    sadd("**Errors:** " + ("; ".join(errors) + "." if errors else "none in any run."))
    sadd("")


def write_issue15_details(add, r: "Results", servers: list[str]) -> None:
    """The tables behind issue 15's rows: each comparison round by round, with the ratio per round."""
    web_servers = [s for s in servers if r.runs(s, "websocket") or r.runs(s, "jitsi-ws")]
    if web_servers:
        n = max(len(r.runs(s, "websocket")) for s in web_servers)
        add(f"### The browsers' paths: WebSocket, BOSH, the Jitsi join over WebSocket (median of {n} interleaved rounds)")
        add("")
        add("Rooms of 10, 50 in flight; the Jitsi join is the conference IQ through the focus proxy (Prosody and "
            "ejabberd: to the focus's full JID), then the join with the fixtures' browser presence; the open loop "
            "starts 500 Jitsi joins per second whatever the server does (latency from the conference IQ).")
        add("")
        table = Table(web_servers)

        def m(prefix, key, phase_name=None):
            return lambda server: median(round_values(r, server, prefix, key, phase_name))
        add_lines(add, table.lines([
            ("WebSocket joins per server CPU-second", m("websocket", "operations_per_server_cpu_second"), True),
            ("WebSocket join p99 ms", m("websocket", "latency.p99"), False),
            ("BOSH joins per server CPU-second", m("bosh", "operations_per_server_cpu_second"), True),
            ("BOSH join p99 ms", m("bosh", "latency.p99"), False),
            ("Jitsi joins over WebSocket per server CPU-second", m("jitsi-ws", "operations_per_server_cpu_second"), True),
            ("Jitsi join over WebSocket p99 ms (closed loop)", m("jitsi-ws", "latency.p99"), False),
            ("open loop, 500/s offered: joins per second achieved", m("jitsi-ws-open", "rate"), True),
            ("open loop: join p50 ms", m("jitsi-ws-open", "latency.p50"), False),
            ("open loop: join p99 ms", m("jitsi-ws-open", "latency.p99"), False),
            ("open loop: session p99 ms (scheduled start → joined)", m("jitsi-ws-open", "session_latency.p99"), False),
        ]))
        add("")
        for prefix, key, label in (("websocket", "operations_per_server_cpu_second", "WebSocket joins"),
                                   ("bosh", "operations_per_server_cpu_second", "BOSH joins"),
                                   ("jitsi-ws", "operations_per_server_cpu_second", "Jitsi joins over WebSocket"),
                                   ("jitsi-ws-open", "latency.p99", "Open-loop Jitsi join p99 ms")):
            add(per_round_line(r, web_servers, prefix, key, None, label, higher_better=key != "latency.p99"))
            add("")

    conf_servers = [s for s in servers if r.runs(s, "conference")]
    if conf_servers:
        sample = phase(r.runs(conf_servers[0], "conference")[0], "fanout") or {}
        first = r.runs(conf_servers[0], "conference")[0]
        n = max(len(r.runs(s, "conference")) for s in conf_servers)
        add(f"### The big conference over WebSocket ({fmt(first.get('clients'))} participants in one room, "
            f"{first.get('updates') or '–'} updates each; median of {n} interleaved rounds)")
        add("")
        add("The participants join 10 at a time, then each sends its updates (the fixtures' browser presence: "
            "unmute, mute, camera off, screen share, a property change; each tagged with its number), each after "
            "the echo of its previous one. Expected deliveries = updates × participants × participants: the sender "
            "gets its own update back (XEP-0045 §7.7) and that echo counts. The phase runs from the first update "
            "to the last delivery; “last delivery” = update sent → the last of its room's receivers got it.")
        add("")
        table = Table(conf_servers)

        def m(key, phase_name="fanout"):
            return lambda server: median(round_values(r, server, "conference", key, phase_name))

        def total(key):
            return lambda server: sum(v or 0 for v in round_values(r, server, "conference", key, "fanout")) or None
        add_lines(add, table.lines([
            ("fill: joins per second (wall)", m("rate", None), True),
            ("fill: join p99 ms", m("latency.p99", None), False),
            ("updates: presences delivered per server CPU-second", m("deliveries_per_server_cpu_second"), True),
            ("updates: presences delivered per second (wall)", m("deliveries_per_second"), True),
            ("update → echo p99 ms", m("latency.p99"), False),
            ("update → last delivery p50 ms", m("last_delivery_latency.p50"), False),
            ("update → last delivery p99 ms", m("last_delivery_latency.p99"), False),
            ("update → last delivery max ms", m("last_delivery_latency.max"), False),
            ("presences delivered, all rounds", total("deliveries"), None),
            ("presences expected, all rounds", total("expected_deliveries"), None),
            ("updates that reached every receiver, all rounds", total("updates_complete"), None),
            ("updates sent, all rounds", total("updates_tracked"), None),
            ("generator's core busy during the updates (1.00 = saturated: the latencies include its queue)",
             lambda server: median(
                 [x["generator_cpu_seconds"] / x["seconds"] if x and x.get("seconds") else None
                  for x in (phase(run, "fanout") for run in r.runs(server, "conference"))]), None),
            ("generator µs per delivery (user+system)", lambda server: median(
                [(x.get("generator_cpu_seconds") or 0) * 1e6 / x["deliveries"] if x and x.get("deliveries") else None
                 for x in (phase(run, "fanout") for run in r.runs(server, "conference"))]), None),
        ]))
        add("")
        add(per_round_line(r, conf_servers, "conference", "deliveries_per_server_cpu_second", "fanout",
                           "Delivered presences per server CPU-second", True))
        add("")
        add(per_round_line(r, conf_servers, "conference", "last_delivery_latency.p99", "fanout",
                           "Update → last delivery p99 ms", False))
        add("")

    join_servers = [s for s in servers if r.runs(s, "join")]
    if join_servers and any(round_values(r, s, "join", "server_user_microseconds_per_operation")[:1] != [None]
                            for s in join_servers):
        add("### Plain TCP join storm: the server's user and kernel CPU per join")
        add("")
        add("From `/proc/<pid>/stat` (utime, stime; 10 ms ticks) at the join phase's edges, per login + join in the "
            "interleaved rounds above. The kernel's part is the floor: on loopback it also carries part of the "
            "generator's TCP work, and no server goes under it on this machine.")
        add("")
        table = Table(join_servers)

        def m(key):
            return lambda server: median(round_values(r, server, "join", key))
        add_lines(add, table.lines([
            ("user µs per join", m("server_user_microseconds_per_operation"), False),
            ("kernel (system) µs per join", m("server_system_microseconds_per_operation"), False),
            ("user ÷ kernel", lambda server: (lambda u, k: f"{u / k:.2f}" if u and k else "–")(
                m("server_user_microseconds_per_operation")(server),
                m("server_system_microseconds_per_operation")(server)), None),
        ]))
        add("")
        parts = []
        for server in join_servers:
            users = round_values(r, server, "join", "server_user_microseconds_per_operation")
            kernels = round_values(r, server, "join", "server_system_microseconds_per_operation")
            parts.append(f"{NAMES[server]} " + ", ".join(f"{fmt(u)} + {fmt(k)}" for u, k in zip(users, kernels)))
        add("User + kernel µs per join, round by round: " + "; ".join(parts) + ".")
        add("")

    many = [s for s in servers if r.run(s, "idle-ws-many")]
    if many:
        first = r.run(many[0], "idle-ws-many")
        add(f"### {fmt(first.get('clients'))} idle joined WebSocket sessions (rooms of 10, each server fresh)")
        add("")
        table = Table(many)

        def srv(key, scale=1.0):
            return lambda server: (lambda x: x[key] * scale if x and x.get(key) is not None else None)(
                (r.run(server, "idle-ws-many") or {}).get("server"))
        add_lines(add, table.lines([
            ("sessions held", lambda server: (r.run(server, "idle-ws-many") or {}).get("completed"), None),
            ("RSS before the first connection, MiB", srv("rss_before_kib", 1 / 1024), False),
            ("RSS with every session joined, MiB", srv("rss_joined_kib", 1 / 1024), False),
            ("bytes per session", srv("bytes_per_session"), False),
        ]))
        add("")


def add_lines(add, lines: list[str]) -> None:
    for line in lines:
        add(line)


def per_round_line(r: "Results", servers: list[str], prefix: str, key: str, phase_name, label: str,
                   higher_better: bool) -> str:
    parts = []
    values = {s: round_values(r, s, prefix, key, phase_name) for s in servers}
    for s in servers:
        if values[s]:
            parts.append(f"{NAMES[s]} " + ", ".join(ms(v) if key.endswith(("p99", "p50", "max")) else fmt(v)
                                                    for v in values[s]))
    line = f"{label}, round by round: " + "; ".join(parts) + "."
    parley = values.get("parley") or []
    for s in servers:
        if s == "parley" or not values[s] or len(values[s]) != len(parley):
            continue
        ratios = []
        for a, b in zip(parley, values[s]):
            if a and b:
                ratios.append(a / b if higher_better else b / a)
        if ratios:
            line += f" Parley ÷ {NAMES[s]} per round: " + ", ".join(f"{x:.2f}×" for x in ratios) + "."
    return line


def write_report(work: Path, out: Path, method_out: Path | None = None) -> None:
    """Writes the summary (`out`, Docs/benchmarks.md: every target against Prosody, met or missed), beside it every
    table round by round with the hand-written findings (benchmark-details.md), and how it was all measured
    (`method_out`, Docs/benchmark-method.md): method, configurations, calibration, steal, profiles, history and
    commands."""
    method_out = method_out or out.with_name(METHOD_NAME)
    details_out = out.with_name(DETAILS_NAME)
    # The findings lived in benchmarks.md before the details had their own file.
    previous_findings = (kept_section(details_out, FINDINGS_START, FINDINGS_END)
                         or kept_section(out, FINDINGS_START, FINDINGS_END))
    previous_history = kept_section(method_out, HISTORY_START, HISTORY_END)
    r = Results(work)
    meta = json.loads((work / "meta.json").read_text())
    commands = (work / "commands.txt").read_text().splitlines() if (work / "commands.txt").exists() else []
    servers = [s for s in SERVERS if (work / "results" / s).exists()]
    table = Table(servers)
    results: list[str] = []
    method: list[str] = []
    summary: list[str] = []
    add = results.append
    madd = method.append
    sadd = summary.append
    run_name = (f"`Scripts/bench{' --quick' if meta.get('quick') else ''}` on {meta['date']} against Parley "
                f"{meta.get('parley', '?')}")
    groups = meta.get("groups") or []

    def g(name, key, phase_name=None):
        return lambda server: dig(phase(r.run(server, name), phase_name), key)

    def median_of(prefix, key, phase_name=None):
        return lambda server: median([dig(phase(run, phase_name), key) for run in r.runs(server, prefix)])

    median_join = lambda server, key: median_of("join", key)(server)

    calib = calibration(work)
    rounds = {server: [per_cpu(run) for run in r.runs(server, "join")] for server in servers}
    parley_join = median(rounds.get("parley", []))
    join_server_us = 1e6 / parley_join if parley_join else None
    tls_ceiling = None
    floor = calib.get("tls_floor")
    if floor and join_server_us:
        tls_ceiling = 1e6 / (floor["server_us_per_handshake"] + join_server_us)
    startup = json.loads((work / "startup.json").read_text()) if (work / "startup.json").exists() else {}
    decay = json.loads((work / "decay.json").read_text()) if (work / "decay.json").exists() else {}
    counted = instruction_storms(work)

    def idle_bytes(name):
        return lambda server: ((r.run(server, name) or {}).get("server") or {}).get("bytes_per_session")

    # ---- Details: header
    add("# Benchmarks: every table, round by round")
    add("")
    add(f"The figures behind the summary in [benchmarks.md](benchmarks.md). Written by {run_name} (run took {meta.get('elapsed_s', 0) / 60:.1f} min); Prosody {meta.get('prosody', '?')}, "
        f"ejabberd {meta.get('ejabberd', '?')}, on {meta.get('cpu', '?')}, {meta.get('cores', '?')}. "
        "Every figure comes from `parley load` (Docs/Load.md) against a server on loopback, the server pinned to one "
        "core and the generator to the other. **Per server CPU-second** = operations ÷ the server process's CPU time "
        "(user + system, all threads) over the phase. Ratio columns: Parley ÷ other for rates, other ÷ Parley for "
        "latencies (above 1× means Parley is better). This VM's speed moves by ±20% from minute to minute: compare "
        f"ratios measured in the same run. How each figure is measured, the server configurations, the machine "
        f"calibration, the VM steal of every run, Parley's profiles and every command are in "
        f"[{METHOD_NAME}]({METHOD_NAME}).")
    add("")

    # ---- Targets
    targets = []

    def target(name, value_text, met):
        targets.append((name, value_text, "met" if met else ("missed" if met is not None else "not measured")))

    join_cpu = median_join("parley", "operations_per_server_cpu_second")
    prosody_cpu = median_join("prosody", "operations_per_server_cpu_second")
    ejabberd_cpu = median_join("ejabberd", "operations_per_server_cpu_second")
    target("login + join, rooms of 10, plain TCP ≥ 5,000 joins per server CPU-second", fmt(join_cpu),
           join_cpu >= 5000 if join_cpu else None)
    target("… ≥ 4× Prosody per CPU-second", ratio(join_cpu, prosody_cpu),
           (join_cpu / prosody_cpu >= 4) if join_cpu and prosody_cpu else None)
    target("… ≥ 4× ejabberd per CPU-second", ratio(join_cpu, ejabberd_cpu),
           (join_cpu / ejabberd_cpu >= 4) if join_cpu and ejabberd_cpu else None)
    tls = per_cpu(r.run("parley", "starttls"))
    target("STARTTLS ≥ 2,000 joins per server CPU-second",
           fmt(tls) + (f" (this machine's ceiling with its OpenSSL: {fmt(tls_ceiling)})" if tls and tls_ceiling else ""),
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
    unpinned_runs = r.runs("parley", "unpinned")
    unpinned = sorted(unpinned_runs, key=lambda run: (phase(run) or {}).get("rate") or 0)[len(unpinned_runs) // 2] \
        if unpinned_runs else None
    pinned_rate = median_join("parley", "rate")
    if unpinned and pinned_rate:
        up = phase(unpinned)["rate"]
        target("unpinned join rate ≥ 1.6× pinned", ratio(up, pinned_rate), up / pinned_rate >= 1.6)
    else:
        target("unpinned join rate ≥ 1.6× pinned", "–", None)
    gen = median_join("parley", "generator_microseconds_per_operation")
    client_floor = (calib.get("client_floor") or {}).get("us_per_login_join")
    target("generator ≤ 50 µs of its own CPU per plain-TCP login+join", f"{fmt(gen)} µs "
           f"(user {fmt(median_join('parley', 'generator_user_microseconds_per_operation'))} µs)"
           + (f"; the simplest C client spends {fmt(client_floor)} µs here" if client_floor else "")
           if gen else "–",
           gen <= 50 if gen else None)
    issue5 = ["## Earlier targets (issue 5, point 5; absolute, set on another machine)", "",
              "| target | measured | |", "|---|---|---|"]
    for name, value, verdict in targets:
        issue5.append(f"| {name} | {value} | **{verdict}** |")
    issue5.append("")

    # ---- Summary: issue 15's targets, each a ratio to Prosody in this run
    write_summary(sadd, r, servers, meta, run_name, issue5)

    # ---- Results: tables
    add("## Results")
    add("")
    n_rounds = max((len(v) for v in rounds.values()), default=0)
    add(f"### Login and join storms (plain TCP, closed loop, 100 in flight; joins: rooms of 10; median of {n_rounds} "
        "interleaved rounds)")
    add("")
    results.extend(table.lines([
        ("logins per server CPU-second", median_of("login", "operations_per_server_cpu_second"), True),
        ("logins per second (wall)", median_of("login", "rate"), True),
        ("login p99 ms", median_of("login", "latency.p99"), False),
        ("joins per server CPU-second", lambda s: median_join(s, "operations_per_server_cpu_second"), True),
        ("joins per second (wall)", lambda s: median_join(s, "rate"), True),
        ("join p50 ms", lambda s: median_join(s, "latency.p50"), False),
        ("join p99 ms", lambda s: median_join(s, "latency.p99"), False),
        ("presences delivered per server CPU-second", lambda s: median_join(s, "deliveries_per_server_cpu_second"), True),
        ("generator µs per login+join (user+system)", lambda s: median_join(s, "generator_microseconds_per_operation"),
         None),
    ]))
    add("")
    if any(rounds.values()):
        parts = [f"{NAMES[server]} {', '.join(fmt(x) for x in values)}" for server, values in rounds.items() if values]
        line = "Joins per server CPU-second, round by round: " + "; ".join(parts) + "."
        for server in servers:
            if server != "parley" and rounds.get(server) and len(rounds[server]) == len(rounds.get("parley", [])):
                line += f" Parley ÷ {NAMES[server]} per round: " + ", ".join(
                    f"{a / b:.2f}×" if a and b else "–" for a, b in zip(rounds["parley"], rounds[server])) + "."
        add(line)
        add("")
    if any(r.runs(s, "login") for s in servers):
        add(per_round_line(r, servers, "login", "operations_per_server_cpu_second", None,
                           "Logins per server CPU-second", True))
        add("")

    jitsi_tcp_rounds = max((len(r.runs(s, "jitsi-tcp")) for s in servers), default=0)
    add(f"### STARTTLS (first round) and the Jitsi join over TCP (rooms of 10; median of {jitsi_tcp_rounds} rounds "
        "of the web group)")
    add("")
    results.extend(table.lines([
        ("STARTTLS joins per server CPU-second", g("starttls", "operations_per_server_cpu_second"), True),
        ("STARTTLS join p99 ms", g("starttls", "latency.p99"), False),
        ("Jitsi joins over TCP (conference IQ + join) per server CPU-second",
         median_of("jitsi-tcp", "operations_per_server_cpu_second"), True),
        ("Jitsi join over TCP p99 ms", median_of("jitsi-tcp", "latency.p99"), False),
    ]))
    add("")
    if jitsi_tcp_rounds:
        add(per_round_line(r, servers, "jitsi-tcp", "operations_per_server_cpu_second", None,
                           "Jitsi joins over TCP per server CPU-second", True))
        add("")
    write_issue15_details(add, r, servers)
    open_clients = next((run.get("clients") for run in (r.run(s, "open1000") for s in servers) if run), None)
    add(f"### Open loop: 1,000 joins per second offered ({fmt(open_clients) if open_clients else '–'} clients, rooms "
        "of 10)")
    add("")
    results.extend(table.lines([
        ("joins per second achieved", g("open1000", "rate"), True),
        ("join p50 ms", g("open1000", "latency.p50"), False),
        ("join p99 ms", g("open1000", "latency.p99"), False),
        ("join max ms", g("open1000", "latency.max"), False),
        ("session p99 ms (scheduled start → joined)", g("open1000", "session_latency.p99"), False),
    ]))
    add("")
    fan_updates = next((run.get("updates") for run in (r.run(s, "fanout") for s in servers) if run), None)
    add(f"### Big room and presence fan-out (one room filled to 500; 2 rooms of 50, {fan_updates or '–'} updates each)")
    add("")
    results.extend(table.lines([
        ("fill: joins per second (wall)", g("fill500", "rate"), True),
        ("fill: join p99 ms", g("fill500", "latency.p99"), False),
        ("fan-out: delivered presences per server CPU-second", g("fanout", "deliveries_per_server_cpu_second", "fanout"),
         True),
        ("fan-out: update → echo p99 ms", g("fanout", "latency.p99", "fanout"), False),
        ("fan-out, Jitsi-sized presences: delivered per server CPU-second",
         g("fanout-jitsi", "deliveries_per_server_cpu_second", "fanout"), True),
        ("fan-out, Jitsi-sized presences: update → echo p99 ms", g("fanout-jitsi", "latency.p99", "fanout"), False),
    ]))
    add("")

    # ---- XEP-0198
    sm_servers = [s for s in servers if r.runs(s, "sm-join-off") or r.runs(s, "sm-join-on")]
    if sm_servers:
        sm_rounds = max(len(r.runs(s, "sm-join-on")) for s in sm_servers)
        add(f"### XEP-0198 off and on (join storm and fan-out as above; median of {sm_rounds} interleaved rounds)")
        add("")
        add("With `--stream-management` every client enables stream management with resumption after bind and "
            "answers each `<r/>` (the servers ask every 5 stanzas), as Jitsi's web client does.")
        add("")
        sm_table = Table(sm_servers)
        join_key, fan_key = "operations_per_server_cpu_second", "deliveries_per_server_cpu_second"

        def on_off(prefix, key, phase_name=None):
            def get(server):
                off = median_of(f"{prefix}-off", key, phase_name)(server)
                on = median_of(f"{prefix}-on", key, phase_name)(server)
                return f"{on / off:.2f}×" if on and off else "–"
            return get
        results.extend(sm_table.lines([
            ("joins per server CPU-second, XEP-0198 off", median_of("sm-join-off", join_key), True),
            ("joins per server CPU-second, XEP-0198 on", median_of("sm-join-on", join_key), True),
            ("join: on ÷ off", on_off("sm-join", join_key), None),
            ("fan-out deliveries per server CPU-second, off", median_of("sm-fanout-off", fan_key, "fanout"), True),
            ("fan-out deliveries per server CPU-second, on", median_of("sm-fanout-on", fan_key, "fanout"), True),
            ("fan-out: on ÷ off", on_off("sm-fanout", fan_key, "fanout"), None),
            ("fan-out update → echo p99 ms, on", median_of("sm-fanout-on", "latency.p99", "fanout"), False),
        ]))
        add("")
        parts = []
        for s in sm_servers:
            for prefix, key, phase_name in (("sm-join", join_key, None), ("sm-fanout", fan_key, "fanout")):
                for setting in ("off", "on"):
                    values = [dig(phase(run, phase_name), key) for run in r.runs(s, f"{prefix}-{setting}")]
                    parts.append(f"{NAMES[s]} {prefix[3:]} {setting} {', '.join(fmt(v) for v in values)}")
        acks = [run.get("stream_management_acks") or 0 for s in sm_servers for run in r.runs(s, "sm-fanout-on")]
        add("Round by round: " + "; ".join(parts) + "."
            + (f" Acks sent per fan-out run with XEP-0198 on: {', '.join(fmt(a) for a in acks)}." if acks else ""))
        add("")

    # ---- Memory, start
    add("### Memory and start-up")
    add("")
    results.extend(table.lines([
        ("bytes per idle joined WebSocket session", idle_bytes("idle-ws"), False),
        ("bytes per idle joined TCP session", idle_bytes("idle-tcp"), False),
        ("RSS with the WebSocket sessions joined, MiB",
         lambda s: (lambda x: x["server"]["rss_joined_kib"] / 1024 if x and x.get("server") else None)(r.run(s, "idle-ws")),
         False),
        ("process start → accepting connections, ms (median)", lambda s: median(startup.get(s, [])), False),
    ]))
    add("")

    # ---- Decay
    storm_clients = next((run.get("clients") for run in (r.run(s, "decay-1") for s in servers) if run), None)
    add(f"### No decay: six join storms of {fmt(storm_clients) if storm_clients else '–'} clients against one process")
    add("")
    add("| server | idle RSS MiB | joins/s per storm | worst ÷ first | joins per server CPU-s | worst ÷ first | RSS after each storm, MiB | final RSS ÷ idle |")
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
    if counted:
        add(f"Parley's storms under callgrind (a tenth the size): instructions per join {', '.join(f'{x:,.0f}' for x in counted)}; "
            f"**last ÷ first {counted[-1] / counted[0]:.3f}**, highest ÷ first {max(counted) / counted[0]:.3f}.")
        add("")

    # ---- Unpinned
    if unpinned:
        p = phase(unpinned)
        rates_text = ", ".join(fmt((phase(run) or {}).get("rate")) for run in unpinned_runs)
        gen_util = p["generator_cpu_seconds"] / p["seconds"] if p.get("seconds") else 0
        srv_util = (p.get("server_cpu_seconds") or 0) / p["seconds"] if p.get("seconds") else 0
        add(f"**Parley unpinned** (`event_loops: 0`, neither process pinned), {len(unpinned_runs)} join storms "
            f"({rates_text} joins/s): median {fmt(p['rate'])} against {fmt(pinned_rate)} pinned, "
            f"**{ratio(p['rate'], pinned_rate)}**; in the median run the generator used {gen_util:.2f} cores and "
            f"Parley {srv_util:.2f}.")
        pinned_server_us = 1e6 / join_cpu if join_cpu else None
        if pinned_server_us and gen and pinned_rate:
            ceiling = 2e6 / (pinned_server_us + gen)
            add(f"Two cores shared by both allow at most {ceiling:,.0f} joins/s at the pinned costs ({pinned_server_us:,.0f} µs "
                f"server + {gen:,.0f} µs generator per join), {ceiling / pinned_rate:.2f}× the pinned rate.")
        add("")

    # ---- Engines
    engine_runs = {e: {kind: r.runs("parley", f"engine-{kind}-{e}") for kind in ("join", "fanout")} for e in ("raw", "nio")}
    if any(engine_runs[e]["join"] for e in engine_runs):
        def per_delivery(run):
            p = phase(run, "fanout")
            return p["generator_cpu_seconds"] * 1e6 / p["deliveries"] if p and p.get("deliveries") else None

        def engine_value(e, kind, key=None, fn=None):
            values = [fn(run) if fn else dig(phase(run, "fanout" if kind == "fanout" else None), key)
                      for run in engine_runs[e][kind]]
            return median(values), values

        rows = [
            ("generator µs per login+join (user+system)", "join", "generator_microseconds_per_operation", None),
            ("… user µs", "join", "generator_user_microseconds_per_operation", None),
            ("… system µs", "join", "generator_system_microseconds_per_operation", None),
            ("joins per second (wall)", "join", "rate", None),
            ("generator µs per fan-out delivery (user+system)", "fanout", None, per_delivery),
            ("fan-out deliveries per second (wall)", "fanout", "deliveries_per_second", None),
        ]
        pairs = len(engine_runs["raw"]["join"])
        add(f"### The generator's engines: `--engine raw` (its own epoll loop) and `nio` (SwiftNIO)")
        add("")
        engine_clients = next((run.get("clients") for e in ("raw", "nio") for run in engine_runs[e]["join"]), None)
        add(f"Against one pinned Parley, {pairs} alternated pairs of join storms ({fmt(engine_clients)} clients, rooms of "
            "10, 100 in flight) and of fan-outs as above; medians, and each run. The generator's CPU (`getrusage`, "
            "user + system) includes the kernel's loopback work for what it sends.")
        add("")
        add("| figure | raw | nio | nio ÷ raw | raw, each run | nio, each run |")
        add("|---|---|---|---|---|---|")
        for label, kind, key, fn in rows:
            raw, raw_all = engine_value("raw", kind, key, fn)
            nio, nio_all = engine_value("nio", kind, key, fn)
            digits = 1 if raw is not None and raw < 100 else 0
            add(f"| {label} | {fmt(raw, digits)} | {fmt(nio, digits)} | {ratio(nio, raw)} | "
                f"{', '.join(fmt(v, digits) for v in raw_all)} | {', '.join(fmt(v, digits) for v in nio_all)} |")
        add("")

    # ---- Errors
    errors = collect_errors(work, servers)
    add("**Errors:** " + ("; ".join(errors) + "." if errors else "none in any run."))
    add("")

    notes = work / "notes.md"
    if notes.exists():
        add(notes.read_text().rstrip())
        add("")
    if previous_findings:
        add(FINDINGS_START)
        add(previous_findings)
        add(FINDINGS_END)
        add("")

    # ---- Method file
    madd("# Benchmarks: method, configurations, calibration, profiles")
    madd("")
    madd(f"How the figures in [benchmarks.md](benchmarks.md) and [{DETAILS_NAME}]({DETAILS_NAME}) were measured, written by the same run: {run_name} "
         f"(groups: {' '.join(groups) if groups else 'all'}).")
    madd("")
    madd("## Running it")
    madd("")
    madd("```sh")
    madd("Scripts/bench                          # the full run (about 31 min on 2 cores): writes the three files")
    madd("Scripts/bench --quick                  # smaller runs, to check the script; report in a temporary folder")
    madd("BENCH_SCENARIOS=\"sm engines\" Scripts/bench   # only these groups; report in the work folder")
    madd("BENCH_SERVERS=\"parley prosody\" BENCH_SCRATCH=.build-bench BENCH_KEEP=1 Scripts/bench")
    madd("```")
    madd("")
    madd("Groups, in the order they run: `interleaved` (login and join rounds, STARTTLS in the first, the C client "
         "floor), `sm` (XEP-0198 "
         "off and on; `BENCH_SM_SERVERS`, `BENCH_SM_REPEATS`), `engines` (`--engine raw` and `nio`; "
         "`BENCH_ENGINE_REPEATS`), `web` (WebSocket, BOSH, the Jitsi join over WebSocket closed loop, over TCP closed loop, "
         "over WebSocket open loop; "
         "`BENCH_WEB_SERVERS`, `BENCH_WEB_REPEATS`), `conference` (500 in one room, 5 updates each; "
         "`BENCH_CONF_SERVERS`, `BENCH_CONF_REPEATS`), `scenarios`, `idle` (with 10,000 WebSocket sessions for "
         "`BENCH_MEM_SERVERS`), `decay`, `starts`, `unpinned`, `profiles`. The script's header says what each costs. "
         f"Only a run of every group writes Docs/; the Findings section of {DETAILS_NAME} and the History section here "
         "are hand-written and kept across runs.")
    madd("")
    madd("## Method")
    madd("")
    madd("- **Pinning.** Each server runs on core 1 (`taskset -c 1`), the generator on core 0, so a per-CPU-second "
         "figure is the server's own. Parley runs `event_loops: 1` pinned.")
    madd("- **Per server CPU-second** = operations ÷ the server process's CPU time (user + system, all threads, "
         "`/proc/<pid>/stat`) between the phase's edges. The kernel's loopback TCP work is charged to whichever "
         "process sends, so each side also pays part of the other's network stack.")
    madd("- **Interleaving.** Login, join and STARTTLS run round by round, each server in turn on a fresh process; "
         "so do the WebSocket, BOSH and Jitsi-over-WebSocket runs (`web`) and the big conference; the XEP-0198 runs "
         "the same way, off and on alternating which goes first; the engines alternate against one Parley. Those "
         "figures are medians over the rounds, and the summary's ratio is Parley's median ÷ Prosody's.")
    madd("- **User and kernel CPU.** Besides the total (the process's CPU clock), the generator reads the server's "
         "utime and stime from `/proc/<pid>/stat` at the phase's edges (10 ms ticks): the server's own code and the "
         "kernel's work for it, per operation.")
    madd("- **Noise.** The VM's host moves its speed by ±20% within minutes; every run records the steal time (the "
         "share of both cores the host gave to other guests) and the machine's busy cores (any process: a busy "
         "figure well above server + generator means something else ran on the machine). Compare ratios from the "
         "same run; absolute rates only across runs at low steal.")
    madd("- **Ratios**: Parley ÷ other for rates, other ÷ Parley for latencies; above 1× means Parley is better.")
    madd("")
    madd("## Scenarios")
    madd("")
    madd("- **Login storm:** connect, SASL ANONYMOUS, bind, leave; closed loop, 100 in flight; one run per round of "
         "the join storm, on the same fresh process before it.")
    madd("- **Join storm:** login + join into rooms of 10, closed loop, 100 in flight; every client stays until the "
         "last has joined. Join latency = join presence sent → own self-presence. Presences delivered are counted "
         "until all rooms × size² arrived.")
    madd("- **STARTTLS:** the join storm over TLS 1.3 (self-signed ECDSA P-256 certificates), 50 in flight.")
    madd("- **Open loop:** clients start at 1,000/s whatever the server does; a slower server shows as growing "
         "latency. Session latency = scheduled start → joined, queueing included.")
    madd("- **Big room:** one room filled to 500, 10 in flight; each join makes the server send ~2N presences.")
    madd("- **Fan-out:** 2 rooms of 50; once full, every occupant sends its updates, each after the echo of the "
         "previous one; every presence delivered is counted (2 × 50 × 50 × updates expected). The Jitsi-sized "
         "variant (`--presence jitsi-large`, ~1.5 KB, a busy deployment's presence) meets the c2s rate limits of Prosody (10 kb/s) and ejabberd "
         "(10 KiB/s).")
    madd("- **XEP-0198:** the join storm and the fan-out with `--stream-management`: `<enable resume='true'/>` "
         "right after bind without waiting for `<enabled/>` (as lib-jitsi-meet), every stanza received after "
         "`<enabled/>` counted, every `<r/>` answered with `<a h=…/>`.")
    madd("- **Jitsi join:** the conference IQ to the focus, then the join, with the fixtures' browser presence "
         "(`--presence jitsi`: `participant-join-presence.xml` byte for byte, ~0.7 KB); the generator emulates "
         "Jicofo. Latency = conference IQ sent → own self-presence. Over TCP in `scenarios`; over WebSocket in `web`, "
         "closed loop (50 in flight) and open loop (500 starts per second; the p99 includes any queueing in the "
         "server).")
    madd("- **WebSocket, BOSH:** the join storm over RFC 7395 and XEP-0206, 50 in flight, interleaved rounds.")
    madd("- **Big conference:** 500 participants join one room over WebSocket (10 in flight), then each sends 5 "
         "updates of the browser presence (unmute, mute, camera off, screen share, a `jitsi_participant_*` "
         "property), each after the echo of its previous one. Every update carries a number "
         "(`<load-tag xmlns='urn:parley:load'>`, relayed unchanged); each receiver records it, so every delivery is "
         "counted per update (expected: 5 × 500 × 500, the sender's own echo included) and each update is timed "
         "from its sending to its last delivery. Delivered presences per server CPU-second over the update phase "
         "(first update → last delivery). `--stall 90`: the phase waits until no presence has arrived for 90 s; "
         "with hundreds of updates arriving together Prosody was seen sending nothing for tens of seconds while "
         "busy, and the default 2 s ended the count early.")
    madd("- **Memory:** clients join rooms of 10 and stay idle for the hold, each run on a fresh server; (RSS at the "
         "end of the hold − RSS before the first connection) ÷ sessions. User-space memory only; the kernel adds "
         "~5 KB per socket. The 10,000-session run (Parley and Prosody) reports the RSS with all of them joined; "
         "one loopback source address is enough (~28,000 ephemeral ports, a fresh server port per process) and "
         "every process gets the machine's hard open-file limit.")
    madd("- **Start-up:** process start → first successful TCP connect to its c2s port, median over every start in "
         "the run (Parley: the moment its `--ephemeral` JSON line names the port, printed once it accepts).")
    madd("- **No decay:** identical join storms against one freshly started process, all clients leaving after each; "
         "RSS read 2 s after they left. Then the same storms, a tenth the size (20 in flight), against one Parley "
         "under callgrind, which counts the instructions it executes (user space, all threads): a count does not "
         "move with the VM's neighbours.")
    madd("- **Unpinned:** the join storm with neither process pinned and `event_loops: 0` (one loop per core).")
    madd("- **Engines:** the join storm and the fan-out with `--engine raw` and `--engine nio` against one pinned "
         "Parley; the generator's CPU per login+join and per delivered presence (`getrusage`).")
    madd("")
    madd("## Machine and versions")
    madd("")
    for key in ["cpu", "cores", "memory", "kernel", "os", "swift", "parley", "prosody", "lua", "ejabberd", "erlang", "openssl"]:
        if key in meta:
            madd(f"- **{key}**: {meta[key]}")
    madd("")
    if calib:
        madd("## Machine calibration")
        madd("")
        madd(f"The issue's targets were set from figures measured on another machine, the {REFERENCE_BOX} of the "
             "performance anchors. The same measurements here, pinned to the server's core, say how this machine's "
             "core compares; no XMPP server is involved in the first two.")
        madd("")
        madd(f"| figure | this machine | {REFERENCE_BOX} | that ÷ this |")
        madd("|---|---|---|---|")
        for key, label in [("ecdsa_p256_signs", "`openssl speed ecdsap256`: signs per CPU-second"),
                           ("x25519", "`openssl speed ecdhx25519`: key agreements per CPU-second")]:
            if calib.get(key):
                madd(f"| {label} | {fmt(calib[key])} | {fmt(REFERENCE[key])} | {REFERENCE[key] / calib[key]:.2f}× |")
        prosody_login = median([per_cpu(run) for run in r.runs("prosody", "login")])
        if prosody_login:
            low, high = REFERENCE["prosody_logins"]
            madd(f"| Prosody, anonymous logins per server CPU-second (this run's login storm) | {fmt(prosody_login)} | "
                 f"{fmt(low)}–{fmt(high)} | {low / prosody_login:.2f}–{high / prosody_login:.2f}× |")
        madd("")
        if floor:
            madd(f"**The floor under a TLS connection.** `Scripts/lib/tls-floor.c` runs {fmt(floor['handshakes'])} full "
                 f"{floor['version']} handshakes ({floor['cipher']}, ECDSA P-256 certificate, X25519) between a server "
                 "and a client in one process, over memory BIOs, with Parley's server settings, and times only the "
                 f"server's calls into {floor['openssl']}: **{floor['server_us_per_handshake']:,.0f} µs per handshake** "
                 f"(SSL_new to SSL_free) and {floor['server_us_per_record']:.1f} µs per small record.")
            if tls_ceiling:
                madd(f"Added to a plain login+join ({join_server_us:,.0f} µs of server CPU in this run's join storms), "
                     f"a STARTTLS login+join cannot go past **{tls_ceiling:,.0f} per server CPU-second** here, before "
                     "the STARTTLS round trip, the stream restart and the handshake's own segments.")
            madd("")
        client = calib.get("client_floor")
        if client:
            madd(f"**The floor under a generator.** `Scripts/lib/client-floor.c` logs in and joins {fmt(client['clients'])} "
                 "clients against the pinned Parley, one at a time, from the generator's core: blocking sockets, no XML "
                 "parser, fixed markers, the same stanzas as `parley load join`. It spends "
                 f"**{client['us_per_login_join']:,.0f} µs of CPU per login+join**, {client['user_us_per_login_join']:,.0f} µs "
                 "of it in user space: the rest is the kernel's work for the connection and its loopback segments.")
            madd("")
    steal, busy, order = {}, {}, {}
    for server in servers:
        for path in sorted((work / "results" / server).glob("*.steal"), key=lambda path: path.stat().st_mtime):
            fields = path.read_text().split()
            try:
                steal.setdefault(path.stem, {})[server] = float(fields[0])
                if len(fields) > 1:
                    busy.setdefault(path.stem, {})[server] = float(fields[1])
            except (ValueError, IndexError):
                continue
            order.setdefault(path.stem, len(order))
    if steal:
        madd("## VM steal time and machine load")
        madd("")
        madd("Per run and server: the share of both cores' time the host gave to other guests (`/proc/stat` steal; "
             "above 5% in bold), and the cores busy on this machine during the run (any process; the server and "
             "the generator together use at most 2).")
        madd("")
        madd("| run | " + " | ".join(NAMES[s] for s in servers) + " |")
        madd("|---|" + "---|" * len(servers))
        for name in sorted(steal, key=lambda n: order[n]):
            cells = []
            for server in servers:
                value = steal[name].get(server)
                if value is None:
                    cells.append("–")
                    continue
                text = f"**{value * 100:.1f}%**" if value > 0.05 else f"{value * 100:.1f}%"
                cores = busy.get(name, {}).get(server)
                cells.append(text + (f", {cores:.2f} busy" if cores is not None else ""))
            madd(f"| {name} | " + " | ".join(cells) + " |")
        madd("")
    madd("## Server configurations")
    madd("")
    madd("- **Parley**: release build, `parley serve --ephemeral` with a YAML file: hosts `meet.jitsi` (anonymous) and "
         "`auth.meet.jitsi` (accounts), `c2s.allow_plaintext_loopback: true`, MUC `muc.meet.jitsi` with "
         "`restrict_room_creation: false` and `focus_lock: false`, the focus proxy `focus.meet.jitsi` → "
         "`focus@auth.meet.jitsi` (preset), `event_loops: 1` when pinned (one core), 0 (one per core) unpinned, "
         "`log_level: warning`. XEP-0198 is always offered; it asks for an ack every 5 stanzas.")
    madd("- **Prosody** (Debian's package) configured as docker-jitsi-meet's `prosody.cfg.lua` and `jitsi-meet.cfg.lua`: "
         "incremental Lua GC `gc = { mode = \"incremental\"; threshold = 400; speed = 250; step_size = 13 }`, "
         "`network_backend = \"epoll\"`, `tcp_backlog = 511`, `limits = { c2s = { rate = \"10kb/s\" } }` with "
         "`unlimited_jids = { focus }` (docker's `limits_exception`), `c2s_stanza_size_limit = 512 KiB` (Jitsi's infra "
         "value), modules roster, saslauth, tls, disco, limits, ping, bosh, websocket, and `smacks` on `meet.jitsi` "
         "with `smacks_max_unacked_stanzas = 5`, `smacks_hibernation_time = 60`, `smacks_max_old_sessions = 1`; "
         "`offline`, `register`, `s2s` disabled; anonymous `meet.jitsi`, `internal_hashed` `auth.meet.jitsi`; MUC "
         "`muc.meet.jitsi` with `storage = \"memory\"`, `muc_room_locking = false`, `muc_room_default_public_jids = "
         "true`, `muc_tombstones = false`, `muc_room_cache_size = 10000`, and `restrict_room_creation = false` "
         "(docker sets true with the focus as admin; these scenarios let participants create rooms), "
         "`c2s_require_encryption = false` and `allow_unencrypted_plain_auth = true` for plain-TCP runs, `log` at warn.")
    madd("- **ejabberd** (Debian's package) with the equivalent: anonymous `meet.jitsi` (`sasl_anon`), internal "
         "`auth.meet.jitsi`, `mod_muc` on `muc.meet.jitsi` (anyone creates, `history_size: 0`, `max_users` 100,000, "
         "non-anonymous rooms, no MAM), `mod_bosh`, `ejabberd_http_ws`, STARTTLS offered, c2s shaper 10 KiB/s with "
         "burst 20 KiB (the same limit as docker's Prosody; the focus is exempt), `backlog: 511`, `loglevel: warning`, "
         "and BEAM started with `+sbwt none +sbwtdcpu none +sbwtdio none` so that its CPU time is work, not scheduler "
         "busy-waiting. No `mod_stream_mgmt`: ejabberd is not in the XEP-0198 comparison.")
    madd("- Every server process gets the generator's open-file limit (65,536): Debian's `runuser` would reset it to "
         "1,024 through PAM.")
    madd("- The emulated focus (`--focus-jid`) answers conference IQs; Parley routes them through its "
         "`focus.meet.jitsi` proxy, Prosody and ejabberd (without Jitsi's `client_proxy` module) get them addressed to "
         "`focus@auth.meet.jitsi/focus` directly.")
    madd("")

    profiles = sorted((work / "profiles").glob("*.txt")) if (work / "profiles").exists() else []
    if profiles:
        madd("## Parley profiles (server side)")
        madd("")
        madd("`perf record -F 499 --call-graph dwarf -p <parley pid>` during the run named (a separate run, pinned as "
             "above, after the measured ones). For each: time by shared object, the 25 hottest symbols by self time "
             "(`perf report --no-children --sort dso,symbol`), and Parley's own functions by inclusive time "
             "(`--children --dsos parley`, event-loop frames left out), demangled with `swift demangle`.")
        madd("")
        for path in profiles:
            madd(f"### {path.stem}")
            madd("")
            madd("```")
            madd(path.read_text().rstrip())
            madd("```")
            madd("")

    if previous_history:
        madd(HISTORY_START)
        madd(previous_history)
        madd(HISTORY_END)
        madd("")

    madd("## Commands")
    madd("")
    madd("Each run was `taskset -c 0 parley load …` with the server's pid for CPU and RSS; `$PORT`/`$HTTP` are the "
         "server's ports in that run.")
    madd("")
    madd("```")
    for command in commands:
        madd(command)
    madd("```")
    madd("")
    if previous_findings:
        sadd(f"Findings (hand-written, on the figures of the run they name) are at the end of [{DETAILS_NAME}]({DETAILS_NAME}).")
        sadd("")
    out.write_text("\n".join(summary))
    details_out.write_text("\n".join(results))
    method_out.write_text("\n".join(method))


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
        write_report(Path(argv[1]), Path(argv[2]), Path(argv[3]) if len(argv) > 3 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
