"""A day of calls whose statistics are worked out by hand (the figures in EXPECTED_*).

The day is Tuesday 2024-03-12 in America/New_York (UTC-4 that day: midnight is 04:00 UTC).
Ten calls fall in it, one falls the evening before (23:59 local, 03:59 UTC on the 12th) and
must not count. Rows are written as the record writer writes them (with the voicemail
reason and the wait that calls/call_record.py derives from the call's timeline and the
queue log), and the timeline and the queue log as the engine writes them.

    call  line  language queue    what happened                      wait  talk  operator
    1     A     en       Hotline  answered 09:00                       10   300  op1
    2     A     es       Hotline  answered 09:20                       40   120  op1
    3     A     en       Hotline  hung up waiting 10:05                25
    4     A     -        -        hung up in the IVR 10:30
    5     B     es       Hotline  waited too long, voicemail 11:00    600
    6     B     -        -        line closed, voicemail 07:00
    7     B     es       Hotline  answered 13:00                        5    60  op2
    8     -     -        -        number not in service 14:00
    9     A     en       Hotline  answered 15:00                       30   600  op2
    10    A     -        -        hung up in the IVR 23:30
    (11   A     en       Hotline  answered 2024-03-11 23:59: the day before)

Operators (the queues' wrap-up is 30 s):
- op1 took call 11 the day before: its wrap-up runs 20 s past midnight into the day.
  op1 logs in 08:00; after call 2 is ready 10 s into wrap-up; pauses 12:00-12:45 ("lunch")
  and 16:00 ("training") until logging out at 17:00.
- op2 serves two queues (each line of its queue log is written twice); logged in since
  20:00 the day before, paused ("break") 22:00 the day before to 00:30; after call 9 logs
  out 15 s into wrap-up, logs in again at 15:30 and stays to the end of the day.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg

from lifeline_pbx.statistics.figures import Figures

ZONE = "America/New_York"
DAY = dt.date(2024, 3, 12)
_NY = ZoneInfo(ZONE)


def at(clock: str, day: dt.date = DAY) -> dt.datetime:
    """A local time of the day (HH:MM or HH:MM:SS), as an aware UTC datetime."""
    local = dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=_NY)
    return local.astimezone(dt.UTC)


BEFORE = DAY - dt.timedelta(days=1)


@dataclass(frozen=True)
class Loaded:
    line_a: int
    line_b: int
    facility_a: int
    facility_b: int
    hotline: int
    spanish: int
    op1: int
    op2: int


# (call, line, language, queued, connected, ended, disposition, voicemail reason,
#  queue-log kind with its wait, operator)
Spec = tuple[int, str | None, str | None, str | None, str | None, str, str, str | None,
             tuple[str, int] | None, int | None]
CALLS: tuple[Spec, ...] = (
    (1, "A", "en", "09:00:00", "09:00:10", "09:05:10", "answered", None, ("connected", 10), 1),
    (2, "A", "es", "09:20:00", "09:20:40", "09:22:40", "answered", None, ("connected", 40), 1),
    (3, "A", "en", "10:05:00", None, "10:05:25", "abandoned", None, ("abandoned", 25), None),
    (4, "A", None, None, None, "10:30:40", "abandoned", None, None, None),
    (5, "B", "es", "11:00:00", None, "11:12:00", "voicemail", "max_wait", ("timeout", 600),
     None),
    (6, "B", None, None, None, "07:01:30", "voicemail", "closed", None, None),
    (7, "B", "es", "13:00:00", "13:00:05", "13:01:05", "answered", None, ("connected", 5), 2),
    (8, None, None, None, None, "14:00:20", "not_in_service", None, None, None),
    (9, "A", "en", "15:00:00", "15:00:30", "15:10:30", "answered", None, ("connected", 30), 2),
    (10, "A", None, None, None, "23:30:50", "abandoned", None, None, None),
)
STARTS = {1: "08:59:30", 2: "09:19:30", 3: "10:04:30", 4: "10:30:00", 5: "10:59:30",
          6: "07:00:00", 7: "12:59:30", 8: "14:00:00", 9: "14:59:30", 10: "23:30:00"}

# The figures worked out by hand (see the module's docstring).
EXPECTED_TOTAL = Figures(
    received=10, answered=4, closed=1, voicemail=1, abandoned_ivr=2, abandoned_queue=1,
    other=1, left_queue=6, within=3, wait_median=27.5, wait_p90=320.0, wait_max=600.0,
    talk_seconds=1080.0, talked=4)
EXPECTED_LINE_A = Figures(
    received=6, answered=3, abandoned_ivr=2, abandoned_queue=1, left_queue=4, within=2,
    wait_median=27.5, wait_p90=37.0, wait_max=40.0, talk_seconds=1020.0, talked=3)
EXPECTED_LINE_B = Figures(
    received=3, answered=1, closed=1, voicemail=1, left_queue=2, within=1,
    wait_median=302.5, wait_p90=540.5, wait_max=600.0, talk_seconds=60.0, talked=1)
EXPECTED_NO_LINE = Figures(received=1, other=1)
EXPECTED_LANGUAGES = {
    "en": Figures(received=3, answered=2, abandoned_queue=1, left_queue=3, within=2,
                  wait_median=25.0, wait_p90=29.0, wait_max=30.0, talk_seconds=900.0,
                  talked=2),
    "es": Figures(received=3, answered=2, voicemail=1, left_queue=3, within=1,
                  wait_median=40.0, wait_p90=488.0, wait_max=600.0, talk_seconds=180.0,
                  talked=2),
    "": Figures(received=4, closed=1, abandoned_ivr=2, other=1),
}
# Seconds, per operator: (answered, logged in, talking, wrap-up, {pause reason: paused})
EXPECTED_OPERATORS: dict[str, tuple[int, float, float, float, dict[str, float]]] = {
    "op1": (2, 9 * 3600, 420, 20 + 30 + 10, {"lunch": 2700, "training": 3600}),
    "op2": (2, 54645 + 30600, 660, 30 + 15, {"break": 1800}),
}


async def load(con: asyncpg.Connection) -> Loaded:
    lines = {r["did"]: (r["id"], r["facility_id"])
             for r in await con.fetch("SELECT id, did, facility_id FROM lines ORDER BY id")}
    (line_a, facility_a), (line_b, facility_b) = list(lines.values())[:2]
    hotline = await con.fetchval("SELECT id FROM queues ORDER BY id LIMIT 1")
    spanish = await con.fetchval("INSERT INTO queues (name) VALUES ('Spanish') RETURNING id")
    op1 = await con.fetchval("SELECT id FROM operators WHERE sip_username = 'operator1'")
    op2 = await con.fetchval(
        """INSERT INTO operators (display_name, sip_username, sip_md5_cred)
           VALUES ('Second Operator', 'operator2', repeat('a', 32)) RETURNING id""")
    loaded = Loaded(line_a, line_b, facility_a, facility_b, hotline, spanish, op1, op2)
    for call in CALLS:
        await _call(con, loaded, call, STARTS[call[0]], DAY)
    await _call(con, loaded, (11, "A", "en", "23:59:10", "23:59:20", "23:59:50", "answered",
                              None, ("connected", 10), 1), "23:59:00", BEFORE)
    await _operator_log(con, loaded)
    return loaded


async def calls_on(con: asyncpg.Connection, loaded: Loaded, day: dt.date) -> None:
    """The day's ten calls again on another day (the queue log of operators left out)."""
    for call in CALLS:
        await _call(con, loaded, call, STARTS[call[0]], day)


async def _call(con: asyncpg.Connection, loaded: Loaded, call: Spec,
                start: str, day: dt.date) -> None:
    _, line, language, queued, connected, ended, disposition, reason, logged, operator = call
    call_id = uuid.uuid4()
    line_id, facility_id = {"A": (loaded.line_a, loaded.facility_a),
                            "B": (loaded.line_b, loaded.facility_b)}.get(
        str(line), (None, None))
    when = {name: at(str(value), day) if value else None for name, value in
            (("queued", queued), ("connected", connected), ("ended", ended))}
    operator_id = {1: loaded.op1, 2: loaded.op2}.get(operator or 0)
    await con.execute(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, facility_id,
               caller_number, caller_name, started_at, answered_at, queued_at, queue_id,
               language, connected_at, operator_id, ended_at, disposition, hangup_by,
               voicemail_reason, wait_seconds)
           VALUES ($1, $2, 'PJSIP/carrier-1', '15550100999', $3, $4, 'anonymous', '', $5,
                   $5, $6, $7, $8, $9, $10, $11, $12, 'caller', $13, $14)""",
        call_id, f"chan-{call_id.hex[:8]}", line_id, facility_id, at(start, day),
        when["queued"], loaded.hotline if queued else None, language, when["connected"],
        operator_id, when["ended"], disposition, reason,
        float(logged[1]) if logged else None)
    if reason:
        await con.execute(
            "INSERT INTO call_events (call_id, at, kind, detail) VALUES ($1, $2, $3, $4)",
            call_id, when["ended"], "voicemail", json.dumps({"reason": reason, "prompt": "x"}))
    if logged:
        kind, wait = logged
        await con.execute(
            """INSERT INTO queue_events (at, kind, queue_id, call_id, operator_id, wait_seconds)
               VALUES ($1, 'entered', $2, $3, NULL, NULL),
                      ($1 + $4 * interval '1 second', $5, $2, $3, $6, $4)""",
            when["queued"], loaded.hotline, call_id, float(wait), kind, operator_id)


async def _operator_log(con: asyncpg.Connection, loaded: Loaded) -> None:
    rows = [
        (loaded.op1, (loaded.hotline,), at("08:00"), "login", ""),
        (loaded.op1, (loaded.hotline,), at("09:22:50"), "ready", ""),
        (loaded.op1, (loaded.hotline,), at("12:00"), "pause", "lunch"),
        (loaded.op1, (loaded.hotline,), at("12:45"), "unpause", ""),
        (loaded.op1, (loaded.hotline,), at("16:00"), "pause", "training"),
        (loaded.op1, (loaded.hotline,), at("17:00"), "logout", ""),
        (loaded.op2, (loaded.hotline, loaded.spanish), at("20:00", BEFORE), "login", ""),
        (loaded.op2, (loaded.hotline, loaded.spanish), at("22:00", BEFORE), "pause", "break"),
        (loaded.op2, (loaded.hotline, loaded.spanish), at("00:30"), "unpause", ""),
        (loaded.op2, (loaded.hotline, loaded.spanish), at("15:10:45"), "logout", ""),
        (loaded.op2, (loaded.hotline, loaded.spanish), at("15:30"), "login", ""),
    ]
    await con.executemany(
        "INSERT INTO queue_events (at, kind, queue_id, operator_id, detail) "
        "VALUES ($1, $2, $3, $4, $5)",
        [(when, kind, queue_id, operator_id, detail)
         for operator_id, queues, when, kind, detail in rows for queue_id in queues])
