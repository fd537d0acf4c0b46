"""Rate limits against abuse, as docker's `PROSODY_ENABLE_RATE_LIMITS` gives Prosody (issue 13.7), with independent
clients (the PyPI `websockets` client speaking lib-jitsi-meet's stanzas, raw TCP):

* joins per room per second (Jitsi's `mod_muc_rate_limit`): a storm of joins into one room is queued and let in
  `join_rate` a second, none refused, while another room's join goes straight in.

Only 127.0.0.1 is contacted."""

from __future__ import annotations

import threading
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

pytestmark = pytest.mark.timeout(90)

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


# ------------------------------------------------------------------------------------------------------------------
# Bandwidth per session, logins per address, stanzas per session (mod_limits, mod_rate_limit)
# ------------------------------------------------------------------------------------------------------------------

LIMITS_CONFIG = """
c2s:
  rate_limit: 4096
rate_limits:
  login_rate: 2
  session_rate: 1024
  timeout: 30
  allow: [10.0.0.0/8]
"""
FILLER = 24 * 1024


def limited_client(server, ws_clients, forwarded: str | None, source: str | None = None) -> WSClient:
    headers = {"X-Forwarded-For": forwarded} if forwarded else None
    client = ws_clients(WSClient(server.ports["http"], "room=limits", headers=headers, source=source, timeout=20))
    client.login()
    return client


def send_bulk_then_ping(client: WSClient, ident: str, size: int = FILLER):
    """A message of `size` bytes to nobody (it bounces), then a ping: the ping's answer comes once the server has
    read everything before it."""
    client.send(f"<message xmlns='jabber:client' to='nobody@meet.jitsi' id='{ident}-bulk'><body>{'x' * size}</body></message>")
    client.send(f"<iq xmlns='jabber:client' type='get' id='{ident}' to='meet.jitsi'><ping xmlns='urn:xmpp:ping'/></iq>")


def answer_times(pings: list[tuple[WSClient, str]], timeout: float = 25) -> list[float]:
    """Seconds from now until each ping is answered, each client waited for in its own thread (so one slow answer
    does not hide when the others came)."""
    started = time.monotonic()
    times: dict[int, float] = {}
    errors: list[BaseException] = []

    def wait(index: int, client: WSClient, ident: str):
        try:
            client.wait_for(lambda e: e.get("id") == ident and e.get("type") == "result",
                            what=f"the answer to {ident}", timeout=timeout)
            times[index] = time.monotonic() - started
        except BaseException as error:  # noqa: BLE001 (re-raised below)
            errors.append(error)

    threads = [threading.Thread(target=wait, args=(i, c, ident)) for i, (c, ident) in enumerate(pings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 5)
    if errors:
        raise errors[0]
    return [times[i] for i in range(len(pings))]


def test_bandwidth_per_session_and_whose_address_counts(parley_factory, ws_clients):
    """`c2s.rate_limit` 4 KiB/s: 24 KiB take a non-exempt client about four seconds to get through, read slowly
    and not refused; an allowed range (behind the trusted proxy, by X-Forwarded-For) is not slowed; a peer that is
    not a trusted proxy cannot exempt itself with the header."""
    server = parley_factory(accounts=DEFAULT_ACCOUNTS, config=LIMITS_CONFIG)
    slow = limited_client(server, ws_clients, "203.0.113.7")
    allowed = limited_client(server, ws_clients, "10.1.2.3")
    spoofer = limited_client(server, ws_clients, "10.1.2.3", source="127.0.0.2")
    for client, ident in ((slow, "slow"), (allowed, "allowed"), (spoofer, "spoofer")):
        send_bulk_then_ping(client, ident)
    allowed_took, slow_took, spoofer_took = answer_times([(allowed, "allowed"), (slow, "slow"), (spoofer, "spoofer")])
    assert allowed_took < slow_took, (allowed_took, slow_took)
    # (24 KiB + framing - 8 KiB of burst) at 4 KiB/s: at least about four seconds; allow a second of slack.
    assert slow_took >= 3.0 and spoofer_took >= 3.0, (slow_took, spoofer_took)


def test_logins_over_the_rate_are_slowed_while_others_are_served(parley_factory, ws_clients):
    """Two sessions per address per 2 s (`login_rate: 2`): the third from one address is read at
    `session_rate` (1 KiB/s); a client from another address is served at once meanwhile."""
    server = parley_factory(accounts=DEFAULT_ACCOUNTS, config=LIMITS_CONFIG.replace("rate_limit: 4096", "rate_limit: null"))
    clients = [limited_client(server, ws_clients, "198.51.100.9") for _ in range(3)]
    other = limited_client(server, ws_clients, "192.0.2.44")
    send_bulk_then_ping(clients[2], "third", size=6 * 1024)
    send_bulk_then_ping(other, "other", size=6 * 1024)
    send_bulk_then_ping(clients[0], "first", size=6 * 1024)
    other_took, third_took, first_took = answer_times([(other, "other"), (clients[2], "third"), (clients[0], "first")])
    assert other_took < third_took and third_took >= 2.0, (other_took, third_took)
    # The first session of that address was not slowed.
    assert first_took < third_took, (first_took, third_took)


def test_a_stanza_flood_slows_that_session_only(parley_factory, ws_clients):
    """`message_rate` 3 per 2 s: twenty messages in a row slow that session to `session_rate`; its neighbour from
    another address is not."""
    server = parley_factory(accounts=DEFAULT_ACCOUNTS, config=LIMITS_CONFIG.replace("rate_limit: 4096", "rate_limit: null"))
    flooder = limited_client(server, ws_clients, "198.51.100.20")
    neighbour = limited_client(server, ws_clients, "198.51.100.21")
    for n in range(20):
        flooder.send(f"<message xmlns='jabber:client' to='nobody@meet.jitsi' id='m{n}'><body>{n}</body></message>")
    send_bulk_then_ping(flooder, "flooder", size=6 * 1024)
    send_bulk_then_ping(neighbour, "neighbour", size=6 * 1024)
    neighbour_took, flooder_took = answer_times([(neighbour, "neighbour"), (flooder, "flooder")])
    assert neighbour_took < flooder_took and flooder_took >= 2.0, (neighbour_took, flooder_took)
