"""The shorter path to a person (issue 14), over real SIP: a key stops the prompt it is
valid for, keys pressed ahead are applied in order, and a closed line says so first.

The first two tests run the short test prompts with a long greeting (long enough to
interrupt) and, for keys pressed ahead, long notices (long enough to press keys in);
the closed-line tests give each prompt that matters a tone of its own, to hear the order.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from devstack import asterisk
from lifeline_pbx import prompts
from lifeline_pbx.prompts import tones
from tests import audio
from tests.audio import tone_level, tone_start
from tests.carrier import CarrierCall
from tests.engine import DID, Hotline
from tests.waiting import wait_for

SHORT_HZ = 660  # every other prompt of the short test prompts (tests/engine.py)
BEEP_HZ = tones.TONES["beep"][0][0]
CLOSURE_HZ, DAY_HZ, TIME_HZ, TRIAGE_HZ, OFFER_HZ = 1750, 1250, 1500, 2000, 2250
# Long enough that the keys (sent 0.2 s apart) arrive while they play, even on a busy host.
GREETING_SECONDS, NOTICES_SECONDS = 8.0, 3.0


async def timeline(hotline: Hotline, caller: str) -> list[tuple[str, dict[str, str]]]:
    rows = await hotline.sql(
        """SELECT e.kind, e.detail::text AS detail FROM call_events e
           JOIN calls c ON c.id = e.call_id WHERE c.caller_name = $1 ORDER BY e.id""", caller)
    return [(r["kind"], json.loads(r["detail"])) for r in rows]


def seconds(rt: asterisk.Runtime, folder: str, language: str, name: str) -> float:
    return audio.seconds(rt.host_path(f"{folder}/{language}/{name}.wav"))


async def answered_to_queued(hotline: Hotline, caller: str) -> float:
    row = await hotline.call_row(caller)
    return float((row["queued_at"] - row["answered_at"]).total_seconds())


def _lasting(folder: Path, seconds: float, *names: str) -> None:
    """These prompts, in every language, a tone this long (the others stay 0.2 s)."""
    data = tones.samples(((SHORT_HZ, seconds),))
    for language in prompts.LANGUAGES:
        for name in names:
            tones.write_wav(folder / language / f"{name}.wav", data)


async def test_a_language_digit_during_the_greeting_queues_by_the_short_path(
    hotline_factory: Any, own_prompts: str, asterisk_runtime: asterisk.Runtime,
) -> None:
    _lasting(asterisk_runtime.host_path(own_prompts), GREETING_SECONDS, "greeting")
    hotline: Hotline = await hotline_factory(prompts=own_prompts)
    await hotline.login("op-b")
    call = await hotline.call("At once")  # returns once the PBX has answered
    await hotline.carrier.send_dtmf(call, "2")
    await hotline.reached("At once", "queued")
    offer = await hotline.phones.offer("op-b")
    kinds = await timeline(hotline, "At once")
    names = [kind for kind, _ in kinds]
    assert ("interrupted", {"prompt": "greeting"}) in kinds
    assert ("language", {"language": "es"}) in kinds
    # The greeting never finished: the first prompt to end is the (short) notices.
    assert names.index("interrupted") < names.index("prompt_finished")
    assert "invalid_choice" not in names and "language_default" not in names
    greeting = seconds(asterisk_runtime, own_prompts, "en", "greeting")
    menu = sum(seconds(asterisk_runtime, own_prompts, language, f"language-choice-{digit}")
               for digit, language in (("1", "en"), ("2", "es"), ("3", "ht"), ("4", "fr")))
    waited = await answered_to_queued(hotline, "At once")
    assert waited < greeting + menu  # faster than hearing the greeting and menu out
    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(offer)


async def test_keys_pressed_ahead_are_applied_in_order(
    hotline_factory: Any, own_prompts: str, asterisk_runtime: asterisk.Runtime,
) -> None:
    """'2' chooses Spanish during the greeting, '*' asks for the notices in full, '5'
    waits for them to end and answers the triage question, which is then never asked."""
    folder = asterisk_runtime.host_path(own_prompts)
    _lasting(folder, GREETING_SECONDS, "greeting")
    _lasting(folder, NOTICES_SECONDS, "confidentiality-short", "confidentiality")
    hotline: Hotline = await hotline_factory(prompts=own_prompts)
    await hotline.login("op-b")
    call = await hotline.call("Ahead")
    await hotline.carrier.send_dtmf(call, "2*5")
    await hotline.reached("Ahead", "queued")
    kinds = await timeline(hotline, "Ahead")
    keyed = [(kind, detail) for kind, detail in kinds if kind in (
        "interrupted", "language", "notices_full", "key_kept", "key_applied", "queued")]
    assert keyed == [
        ("interrupted", {"prompt": "greeting"}), ("language", {"language": "es"}),
        ("notices_full", {}), ("key_kept", {"digit": "5"}), ("key_applied", {"digit": "5"}),
        ("queued", {"priority": "0"}),
    ]
    # The full notices were heard to their end before the kept key was applied.
    finished = [kind for kind, _ in kinds].index("prompt_finished")
    assert kinds[finished + 1] == ("key_applied", {"digit": "5"})
    assert "triage_asked" not in [kind for kind, _ in kinds]
    offer = await hotline.phones.offer("op-b")
    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(offer)


def _tones_of_their_own(folder: Path) -> None:
    """The closure, the next opening (every day and time), the emergency key and the offer,
    each its tone."""
    def write(name: str, hz: float) -> None:
        tones.write_wav(folder / "en" / f"{name}.wav", tones.samples(((hz, 0.6),)))

    for name in ("voicemail-closed", "technical-difficulty"):
        write(name, CLOSURE_HZ)
    for name in prompts.variant_names("next-open-day"):
        write(name, DAY_HZ)
    for name in prompts.variant_names("next-open-time"):
        write(name, TIME_HZ)
    write("triage-9", TRIAGE_HZ)
    write("voicemail-offer", OFFER_HZ)


async def _closed_call(hotline: Hotline, caller: str) -> tuple[CarrierCall, Path]:
    """Call the closed line, press keys meanwhile (any but the emergency key changes
    nothing), and wait until it records a message; what the carrier heard."""
    call = await hotline.call(caller)
    await hotline.carrier.send_dtmf(call, "15")
    await hotline.reached(caller, "voicemail", {"reason": "closed"})
    call_id = (await hotline.call_row(caller))["id"]
    await wait_for(lambda: hotline.session_of(call_id).state.phase.value == "recording",
                   what="the voicemail recording")
    await hotline.carrier.hang_up(call)
    await hotline.carrier.ended(call)
    await wait_for(lambda: call.recording() is not None, what="carrier recording closed")
    return call, Path(hotline.carrier.recording_path(call))


def _closure_first(heard: Path) -> None:
    order = [tone_start(heard, hz)
             for hz in (CLOSURE_HZ, DAY_HZ, TIME_HZ, TRIAGE_HZ, OFFER_HZ, BEEP_HZ)]
    assert order == sorted(order) and order[-1] < math.inf, order
    assert order[0] < 1.0  # the first thing heard on answer
    assert tone_level(heard, SHORT_HZ) < 0.2  # no greeting, menu or notices


async def _with_tones(hotline_factory: Any, own_prompts: str,
                      always_open: bool) -> tuple[Hotline, datetime]:
    """The hotline with each closed-path prompt a tone of its own; now, in the line's zone."""
    hotline: Hotline = await hotline_factory(prompts=own_prompts, always_open=always_open)
    _tones_of_their_own(hotline.pbx.runtime.host_path(own_prompts))
    zone = await hotline.value("SELECT f.timezone FROM lines l JOIN facilities f "
                               "ON f.id = l.facility_id WHERE l.did = $1", DID)
    return hotline, datetime.now(UTC).astimezone(ZoneInfo(zone))


async def test_a_closed_line_says_so_and_when_it_opens_then_offers_voicemail(
    hotline_factory: Any, own_prompts: str,
) -> None:
    hotline, now = await _with_tones(hotline_factory, own_prompts, always_open=False)
    opens = now + timedelta(days=2)
    await hotline.sql("DELETE FROM line_hours WHERE line_id = (SELECT id FROM lines "
                      "WHERE did = $1)", DID)
    await hotline.sql("INSERT INTO line_hours SELECT id, $2, '09:30', '17:00' FROM lines "
                      "WHERE did = $1", DID, opens.weekday())
    await hotline.login("op-a")  # logged in, but the line is closed
    _call, heard = await _closed_call(hotline, "After hours")
    kinds = await timeline(hotline, "After hours")
    assert kinds[:2] == [("answered", {}),
                         ("voicemail", {"reason": "closed", "prompt": "voicemail-closed"})]
    _closure_first(heard)
    voicemail = await wait_for(lambda: hotline.sql(
        "SELECT v.reason, v.language FROM voicemails v JOIN calls c ON c.id = v.call_id "
        "WHERE c.caller_name = 'After hours'"), what="voicemail row")
    assert tuple(voicemail[0]) == ("closed", "en")


async def test_a_closure_day_says_its_reason_first_then_offers_voicemail(
    hotline_factory: Any, own_prompts: str,
) -> None:
    hotline, now = await _with_tones(hotline_factory, own_prompts, always_open=True)
    today = now.date()
    await hotline.sql("INSERT INTO line_holidays (line_id, day, name, prompt) SELECT id, $2, "
                      "'Closure', 'technical-difficulty' FROM lines WHERE did = $1", DID, today)
    await hotline.login("op-a")
    _call, heard = await _closed_call(hotline, "Closure day")
    kinds = await timeline(hotline, "Closure day")
    assert kinds[:2] == [("answered", {}), (
        "voicemail", {"reason": "closed", "prompt": "technical-difficulty"})]
    _closure_first(heard)  # the next opening: tomorrow at midnight
