"""Stanzas that TCP cuts in two are answered as soon as their last byte arrives (raw sockets).

Expat 2.6's reparse deferral (libexpat #840), which Debian backports into 2.5.0-1+deb12u2 and later, holds back a
token split across reads until the bytes buffered have doubled. A server that leaves it on answers a split start
tag only when more bytes come, or never. Jicofo and the bridge send Jingle and Colibri stanzas of many kilobytes,
which arrive in several segments. Each test cuts a start tag a few bytes before its end, pauses so that the server
reads the first part on its own, and expects the answer within a second of the last bytes."""

from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import (
    ANON_DOMAIN,
    DEFAULT_ACCOUNTS,
    NS_CLIENT,
    NS_SASL,
    ServerSlot,
    fixture_stanza,
    q,
    raw_bound_client,
    raw_secured_client,
    readdress,
)

pytestmark = pytest.mark.timeout(30)

PAUSE = 0.2  # long enough for the server to read and parse the first part on its own
ANSWER_WITHIN = 1.0


@pytest.fixture(scope="module")
def slot(parley_module_pool):
    return ServerSlot(parley_module_pool, accounts=DEFAULT_ACCOUNTS)


@pytest.fixture
def server(slot, request):
    server = slot.acquire()
    yield server
    slot.check(request.node.name)


def send_split(client, data: str, cut_before_end_of: str, keep: int, dribble: int = 0):
    """Sends `data` cut `keep` bytes before the end of the first `cut_before_end_of`: the first part, then `dribble`
    single bytes (a slow link: expat grows its buffer on the first ones, so the last is not parsed just because the
    buffer had to grow), each after a pause, then the rest. Returns when the last part was sent."""
    cut = data.index(cut_before_end_of) + len(cut_before_end_of) - keep
    assert 0 < cut and cut + dribble < len(data)
    parts = [data[:cut]] + [data[cut + i] for i in range(dribble)]
    for part in parts:
        client.send(part)
        client.poll(PAUSE)
        assert not client.elements, f"an answer before the stanza was complete{client.transcript()}"
    sent_last = time.monotonic()
    client.send(data[cut + dribble:])
    return sent_last


def test_sasl_auth_split_inside_its_start_tag(server):
    """The issue's report: `…mechanism='ANON`, 0.2 s, `YMOUS'/>`: <success/> at once."""
    client = raw_secured_client(server.c2s)
    try:
        sent_last = send_split(client, f"<auth xmlns='{NS_SASL}' mechanism='ANONYMOUS'/>", "'/>", keep=8)
        answer = client.next_element(ANSWER_WITHIN)
        assert answer.tag == q(NS_SASL, "success"), f"{ET.tostring(answer)!r}{client.transcript()}"
        assert time.monotonic() - sent_last < ANSWER_WITHIN
    finally:
        client.close()


def test_long_start_tag_cut_a_few_bytes_before_its_end(server):
    """A 6 KiB start tag (a ping with a long attribute) cut 5 bytes before `>`, two of them dribbled: the pong comes
    at once."""
    client = raw_bound_client(server.c2s)
    try:
        pad = "x" * 6000
        stanza = f"<iq type='get' id='long-1' to='{ANON_DOMAIN}'><ping xmlns='urn:xmpp:ping' pad='{pad}'/></iq>"
        sent_last = send_split(client, stanza, "'/>", keep=5, dribble=2)
        answer = client.next_element(ANSWER_WITHIN)
        assert answer.tag == q(NS_CLIENT, "iq") and answer.get("id") == "long-1" and answer.get("type") == "result", (
            f"{ET.tostring(answer)!r}{client.transcript()}"
        )
        assert time.monotonic() - sent_last < ANSWER_WITHIN
    finally:
        client.close()


def test_jingle_session_initiate_in_segments_reaches_its_peer(server):
    """Jicofo's session-initiate (11 KiB) between two clients, cut inside its last `<source …>`-sized start tag
    and again at random-looking points, each part written after a pause: the peer gets it whole at once."""
    sender = raw_bound_client(server.c2s)
    receiver = raw_bound_client(server.c2s)
    try:
        stanza = readdress(fixture_stanza("jingle-session-initiate.xml"), receiver.jid)
        stanza = re.sub(r"""^(<iq[^>]*?)\sfrom=(["'])[^"']*\2""", r"\1", stanza, count=1)  # the server stamps it
        last_tag = stanza.rindex("<")  # `</iq>`: cut inside the last start tag before it instead
        last_start = stanza.rindex("<", 0, stanza.rindex("<", 0, last_tag))
        cuts = sorted({len(stanza) // 3, 2 * len(stanza) // 3, stanza.index(">", last_start) - 3})
        start = 0
        for cut in cuts:
            sender.send(stanza[start:cut])
            receiver.poll(PAUSE)
            assert not receiver.elements, f"delivered before it was complete{receiver.transcript()}"
            start = cut
        sent_last = time.monotonic()
        sender.send(stanza[start:])
        got = receiver.next_element(ANSWER_WITHIN)
        assert got.tag == q(NS_CLIENT, "iq") and got.get("from") == sender.jid, f"{ET.tostring(got)!r}"
        assert len(got.find("{urn:xmpp:jingle:1}jingle")) > 0
        assert time.monotonic() - sent_last < ANSWER_WITHIN
    finally:
        sender.close()
        receiver.close()


def test_version_names_the_libexpat_and_its_deferral(server):
    """`parley --version` says which libexpat the process runs with and that deferral is off."""
    from conftest import PARLEY_BIN

    out = subprocess.run([str(PARLEY_BIN), "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    expat = next((line for line in out.splitlines() if line.startswith("libexpat ")), None)
    assert expat is not None, out
    assert "reparse deferral off" in expat or "no reparse deferral" in expat, out
