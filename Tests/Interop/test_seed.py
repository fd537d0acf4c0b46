"""`parley serve --ephemeral --seed N` (issue 14.3): anonymous usernames, server-made resources, stream ids and
room meeting ids are the same in two runs with the same seed and the same sequence of logins and rooms, and
differ with another seed. Checked with slixmpp (ANONYMOUS logins, Jicofo's room creation and owner form) and the
control API's room listing."""

from __future__ import annotations

import pytest

from test_control_api import Control
from test_jitsi_flow import focus_creates, form_fields, field_values, login_browser, login_focus, room_jid

pytestmark = pytest.mark.timeout(60)


def run(parley_factory, aio, seed: int | None) -> dict:
    server = parley_factory(extra_args=("--seed", str(seed)) if seed is not None else ())

    async def scenario():
        alice = await login_browser(aio, server, "alice")
        bob = await login_browser(aio, server, "bob")
        focus = await login_focus(aio, server)
        _own, form = await focus_creates(focus, "seeded")
        meeting = field_values(form_fields(form)["muc#roominfo_meetingId"])[0]
        return {"alice": alice.jid, "bob": bob.jid, "meeting": meeting}

    seen = aio.run(scenario(), timeout=30)
    room = Control(server.ports["control"]).ok("GET", f"/control/rooms/{room_jid('seeded')}")
    assert room["meeting_id"] == seen["meeting"], (room, seen)
    return seen


def test_same_seed_same_identifiers(parley_factory, aio):
    first = run(parley_factory, aio, 42)
    second = run(parley_factory, aio, 42)
    assert first == second, f"two runs with --seed 42 differ: {first} / {second}"
    other = run(parley_factory, aio, 43)
    assert other["alice"] != first["alice"] and other["meeting"] != first["meeting"], (first, other)
    unseeded = run(parley_factory, aio, None)
    assert unseeded["alice"] != first["alice"] and unseeded["meeting"] != first["meeting"]


def test_seed_only_for_ephemeral_servers(tmp_path):
    import subprocess

    from conftest import PARLEY_BIN

    result = subprocess.run([PARLEY_BIN, "serve", "--seed", "1"], capture_output=True, timeout=10)
    assert result.returncode != 0 and b"--seed is for --ephemeral" in result.stderr, result.stderr[-400:]
