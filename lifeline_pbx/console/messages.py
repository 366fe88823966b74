"""What the operator console is told, as JSON-ready dicts: built by pure functions.

Nothing here identifies a caller: the facility, the line, the language and the triage are
what the screen pop needs; the person is only known once the operator types the A-number.
Times are epoch seconds on the server's clock; `server_time` lets the browser work out its
own clock's offset, so the call timer does not depend on the volunteer's laptop clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators.display import operator_name
from lifeline_pbx.queues import more_time, picture, routing
from lifeline_pbx.queues.picture import CutOff, TalkEnd
from lifeline_pbx.web.times import hotline_clock

Message = dict[str, Any]
PAUSE_REASONS = ("break", "meal", "training", "meeting", "technical problem", "other")
NOTE_MAX = 100


@dataclass(frozen=True)
class PopInfo:
    """One bridged call, as the operator's screen pop shows it."""

    call_id: str
    facility_id: int | None
    facility: str
    line: str
    did: str
    language: str
    triage: int  # 0 normal, 1 emergency (from the IVR)
    waited: float  # seconds in the queue
    connected_at: float
    answered_at: float  # when the PBX answered: the facility's cut counts from it
    call_limit: int  # seconds until the facility cuts the line, from answered_at
    limit_warning: int  # warn this many seconds before the cut
    language_missing: bool = False  # the operator does not list the caller's language
    cut_off: str = ""  # the caller was cut off from another operator before: what to say


def triage_word(triage: int) -> str:
    """The triage as the console says it (and the supervisors' call pages after it)."""
    return "Emergency" if triage > 0 else "Not urgent"


def language_missing(language: str, operator_languages: Iterable[str] | None) -> bool:
    """The caller chose a language the operator does not list (put through to them once the
    language wait was over: queues/routing.py). Unknown either way: nothing to say."""
    return bool(language) and operator_languages is not None \
        and language not in operator_languages


def call(pop: PopInfo, now: float) -> Message:
    return {
        "type": "call", "call_id": pop.call_id, "facility_id": pop.facility_id,
        "facility": pop.facility, "line": pop.line, "did": pop.did, "language": pop.language,
        "triage": pop.triage, "triage_word": triage_word(pop.triage),
        "waited": round(pop.waited), "connected_at": pop.connected_at,
        "answered_at": pop.answered_at,
        "call_limit": pop.call_limit, "limit_warning": pop.limit_warning,
        "language_missing": pop.language_missing, "cut_off": pop.cut_off,
        "server_time": now,
    }


def call_ended(call_id: str, wrapup: float, words: str, now: float) -> Message:
    """words: how the call ended, as the operator is told (ended_words)."""
    return {"type": "call_ended", "call_id": call_id, "wrapup": round(wrapup),
            "words": words, "server_time": now}


def ended_words(end: TalkEnd, names: Mapping[str, str]) -> str:
    """How the operator's talk ended, as their console says it. A facility that cuts the
    line looks to the PBX like the caller hanging up: both are "The caller hung up"."""
    if end.how == picture.TRANSFERRED:
        if end.to == picture.OUTSIDE:
            return "You transferred the call to an outside number."
        return f"You transferred the call to {operator_name(end.to, names)}."
    return _ENDED.get(end.how, "The call ended.")


_ENDED = {
    picture.CALLER_LEFT: "The caller hung up.",
    picture.OPERATOR_LEFT: "You hung up.",
    picture.PHONE_LOST: "Your phone stopped sending sound: the caller was put back in the queue.",
    picture.REQUEUED: "You sent the caller to another queue.",
}


def cut_off_words(cut: CutOff | None, names: Mapping[str, str]) -> str:
    """What the next operator of a caller whose last operator's phone died is told."""
    if cut is None:
        return ""
    at = hotline_clock(dt.datetime.fromtimestamp(cut.at, dt.UTC))
    return (f"Cut off from another volunteer ({operator_name(cut.operator, names)}) at {at}: "
            "they may need to start again.")


def staff(operators: Sequence[str], names: Mapping[str, str], now: float) -> Message:
    """Whom the operator's call may be transferred to now (it changed since last told), by
    SIP username, and each as the list shows them (names: SIP username -> display name)."""
    return {"type": "staff", "operators": list(operators),
            "names": {u: operator_name(u, names) for u in operators}, "server_time": now}


# What an operator's phone may be on besides a queue call (outbound/legs.Request purposes
# of legs to their phone), as their console says it.
SIDE_CALLS = {
    "callback": "On a relay call",
    "transfer": "On a transfer from another operator",
    "oncall": "On an emergency call (on-call list)",
}
SIDE_CALL = "On another call"


def state(op: routing.Operator | None, pause_reason: str, on_call: bool, now: float,
          side_call: str | None = None, phone_online: bool = False,
          more_presses: int = 0) -> Message:
    """The operator's availability; `known` is false for a disabled or unknown SIP account.
    side_call: the purpose of a leg the distributor did not place that their phone is on
    (a relay call...): busy on it, and no wrap-up shown until it ends.
    phone_online: their phone is registered, as the distributor knows it (offline, no call
    can reach them however ready they are).
    more_presses: "More time" pressed so far in this wrap-up (the console asks by itself
    while there are presses left, and warns once there are none)."""
    side = None if side_call is None else SIDE_CALLS.get(side_call, SIDE_CALL)
    if op is None:
        return {"type": "state", "known": False, "logged_in": False, "paused": False,
                "pause_reason": "", "wrapup_until": None, "on_call": False, "side_call": side,
                "phone_online": phone_online, "more_left": 0, "server_time": now}
    wrapping = op.logged_in and not on_call and side is None and op.wrapup_until > now
    return {
        "type": "state", "known": True, "logged_in": op.logged_in,
        "paused": op.logged_in and op.paused,
        "pause_reason": pause_reason if op.logged_in and op.paused else "",
        "wrapup_until": op.wrapup_until if wrapping else None,
        "on_call": on_call, "side_call": side, "phone_online": phone_online,
        "more_left": max(0, more_time.MOST - more_presses), "server_time": now,
    }


@dataclass(frozen=True)
class Waiting:
    """Callers waiting in some queues: how many, since when the longest (epoch s), and how
    many of them are emergencies."""

    count: int = 0
    since: float | None = None
    emergencies: int = 0


def queue_waits(waiters: Iterable[tuple[int, float, bool]]) -> dict[int, Waiting]:
    """(queue id, entered at, an emergency) of every waiting caller -> what waits in each
    queue."""
    found: dict[int, Waiting] = {}
    for queue_id, entered_at, emergency in waiters:
        was = found.get(queue_id, Waiting())
        since = entered_at if was.since is None else min(was.since, entered_at)
        found[queue_id] = Waiting(was.count + 1, since, was.emergencies + emergency)
    return found


def waiting_in(queues: Iterable[str], waits: Mapping[int, Waiting]) -> Waiting:
    """What waits in these queues (an operator's, by id as routing holds them)."""
    mine = [waits[int(q)] for q in queues if q.isdigit() and int(q) in waits]
    starts = [w.since for w in mine if w.since is not None]
    return Waiting(sum(w.count for w in mine), min(starts) if starts else None,
                   sum(w.emergencies for w in mine))


def _counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def waiting_words(found: Waiting) -> str:
    """"2 callers waiting", "1 emergency waiting", "1 emergency and 2 other callers
    waiting": an emergency is said first, so an operator on a break comes back for it."""
    others = found.count - found.emergencies
    if not found.emergencies:
        return _counted(found.count, "caller", "callers") + " waiting"
    said = _counted(found.emergencies, "emergency", "emergencies")
    if others:
        said += " and " + _counted(others, "other caller", "other callers")
    return said + " waiting"


def waiting(found: Waiting, now: float) -> Message:
    """Callers waiting in the operator's own queues: a count, how many are emergencies, the
    longest wait's start and the words for it; nothing about who they are (the console
    says it while its operator takes no calls)."""
    return {"type": "waiting", "count": found.count, "emergencies": found.emergencies,
            "said": waiting_words(found), "since": found.since, "server_time": now}


def pause_reason(reason: str, note: str) -> str:
    """The stored reason: one of PAUSE_REASONS, with the operator's note if any.

    Raises Invalid with a message for the operator.
    """
    if reason not in PAUSE_REASONS:
        raise Invalid("Choose a pause reason from the list.", "reason")
    note = " ".join(note.split())  # line breaks and tabs become single spaces
    if not note.isprintable():
        raise Invalid("The note cannot contain control characters.", "note")
    if len(note) > NOTE_MAX:
        raise Invalid(f"The note is limited to {NOTE_MAX} characters.", "note")
    return f"{reason}: {note}" if note else reason
