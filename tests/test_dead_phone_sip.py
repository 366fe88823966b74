"""An operator's phone that dies mid-call, over real SIP: a genuine softphone (baresip)
frozen with SIGSTOP sends no BYE and no audio, as a laptop gone to sleep or a wifi lost.
Asterisk's rtp_timeout (operators/pjsip.py) ends its leg; the caller hears why and is put
through to the next operator (queues/leg_end.py)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import aiohttp

from lifeline_pbx.operators import sip_sync
from lifeline_pbx.prompts import tones
from lifeline_pbx.resources import ACD, ARI, POOL
from tests.audio import HEARD, tone_level
from tests.engine import Hotline
from tests.softphone import Softphone
from tests.test_engine_sip import softphone_operator
from tests.test_supervise_sip import live_call
from tests.test_transfers_sip import operator_on_op_a
from tests.waiting import wait_for

APOLOGY_HZ = 700  # the test's own operator-lost prompt; the others are 660 Hz, baresip 400
RTP_TIMEOUT = 8  # seconds without audio before Asterisk ends an operator's leg, here


async def timed_out_softphone(hotline_factory: Any, pbx: Any, own_prompts: str,
                               softphone: Any, *, web: bool = False) -> tuple[Hotline, Softphone]:
    """A hotline whose operator-lost prompt is a tone of its own, and op-d on a baresip
    whose leg Asterisk ends after RTP_TIMEOUT seconds without its audio."""
    tones.write_wav(pbx.runtime.host_path(f"{own_prompts}/en/operator-lost.wav"),
                    tones.samples(((APOLOGY_HZ, 1.0),)))
    hotline: Hotline = await hotline_factory(web=web, prompts=own_prompts,
                                             settings={"operator_rtp_timeout_seconds": 2})
    phone = await softphone_operator(hotline, softphone)

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
    return hotline, phone


async def test_a_dead_softphone_puts_its_caller_through_to_the_next_operator(
    hotline_factory: Any, pbx: Any, own_prompts: str, softphone: Any
) -> None:
    hotline, phone = await timed_out_softphone(hotline_factory, pbx, own_prompts, softphone)
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


async def test_a_caller_transferred_to_a_softphone_that_dies_is_put_back_in_the_queue(
    hotline_factory: Any, pbx: Any, own_prompts: str, softphone: Any
) -> None:
    """The second operator of a completed warm transfer is judged as any operator: their
    phone lost, the caller hears the apology and is put through again (not hung up)."""
    hotline, phone = await timed_out_softphone(hotline_factory, pbx, own_prompts, softphone,
                                                web=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        client = await operator_on_op_a(hotline, http)
        caller = "Transferred caller"
        call, operator, call_id = await live_call(hotline, caller)
        status, body = await client.post_json(f"/console/calls/{call_id}/transfer",
                                              {"to": "op-d"})
        assert status == 200, body
        await hotline.reached(caller, "transfer_consulting", {"to": "op-d"})  # baresip answers
        status, body = await client.post_json("/console/side/complete", {})
        assert status == 200, body
        await hotline.reached(caller, "transfer_completed", {"to": "op-d"})
        await hotline.phones.ended(operator)
        heard = Path(hotline.carrier.recording_path(call))
        await wait_for(lambda: tone_level(heard, 400) > HEARD, what="the caller hears op-d")
        assert phone.process is not None
        os.kill(phone.process.pid, signal.SIGSTOP)  # no BYE, no audio: a dead phone
        try:
            await hotline.reached(caller, "operator_lost",
                                  {"operator": "op-d", "reason": "no_audio"},
                                  timeout=RTP_TIMEOUT + 15)
            assert "op-d" not in hotline.app[ACD].picture.online
            await wait_for(lambda: tone_level(heard, APOLOGY_HZ) > HEARD,
                           what="the caller hears the apology")
            await hotline.login("op-b")
            offer = await hotline.phones.offer("op-b", timeout=20)
            await hotline.phones.answer(offer, record=False)
            await hotline.reached(caller, "connected", {"operator": "op-b"})
            await hotline.carrier.hang_up(call)
            row = await hotline.closed(caller)
        finally:
            os.kill(phone.process.pid, signal.SIGCONT)
    assert row["hangup_by"] == "caller"
    kinds = [r["kind"] for r in await hotline.sql(
        "SELECT kind FROM call_events WHERE call_id = $1 ORDER BY id", row["id"])]
    assert "operator_hangup" not in kinds
