"""An app restart (the process stops, a new one starts, Asterisk keeps the calls), or the
event WebSocket cut, while a caller is leaving a message, over real SIP: the message is
theirs to finish and is saved once, under its own name, and they hear the thanks; one
that ended while nobody heard is saved when the app is back (calls/adoption.py, marks.py,
the session's resync)."""

from __future__ import annotations

from typing import Any

import pytest

from devstack import asterisk
from lifeline_pbx.app import Running, create_app
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls.marks import VARIABLE
from lifeline_pbx.resources import ARI, CONNECTED
from tests.ari_relay import relayed_hotline
from tests.carrier import Carrier, CarrierCall
from tests.conftest import app_config
from tests.crowd import pbx_ari
from tests.engine import Hotline
from tests.phones import Phones
from tests.test_engine_sip import voicemail_left
from tests.waiting import wait_for

SPEAKING = "caller-speaking"


async def leaving_a_message(hotline: Hotline, caller: str) -> tuple[CarrierCall, str]:
    """The caller, in the voicemail and speaking; the name their message is recorded as."""
    call = await hotline.to_queue(caller)
    found = await voicemail_left(hotline, caller, "no_operators")
    session = hotline.session_of(found["call_id"])

    async def named() -> bool:
        mark = await hotline.app[ARI].variable(session.channel_id, VARIABLE)
        return f"voicemail={session.voicemail_name}" in mark

    await wait_for(named, what="the message named on the channel")
    await hotline.carrier.ari.play(call.channel_id, ["tone:440"], SPEAKING)
    spool = hotline.pbx.host_base / "spool" / "recording" / f"{session.voicemail_name}.wav"
    await wait_for(lambda: spool.exists() and spool.stat().st_size >= 16000,
                   what="a second of the message")
    return call, str(session.voicemail_name)


async def ends_the_message(hotline: Hotline, call: CarrierCall) -> None:
    """The caller stops speaking and presses # (the carrier's channel runs one request
    at a time: the key would wait for the endless tone)."""
    await hotline.carrier.ari.stop_playback(SPEAKING)
    await hotline.carrier.send_dtmf(call, "#")


async def recording_over(ari: AriClient, name: str) -> bool:
    return not await ari.recording_live(name)


async def started(pbx: asterisk.Instance, dsn: str, prompts: str) -> Running:
    again = await Running(create_app(app_config(pbx, dsn, prompts))).start()
    await wait_for(again.app[CONNECTED].is_set, what="ARI reconnected")
    return again


async def saved_once(hotline: Hotline, caller: str, name: str) -> None:
    await hotline.reached(caller, "prompt", {"name": "voicemail-thanks"})
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("voicemail", "system")
    saved = await hotline.sql("SELECT recording, reason FROM voicemails WHERE call_id = $1",
                              row["id"])
    assert [(v["recording"], v["reason"]) for v in saved] == [(name, "no_operators")]


@pytest.mark.parametrize("ended_unseen", [False, True])
async def test_a_message_goes_on_through_a_restart_and_is_saved_once(
    hotline_factory: Any, pbx: asterisk.Instance, short_prompts_dir: str, ended_unseen: bool,
) -> None:
    """The caller finishes it under the new process; or it ended while none ran, and is
    saved as one starts."""
    hotline: Hotline = await hotline_factory()
    caller = "Message unheard" if ended_unseen else "Message restart"
    call, name = await leaving_a_message(hotline, caller)
    assert hotline.running is not None
    await hotline.running.stop()
    if ended_unseen:
        await ends_the_message(hotline, call)
        async with pbx_ari(pbx) as ari:
            await wait_for(lambda: recording_over(ari, name), what="the message finished")
    again = await started(pbx, hotline.dsn, short_prompts_dir)
    try:
        await hotline.reached(caller, "resumed", {"phase": "recording"})
        if not ended_unseen:
            await ends_the_message(hotline, call)
        await saved_once(hotline, caller, name)
    finally:
        await again.stop()


async def test_a_message_ended_while_the_events_were_cut_is_saved_when_they_are_back(
    app_dsn: str, pbx: asterisk.Instance, short_prompts_dir: str, carrier: Carrier,
    phones: Phones,
) -> None:
    async with relayed_hotline(app_dsn, pbx, short_prompts_dir, carrier, phones) as (
            hotline, relay):
        call, name = await leaving_a_message(hotline, "Message cut")
        relay.cut_events()
        await ends_the_message(hotline, call)
        async with pbx_ari(pbx) as ari:
            await wait_for(lambda: recording_over(ari, name), what="the message finished")
        relay.restore_events()
        await saved_once(hotline, "Message cut", name)
