"""The call engine over real SIP: IVR, queues, operators' phones, voicemail, policies."""

from __future__ import annotations

import csv
import io
import signal
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from devstack.stack import DEMO_CALLER_PASSWORD
from lifeline_pbx import crypto, demo
from lifeline_pbx.app import Running, create_app
from lifeline_pbx.calls.model import EnterQueue
from lifeline_pbx.calls.session import CallSession
from lifeline_pbx.operators import store
from lifeline_pbx.prompts import LANGUAGES
from lifeline_pbx.recordings.shelf import audio_place
from lifeline_pbx.resources import ACD, ARI, CONNECTED, DISPATCHER, LINES, VAULT
from tests.audio import HEARD, tone_level
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY, app_config
from tests.db_reads import Statements
from tests.engine import Hotline
from tests.phones import OPERATORS
from tests.softphone import Softphone
from tests.waiting import wait_for
from tests.web_fixtures import Client

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)


async def test_language_by_digit_then_queue_then_operator(hotline: Hotline) -> None:
    await hotline.login("op-b")
    call = await hotline.to_queue("Ana", language_digit="2")
    offer = await hotline.phones.offer("op-b")
    assert "[ES]" in offer.caller_name and "Demo County" in offer.caller_name
    await hotline.phones.answer(offer)
    await hotline.reached("Ana", "connected", {"operator": "op-b"})
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Ana")
    assert (row["language"], row["disposition"], row["hangup_by"]) == ("es", "answered", "caller")
    assert row["connected_at"] is not None and row["operator_id"] is not None
    await hotline.phones.ended(offer)  # the operator's leg is released too
    kinds = [r["kind"] for r in await hotline.sql(
        "SELECT kind FROM queue_events WHERE call_id = $1 ORDER BY id", row["id"])]
    assert kinds == ["entered", "connected"]


async def test_no_input_hears_the_menu_once_then_default_language(hotline: Hotline) -> None:
    await hotline.call("Silent")
    await hotline.reached("Silent", "language_default", {"reason": "no_input"})
    await hotline.reached("Silent", "language", {"language": "en"})
    kinds = [r["kind"] for r in await hotline.sql(
        """SELECT e.kind FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE c.caller_name = 'Silent' ORDER BY e.id""")]
    before = kinds[:kinds.index("language_default")]
    assert before.count("prompt_finished") == 2  # the greeting, and the menu once


async def test_invalid_digit_is_explained_and_asked_again(hotline: Hotline) -> None:
    call = await hotline.call("Odd keys")
    await hotline.reached("Odd keys", "prompt_finished")
    await hotline.carrier.send_dtmf(call, "8")
    await hotline.reached("Odd keys", "invalid_choice", {"digit": "8"})
    await hotline.carrier.send_dtmf(call, "4")
    await hotline.reached("Odd keys", "language", {"language": "fr"})


async def test_a_key_pressed_once_counts_once(hotline: Hotline) -> None:
    """Asterisk sends the app each of a channel's events once per subscription that covers
    it: a subscription to every phone's endpoint would bring the caller's key presses (and
    prompts' ends, hang-ups) twice, and one wrong key would count as two."""
    call = await hotline.call("One key")
    await hotline.reached("One key", "prompt_finished")
    await hotline.carrier.send_dtmf(call, "8")
    await hotline.reached("One key", "invalid_choice", {"digit": "8"})
    await hotline.carrier.send_dtmf(call, "4")
    await hotline.reached("One key", "language", {"language": "fr"})
    kinds = [r["kind"] for r in await hotline.sql(
        """SELECT e.kind FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE c.caller_name = 'One key' ORDER BY e.id""")]
    assert kinds.count("invalid_choice") == 1


async def test_emergency_overtakes_a_caller_who_waited_longer(hotline: Hotline) -> None:
    await hotline.login("op-a")
    await hotline.app[ACD].operator_action("op-a", "pause", "meeting")
    await hotline.to_queue("Waited first")
    await hotline.to_queue("Emergency", triage="9")
    await hotline.app[ACD].operator_action("op-a", "resume")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=False)
    await hotline.reached("Emergency", "connected")
    assert (await hotline.call_row("Emergency"))["priority"] == 1
    assert (await hotline.call_row("Waited first"))["connected_at"] is None


async def test_language_match_first_then_any_operator_after_the_wait(hotline: Hotline) -> None:
    await hotline.login("op-a", "op-b")
    await hotline.to_queue("Spanish speaker", language_digit="2")
    offer = await hotline.phones.offer("op-b")  # op-a (English) is idle too, but not chosen
    await hotline.phones.answer(offer, record=False)
    await hotline.reached("Spanish speaker", "connected", {"operator": "op-b"})
    # op-b is busy now: the next Spanish caller falls back to op-a after the language wait.
    await hotline.to_queue("Second Spanish", language_digit="2")
    fallback = await hotline.phones.offer("op-a", timeout=20)
    await hotline.phones.answer(fallback, record=False)
    await hotline.reached("Second Spanish", "connected", {"operator": "op-a"})
    row = await hotline.call_row("Second Spanish")
    assert (row["connected_at"] - row["queued_at"]).total_seconds() >= 3  # language_wait


async def test_ring_timeout_moves_on_and_missed_offers_pause(hotline_factory: Any) -> None:
    hotline: Hotline = await hotline_factory()
    await hotline.sql("UPDATE queues SET max_missed = 1")
    await hotline.app[ACD].reload()
    await hotline.login("op-a")
    await hotline.to_queue("Rings out")
    first = await hotline.phones.offer("op-a")  # op-a lets it ring
    await hotline.login("op-c")
    second = await hotline.phones.offer("op-c", timeout=20)
    assert first.ended or await hotline.phones.ended(first)
    await hotline.phones.answer(second, record=False)
    await hotline.reached("Rings out", "connected", {"operator": "op-c"})
    paused = await hotline.sql(
        """SELECT s.paused, s.pause_reason FROM operator_status s
           JOIN operators o ON o.id = s.operator_id WHERE o.sip_username = 'op-a'""")
    assert (paused[0]["paused"], paused[0]["pause_reason"]) == (True, "missed calls")
    missed = await hotline.queue_events("ring_no_answer")
    assert [(m["sip_username"], m["caller_name"]) for m in missed] == [("op-a", "Rings out")]


async def test_press_one_to_accept_keeps_voicemail_from_taking_the_call(
    hotline: Hotline,
) -> None:
    await hotline.sql("UPDATE operators SET accept_by_key = true WHERE sip_username = 'op-a'")
    await hotline.app[ACD].reload()
    await hotline.login("op-a")
    await hotline.to_queue("Screened")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=False)  # a voicemail box would answer, too
    await hotline.reached("Screened", "queued")
    assert (await hotline.call_row("Screened"))["connected_at"] is None
    await hotline.phones.send_dtmf(offer, "1")
    await hotline.reached("Screened", "connected", {"operator": "op-a"})


async def test_wrap_up_is_respected(hotline: Hotline) -> None:
    await hotline.login("op-a")
    first = await hotline.to_queue("Before wrap-up")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=False)
    await hotline.reached("Before wrap-up", "connected")
    await hotline.carrier.hang_up(first)
    await hotline.closed("Before wrap-up")
    ended_at = (await hotline.call_row("Before wrap-up"))["ended_at"]
    await hotline.to_queue("After wrap-up")
    await hotline.phones.answer(await hotline.phones.offer("op-a"), record=False)
    await hotline.reached("After wrap-up", "connected")
    connected = (await hotline.call_row("After wrap-up"))["connected_at"]
    assert (connected - ended_at).total_seconds() >= 2  # wrapup_seconds


async def test_abandon_while_waiting_is_counted(hotline: Hotline) -> None:
    await hotline.login("op-a")
    await hotline.app[ACD].operator_action("op-a", "pause", "break")
    call = await hotline.to_queue("Gave up")
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Gave up")
    assert (row["disposition"], row["hangup_by"]) == ("abandoned", "caller")
    abandoned = await hotline.queue_events("abandoned")
    assert abandoned[-1]["caller_name"] == "Gave up" and abandoned[-1]["wait_seconds"] > 0


async def voicemail_left(hotline: Hotline, caller: str, reason: str) -> dict[str, Any]:
    await hotline.reached(caller, "voicemail", {"reason": reason})
    await hotline.reached(caller, "prompt_finished", timeout=30)
    call_id = (await hotline.call_row(caller))["id"]

    def recording() -> bool:
        session = hotline.session_of(call_id)
        return bool(session.state.phase.value == "recording")

    await wait_for(recording, what="voicemail recording")
    return {"call_id": call_id}


async def test_operators_logged_in_with_their_phones_offline_give_voicemail_at_once(
    hotline: Hotline
) -> None:
    """Logged in and ready, but no phone registered (the softphone not started, or gone):
    nobody can be rung, so the caller leaves a message at once, and its reason says why."""
    await hotline.login(*OPERATORS)
    picture = hotline.app[ACD].picture
    for operator in OPERATORS:
        hotline.phones.instance.cli(f"pjsip send unregister {operator}")
    await wait_for(lambda: not picture.online & set(OPERATORS), what="the phones offline")
    call = await hotline.to_queue("Phones off")
    found = await voicemail_left(hotline, "Phones off", "phones_offline")
    await hotline.carrier.hang_up(call)
    rows = await wait_for(lambda: hotline.sql(
        "SELECT * FROM voicemails WHERE call_id = $1", found["call_id"]), what="voicemail row")
    assert rows[0]["reason"] == "phones_offline"
    closed = await hotline.closed("Phones off")
    assert (closed["disposition"], closed["voicemail_reason"]) == ("voicemail", "phones_offline")
    assert closed["wait_seconds"] < 0.5
    assert not any(c.operator in OPERATORS for c in hotline.phones.calls.values())
    for operator in OPERATORS:
        hotline.phones.register_now(operator)


async def test_no_operator_logged_in_ends_in_a_stored_voicemail(hotline: Hotline) -> None:
    call = await hotline.to_queue("Nobody there")
    found = await voicemail_left(hotline, "Nobody there", "no_operators")
    await hotline.carrier.hang_up(call)
    row = await wait_for(lambda: hotline.sql(
        "SELECT * FROM voicemails WHERE call_id = $1", found["call_id"]), what="voicemail row")
    vm = row[0]
    assert (vm["reason"], vm["language"]) == ("no_operators", "en")
    closed = await hotline.closed("Nobody there")  # sent to voicemail at once: no wait
    lasted = (closed["ended_at"] - closed["queued_at"]).total_seconds()
    assert closed["wait_seconds"] < min(0.5, lasted)
    assert vm["facility_id"] is not None and vm["line_id"] is not None
    # The vault takes the file off Asterisk, sealed (tests/test_voicemail_vault.py).
    await wait_for(lambda: hotline.sql(
        "SELECT 1 FROM voicemail_audio WHERE voicemail_id = $1 AND bytes > 0", vm["id"]),
        what="voicemail audio in the vault")


async def test_closed_hours_end_in_voicemail(hotline_factory: Any) -> None:
    hotline: Hotline = await hotline_factory(always_open=False)
    await hotline.login("op-a")  # logged in, but the line is closed
    call = await hotline.call("After hours")  # no IVR: the closure comes first
    await voicemail_left(hotline, "After hours", "closed")
    await hotline.carrier.hang_up(call)
    await wait_for(lambda: hotline.sql(
        "SELECT 1 FROM voicemails v JOIN calls c ON c.id = v.call_id "
        "WHERE c.caller_name = 'After hours' AND v.reason = 'closed'"), what="voicemail row")


async def test_max_wait_ends_in_voicemail(hotline: Hotline) -> None:
    await hotline.sql("UPDATE queues SET max_wait_seconds = 3")
    await hotline.app[ACD].reload()
    await hotline.login("op-a")
    await hotline.app[ACD].operator_action("op-a", "pause", "break")
    call = await hotline.to_queue("Waited too long")
    await voicemail_left(hotline, "Waited too long", "max_wait")
    await hotline.carrier.hang_up(call)
    timeouts = await wait_for(lambda: hotline.queue_events("timeout"), what="the timeout logged")
    assert timeouts[-1]["caller_name"] == "Waited too long"
    # The call's wait (what the statistics and the call history show) is the time in the
    # queue, not the prompt and message after it.
    row = await hotline.closed("Waited too long")
    assert 3 <= row["wait_seconds"] < (row["ended_at"] - row["queued_at"]).total_seconds()



async def test_recording_only_where_the_line_records(hotline_factory: Any) -> None:
    hotline: Hotline = await hotline_factory(record_calls=True)
    await hotline.login("op-a")
    call = await hotline.to_queue("Recorded")
    await hotline.reached("Recorded", "language")
    kinds = await hotline.sql(
        """SELECT e.detail FROM call_events e JOIN calls c ON c.id = e.call_id
           WHERE c.caller_name = 'Recorded' AND e.kind = 'prompt_finished'""")
    assert kinds  # the notices (with the recording notice) were played before the queue
    await hotline.phones.answer(await hotline.phones.offer("op-a"), record=False)
    await hotline.reached("Recorded", "connected")
    await wait_for(lambda: hotline.value(
        "SELECT recording FROM calls WHERE caller_name = 'Recorded'"), what="recording named")
    name = (await hotline.call_row("Recorded"))["recording"]
    path = hotline.pbx.host_base / "spool" / "recording" / f"{name}.wav"
    await hotline.carrier.ari.play(call.channel_id, ["tone:440"], "speak-recorded")
    await wait_for(lambda: path.exists() and path.stat().st_size >= 16000,
                   what="a second of the call recorded")
    seen: dict[uuid.UUID, bytes] = {}
    hotline.app[VAULT].fetched = lambda rid, audio: seen.__setitem__(rid, audio)
    await hotline.carrier.hang_up(call)
    closed = await hotline.closed("Recorded")
    # The vault takes the file off the PBX, sealed (tests/test_call_recordings.py).
    hotline.app[VAULT].wake()
    stored = (await wait_for(lambda: hotline.sql(
        "SELECT * FROM call_recordings WHERE name = $1 AND removed_at IS NOT NULL", name),
        what="the call recording in the vault"))[0]
    assert stored["call_id"] == closed["id"] and stored["bytes"] == len(seen[stored["id"]])
    assert seen[stored["id"]].startswith(b"RIFF") and stored["seconds"] >= 1
    assert b"RIFF" not in bytes(stored["audio"]) and not path.exists()
    assert KEYS.open_bytes(bytes(stored["audio"]), audio_place(stored["id"])) == seen[stored["id"]]

    await hotline.sql("UPDATE lines SET record_calls = false")
    await hotline.app[LINES].refresh()
    other = await hotline.to_queue("Not recorded")
    await hotline.phones.answer(await hotline.phones.offer("op-a", timeout=20), record=False)
    await hotline.reached("Not recorded", "connected")
    await hotline.carrier.hang_up(other)
    row = await hotline.closed("Not recorded")
    assert row["recording"] is None
    assert not await hotline.sql("SELECT 1 FROM call_recordings WHERE call_id = $1", row["id"])


async def test_cut_off_warning_reaches_the_operator_only(hotline_factory: Any) -> None:
    hotline: Hotline = await hotline_factory(call_limit_seconds=60, limit_warning_seconds=57)
    await hotline.login("op-a")
    call = await hotline.to_queue("Long call")
    offer = await hotline.phones.offer("op-a")
    await hotline.phones.answer(offer, record=True)
    await hotline.reached("Long call", "connected")
    await hotline.reached("Long call", "limit_warning", timeout=10)
    heard_by_operator = Path(hotline.phones.recording_path(offer))
    await wait_for(lambda: tone_level(heard_by_operator, 1400) > HEARD,
                   what="the operator hears the warning tone")
    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(offer)
    await wait_for(call.recording, what="caller's recording")
    operator_heard = tone_level(heard_by_operator, 1400)
    caller_heard = tone_level(Path(hotline.carrier.recording_path(call)), 1400)
    assert operator_heard > HEARD, operator_heard
    assert caller_heard < 0.1, caller_heard


async def test_feature_codes_from_the_operator_phone(hotline: Hotline) -> None:
    async def status() -> tuple[bool, bool, str]:
        rows = await hotline.sql(
            """SELECT s.logged_in, s.paused, s.pause_reason FROM operator_status s
               JOIN operators o ON o.id = s.operator_id WHERE o.sip_username = 'op-a'""")
        return (rows[0]["logged_in"], rows[0]["paused"], rows[0]["pause_reason"]) if rows else (
            False, False, "")

    for code, expected in (("*1", (True, False, "")), ("*2", (True, True, "break")),
                           ("*3", (True, False, "")), ("*0", (False, False, ""))):
        call = await hotline.phones.dial("op-a", code)
        await hotline.phones.ended(call)
        await wait_for(lambda e=expected: _eq(status(), e), what=f"{code} applied")  # type: ignore[misc]
    unknown = await hotline.phones.dial("op-a", "*7")
    await hotline.phones.ended(unknown)  # refused with a tone, then hung up; nothing changes
    assert await status() == (False, False, "")


async def _eq(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


async def test_app_restart_keeps_the_waiting_and_the_talking(
    hotline_factory: Any, pbx: Any, short_prompts_dir: str
) -> None:
    hotline: Hotline = await hotline_factory()
    await hotline.login("op-a")
    talking = await hotline.to_queue("Talking")
    operator_leg = await hotline.phones.offer("op-a")
    await hotline.phones.answer(operator_leg, record=False)
    await hotline.reached("Talking", "connected")
    await hotline.to_queue("Waiting")  # op-a is busy; nobody else is logged in
    assert hotline.running is not None
    await hotline.running.stop()

    restarted = await Running(create_app(app_config(pbx, hotline.dsn, short_prompts_dir))).start()
    try:
        await wait_for(restarted.app[CONNECTED].is_set, what="ARI reconnected")
        await hotline.reached("Waiting", "resumed", {"phase": "queued"})
        await hotline.reached("Talking", "resumed", {"phase": "connected"})
        assert not talking.ended
        # The facility's clock still runs from the answer (the channel's creation time).
        waiting = await hotline.call_row("Waiting")
        session = next(s for s in restarted.app[DISPATCHER].sessions.values()
                       if s.call_id == waiting["id"])
        assert abs(session.answered_at - waiting["answered_at"].timestamp()) < 2
        # The waiting caller kept the place and reaches the next operator.
        await wait_for(lambda: "op-c" in restarted.app[ACD].picture.online, what="op-c online")
        assert await restarted.app[ACD].operator_action("op-c", "login")
        await hotline.phones.answer(await hotline.phones.offer("op-c"), record=False)
        await hotline.reached("Waiting", "connected", {"operator": "op-c"})
        # The bridged call kept talking; when the operator hangs up, the caller is released.
        await hotline.phones.hang_up(operator_leg)
        row = await hotline.closed("Talking")
        assert (row["disposition"], row["hangup_by"]) == ("answered", "operator")
    finally:
        await restarted.stop()


async def test_a_failing_handler_still_ends_in_voicemail(
    hotline: Hotline, monkeypatch: Any
) -> None:
    """Fault injection: no real part can make our own handler raise, so a patch does."""
    original = CallSession._carry_out

    async def broken(self: CallSession, command: Any) -> None:
        if isinstance(command, EnterQueue):
            raise RuntimeError("injected fault")
        await original(self, command)

    monkeypatch.setattr(CallSession, "_carry_out", broken)
    call = await hotline.to_queue("Unlucky")
    await hotline.reached("Unlucky", "error", {"reason": "RuntimeError"})
    await voicemail_left(hotline, "Unlucky", "error")
    await hotline.carrier.hang_up(call)
    rows = await wait_for(lambda: hotline.sql(
        "SELECT v.reason FROM voicemails v JOIN calls c ON c.id = v.call_id "
        "WHERE c.caller_name = 'Unlucky'"), what="voicemail saved")
    assert rows[0]["reason"] == "error"


SOFTPHONE_PASSWORD = "softphone-Secret-2024"


async def softphone_operator(hotline: Hotline, softphone: Any) -> Softphone:
    """op-d, added while everything runs, in every queue, on Debian's baresip."""
    con = await asyncpg.connect(hotline.dsn)
    try:
        op = await store.add(con, store.validate("Softphone operator", "op-d",
                                                    SOFTPHONE_PASSWORD, ["en"], LANGUAGES))
        await con.execute("INSERT INTO operator_queues SELECT $1, id FROM queues", op.id)
    finally:
        await con.close()
    await wait_for(lambda: "op-d" in hotline.app[ACD].picture.operators, what="op-d loaded")

    async def pushed() -> bool:  # the queues may read the table before the sync has run
        return any(e["resource"] == "op-d" for e in await hotline.app[ARI].endpoints("PJSIP"))

    await wait_for(pushed, what="op-d's account on the PBX")
    phone: Softphone = softphone("op-d", SOFTPHONE_PASSWORD)
    await wait_for(lambda: "op-d" in hotline.app[ACD].picture.online, timeout=20,
                   what="baresip registered")
    return phone


async def test_a_genuine_softphone_answers_a_hotline_call(
    hotline: Hotline, softphone: Any
) -> None:
    """Debian's baresip registers as a new operator (added while everything runs) and
    answers; the caller hears the softphone's microphone (a 400 Hz tone)."""
    phone = await softphone_operator(hotline, softphone)
    await hotline.login("op-d")
    call = await hotline.to_queue("Softphone caller")
    await hotline.reached("Softphone caller", "connected", {"operator": "op-d"})
    heard = Path(hotline.carrier.recording_path(call))
    await wait_for(lambda: tone_level(heard, 400) > HEARD, what="the caller hears the operator")
    await hotline.carrier.hang_up(call)
    row = await hotline.closed("Softphone caller")
    assert (row["disposition"], row["hangup_by"]) == ("answered", "caller")
    assert phone.running()


async def test_the_readme_demo_softphone_to_softphone(
    pbx: Any, app_dsn: str, short_prompts_dir: str, softphone: Any
) -> None:
    """As the README's demo: one softphone is the demo operator (logged in by the demo
    data), another registers as the demo caller and dials a demo DID; pressing nothing,
    the caller goes through the IVR in the line's language and reaches the operator."""
    started = await Running(create_app(app_config(pbx, app_dsn, short_prompts_dir))).start()
    app = started.app
    try:
        await wait_for(app[CONNECTED].is_set, what="ARI connected")
        _, username, password, _ = demo.DEMO_OPERATOR
        softphone(username, password)
        await wait_for(lambda: username in app[ACD].picture.online, timeout=20,
                       what="the operator softphone registered")
        softphone("caller", DEMO_CALLER_PASSWORD, "/dial 15550100101")

        async with Statements(app_dsn).opened() as statements:
            async def connected() -> bool:
                return bool(await statements.fetch(
                    "SELECT 1 FROM calls WHERE connected_at IS NOT NULL"))

            await wait_for(connected, timeout=60, what="the caller reached the demo operator")
    finally:
        await started.stop()


async def test_waiting_callers_hear_their_place_and_the_expected_wait(hotline: Hotline) -> None:
    await hotline.sql("UPDATE queues SET announce_every_seconds = 10")
    await hotline.app[ACD].reload()
    await hotline.login("op-a")
    await hotline.app[ACD].operator_action("op-a", "pause", "training")
    await hotline.to_queue("First in line")
    await hotline.to_queue("Second in line")
    await hotline.reached("Second in line", "announced", {"position": "2"}, timeout=20)
    await hotline.reached("First in line", "announced", {"position": "1"}, timeout=20)


async def test_a_softphone_that_died_and_came_back_gets_the_waiting_caller_at_once(
    hotline: Hotline, softphone: Any
) -> None:
    """The softphone dies without unregistering (a crash, lost wifi) while a caller waits:
    Asterisk rings its last contact until qualify finds it gone. The offer ringing then is
    withdrawn (it rang nowhere, and held the caller for the rest of its ring timeout, 30 s
    on the walkthrough's demo), so the softphone started again gets the caller at once."""
    await hotline.sql("UPDATE queues SET ring_timeout_seconds = 60")
    acd = hotline.app[ACD]
    await acd.reload()
    phone = await softphone_operator(hotline, softphone)
    await hotline.login("op-d")
    assert phone.process is not None
    phone.process.send_signal(signal.SIGKILL)
    phone.process.wait()
    call = await hotline.to_queue("Phone died")
    await wait_for(lambda: "op-d" in acd.picture.staff.ringing, what="the dead phone offered")
    hotline.pbx.cli("pjsip qualify op-d")  # as its next qualify would, in up to 30 s
    await wait_for(lambda: "op-d" not in acd.picture.online, what="op-d offline")
    await wait_for(lambda: "op-d" not in acd.picture.staff.ringing, timeout=5,
                   what="the offer to the dead phone withdrawn")
    came_back = time.monotonic()
    softphone("op-d", SOFTPHONE_PASSWORD)
    await hotline.reached("Phone died", "connected", {"operator": "op-d"})
    assert time.monotonic() - came_back < 10  # not the rest of the 60 s ring
    # The dead phone's offer was not the operator's miss.
    missed = [e for e in await hotline.queue_events("ring_no_answer")
              if e["caller_name"] == "Phone died"]
    assert missed == []
    await hotline.carrier.hang_up(call)


async def test_a_caller_gone_during_the_voicemail_invitation_left_no_message(
    hotline_factory: Any
) -> None:
    """Sent to voicemail (nobody logged in), the caller hangs up while the invitation plays:
    no message to review, so the call says "no message left", not "voicemail", on /calls
    and in the statistics (their own column, the voicemails' stays at 0)."""
    hotline: Hotline = await hotline_factory(web=True)
    call = await hotline.to_queue("Gone early")
    await hotline.reached("Gone early", "voicemail", {"reason": "no_operators"})
    await hotline.carrier.hang_up(call)
    closed = await hotline.closed("Gone early")
    assert (closed["disposition"], closed["hangup_by"]) == ("no_message", "caller")
    kinds = [r["kind"] for r in await hotline.sql(
        "SELECT kind FROM call_events WHERE call_id = $1 ORDER BY id", closed["id"])]
    assert "prompt_finished" not in kinds[kinds.index("voicemail"):]  # gone before the beep
    assert await hotline.sql("SELECT 1 FROM voicemails WHERE call_id = $1", closed["id"]) == []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        supervisor = Client(hotline.base_url, http)
        assert await supervisor.sign_in("supervisor1") == 303
        status, page = await supervisor.get("/calls?outcome=no_message")
        assert status == 200 and f'href="/calls/{closed["id"]}"' in page
        assert "<td>no message left" in page
        day = closed["started_at"].astimezone(ZoneInfo("America/New_York")).date()
        status, text = await supervisor.get(f"/statistics/line.csv?period=day&date={day}")
        assert status == 200, text
        total = {row["Line"]: row for row in csv.DictReader(io.StringIO(text))}["Total"]
        assert (total["No message left"], total["Voicemail"]) == ("1", "0")
