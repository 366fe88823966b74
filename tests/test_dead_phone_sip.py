"""An operator's phone that dies mid-call, over real SIP: a genuine softphone (baresip)
frozen with SIGSTOP sends no BYE and no audio, as a laptop gone to sleep or a wifi lost.
Asterisk's rtp_timeout (operators/pjsip.py) ends its leg; the caller hears why and is put
through to the next operator (queues/leg_end.py)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import asyncpg

from lifeline_pbx.operators import sip_sync, store
from lifeline_pbx.prompts import LANGUAGES, tones
from lifeline_pbx.resources import ACD, ARI, POOL
from tests.audio import HEARD, tone_level
from tests.engine import Hotline
from tests.softphone import Softphone
from tests.waiting import wait_for

PASSWORD = "softphone-Secret-2024"
APOLOGY_HZ = 700  # the test's own operator-lost prompt; the others are 660 Hz, baresip 400
RTP_TIMEOUT = 8  # seconds without audio before Asterisk ends an operator's leg, here


async def _softphone_operator(hotline: Hotline, softphone: Any) -> Softphone:
    """op-d, in every queue, on a baresip that has registered."""
    con = await asyncpg.connect(hotline.dsn)
    try:
        op = await store.add(con, store.validate("Softphone operator", "op-d", PASSWORD, ["en"],
                                                    LANGUAGES))
        await con.execute("INSERT INTO operator_queues SELECT $1, id FROM queues", op.id)
    finally:
        await con.close()
    await wait_for(lambda: "op-d" in hotline.app[ACD].picture.operators, what="op-d loaded")

    async def pushed() -> bool:
        return any(e["resource"] == "op-d" for e in await hotline.app[ARI].endpoints("PJSIP"))

    await wait_for(pushed, what="op-d's account on the PBX")
    phone: Softphone = softphone("op-d", PASSWORD)
    await wait_for(lambda: "op-d" in hotline.app[ACD].picture.online, timeout=20,
                   what="baresip registered")
    return phone


async def test_a_dead_softphone_puts_its_caller_through_to_the_next_operator(
    hotline_factory: Any, pbx: Any, own_prompts: str, softphone: Any
) -> None:
    tones.write_wav(pbx.runtime.host_path(f"{own_prompts}/en/operator-lost.wav"),
                    tones.samples(((APOLOGY_HZ, 1.0),)))
    hotline: Hotline = await hotline_factory(prompts=own_prompts,
                                             settings={"operator_rtp_timeout_seconds": 2})
    phone = await _softphone_operator(hotline, softphone)

    # A new timeout rewrites every operator's endpoint: a registered phone keeps its
    # contact (the aor is not rewritten), so it is still rung without registering again.
    ari = hotline.app[ARI]
    # Long enough that a loaded machine's pause in baresip's audio is not taken for death.
    report = await sip_sync.sync(hotline.app[POOL], ari, (), RTP_TIMEOUT)
    assert "op-d" in report.updated
    await hotline.app[ACD].following.refresh_endpoints(rewritten=report.updated)
    endpoint = await ari.request("GET", "/asterisk/config/dynamic/res_pjsip/endpoint/op-d")
    assert {f["attribute"]: f["value"] for f in endpoint}["rtp_timeout"] == str(RTP_TIMEOUT)
    assert (await ari.request("GET", "/endpoints/PJSIP/op-d"))["state"] == "online"

    await hotline.login("op-d")
    call = await hotline.to_queue("Lost caller")
    await hotline.reached("Lost caller", "connected", {"operator": "op-d"})
    heard = Path(hotline.carrier.recording_path(call))
    await wait_for(lambda: tone_level(heard, 400) > HEARD, what="the caller hears op-d")
    assert phone.process is not None
    os.kill(phone.process.pid, signal.SIGSTOP)  # no BYE, no audio: a dead phone
    try:
        await hotline.login("op-a")
        await hotline.reached("Lost caller", "operator_lost",
                              {"operator": "op-d", "reason": "no_audio"},
                              timeout=RTP_TIMEOUT + 15)
        assert "op-d" not in hotline.app[ACD].picture.online
        await wait_for(lambda: tone_level(heard, APOLOGY_HZ) > HEARD,
                       what="the caller hears the apology")
        offer = await hotline.phones.offer("op-a", timeout=20)
        await hotline.phones.answer(offer, record=False)
        await hotline.reached("Lost caller", "connected", {"operator": "op-a"})
        await hotline.carrier.hang_up(call)
        row = await hotline.closed("Lost caller")
    finally:
        os.kill(phone.process.pid, signal.SIGCONT)
    # One record: the first operator's, their answer time and wait; the timeline has both.
    assert (row["disposition"], row["hangup_by"]) == ("answered", "caller")
    op_d = await hotline.value("SELECT id FROM operators WHERE sip_username = 'op-d'")
    assert row["operator_id"] == op_d
    timeline = [(r["kind"], r["who"]) for r in await hotline.sql(
        """SELECT kind, coalesce(detail->>'operator', detail->>'name') AS who
           FROM call_events WHERE call_id = $1 ORDER BY id""", row["id"])
        if r["kind"] in ("connected", "operator_lost", "prompt", "operator_hangup")]
    assert timeline[-3:] == [("operator_lost", "op-d"), ("prompt", "operator-lost"),
                             ("connected", "op-a")]
    assert ("connected", "op-d") in timeline and ("operator_hangup", None) not in timeline
    connected = await hotline.queue_events("connected")
    assert [c["sip_username"] for c in connected if c["caller_name"] == "Lost caller"] == [
        "op-d", "op-a"]
    entered = await hotline.queue_events("entered")
    assert [e["caller_name"] for e in entered].count("Lost caller") == 1  # its place kept
