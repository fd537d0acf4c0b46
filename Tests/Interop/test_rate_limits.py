"""Rate limits against abuse, as docker's `PROSODY_ENABLE_RATE_LIMITS` gives Prosody (issue 13.7), with independent
clients (the PyPI `websockets` client speaking lib-jitsi-meet's stanzas, raw TCP):

* joins per room per second (Jitsi's `mod_muc_rate_limit`): a storm of joins into one room is queued and let in
  `join_rate` a second, none refused, while another room's join goes straight in.

Only 127.0.0.1 is contacted."""

from __future__ import annotations

import time

import pytest

from conftest import DEFAULT_ACCOUNTS
from webxmpp import (
    MUC_DOMAIN,
    PRESENCE,
    WSClient,
    focus_factory,  # noqa: F401  (fixture)
    participant_join,
    show,
    status_codes,
    unique_room,
    ws_clients,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.timeout(60)

JOIN_RATE = 3
CONFIG = f"""
muc:
  - domain: {MUC_DOMAIN}
    focus_lock: true
    join_rate: {JOIN_RATE}
  - domain: internal-muc.meet.jitsi
    allowed_domains: [auth.meet.jitsi]
"""


def test_a_join_storm_is_queued_not_refused(parley_factory, ws_clients, focus_factory):
    server = parley_factory(accounts=DEFAULT_ACCOUNTS, config=CONFIG)
    busy, quiet = unique_room("storm"), unique_room("quiet")
    focus = focus_factory(server)
    focus.create_room(busy)
    focus.create_room(quiet)
    storm = 12
    clients = [ws_clients(WSClient(server.ports["http"], f"room={busy}", timeout=15)) for _ in range(storm)]
    other = ws_clients(WSClient(server.ports["http"], f"room={quiet}", timeout=15))
    for client in [*clients, other]:
        client.login()

    started = time.monotonic()
    occupants = []
    for client in clients:
        nick = client.jid.split("@", 1)[0][:8]
        occupants.append(f"{busy}@{MUC_DOMAIN}/{nick}")
        client.send(participant_join(busy, nick, "Storm"))
    other_nick = other.jid.split("@", 1)[0][:8]
    other.send(participant_join(quiet, other_nick, "Quiet"))

    # Another room is not behind this one's queue.
    own = other.wait_for(lambda e: e.tag == PRESENCE and e.get("from") == f"{quiet}@{MUC_DOMAIN}/{other_nick}",
                         what="the quiet room's self-presence")
    quiet_at = time.monotonic() - started
    assert own.get("type") is None and "110" in status_codes(own), show(own)

    admitted = []
    for client, occupant in zip(clients, occupants):
        own = client.wait_for(lambda e, o=occupant: e.tag == PRESENCE and e.get("from") == o,
                              what=f"the self-presence of {occupant}", timeout=15)
        assert own.get("type") is None and "110" in status_codes(own), f"a queued join was refused: {show(own)}"
        admitted.append(time.monotonic() - started)
    # 12 joins at 3 a second (the focus took one of the first second's): the last waited about three seconds.
    assert max(admitted) >= (storm - JOIN_RATE) / JOIN_RATE - 1, f"no join waited: {admitted}"
    assert quiet_at < max(admitted), f"the quiet room ({quiet_at:.2f} s) waited behind the storm ({admitted})"
