"""An on-call person who answers while the database refuses the leg's writes is still
connected to the caller (escalation/runner.py, outbound/legs.py): the record is written
when the database allows again. Over real SIP; the database really refuses (a privilege
taken away)."""

from __future__ import annotations

from typing import Any

from tests.engine import Hotline
from tests.pg_fixtures import connect
from tests.test_escalation_sip import TRUNK, emergency, legs, on_call
from tests.test_supervise_sip import OPERATOR_HZ, heard, speak
from tests.waiting import wait_for


async def test_the_on_call_person_who_answers_is_connected_though_the_answer_is_not_written(
    hotline_factory: Any, admin_dsn: str,
) -> None:
    hotline: Hotline = await hotline_factory(settings=TRUNK)
    await on_call(hotline, ("op-a", 20))
    caller = "Emergency unwritten"
    call = await emergency(hotline, caller)
    rung = await hotline.phones.offer("op-a")
    async with connect(admin_dsn) as admin:
        await admin.execute("REVOKE UPDATE ON outbound_legs FROM lifeline_app")
        await hotline.phones.answer(rung, record=False)
        await hotline.reached(caller, "oncall_answered", {"position": "1", "kind": "operator"})
        await hotline.phones.send_dtmf(rung, "1")
        await hotline.reached(caller, "oncall_connected", {"position": "1"})
        await speak(hotline, "phones", rung.channel_id, OPERATOR_HZ)
        await wait_for(heard(hotline.carrier.recording_path(call), OPERATOR_HZ),
                       what="the caller hears the on-call person")
        await admin.execute("GRANT UPDATE ON outbound_legs TO lifeline_app")
    await hotline.phones.hang_up(rung)  # the on-call person ends the call
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
    assert await hotline.sql("SELECT 1 FROM voicemails WHERE call_id = $1", row["id"]) == []
    ended = await wait_for(lambda: _ended(hotline, caller), what="the leg's end written")
    assert [(leg["outcome"], leg["answered_at"]) for leg in ended] == [("accepted", None)]


async def _ended(hotline: Hotline, caller: str) -> list[dict[str, Any]] | None:
    found = await legs(hotline, caller)
    return found if found and all(leg["ended_at"] for leg in found) else None
