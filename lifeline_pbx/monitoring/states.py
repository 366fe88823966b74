"""What the metrics say about calls and operators, as label values: pure functions.

Label values are a closed set of words (a state, a known pause reason, a language code),
never free text from a person: no caller number or name, no operator's username, no note
typed with a pause. What does not fit the set is counted under "other".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from lifeline_pbx.calls.model import Phase
from lifeline_pbx.console.messages import PAUSE_REASONS
from lifeline_pbx.queues import routing
from lifeline_pbx.queues.staff import MISSED_CALLS

CALL_STATES = ("ivr", "waiting", "ringing", "talking", "voicemail", "ending")
OPERATOR_STATES = ("logged_out", "ready", "ringing", "talking", "wrap_up", "paused",
                   "phone_offline")
OTHER = "other"
# The console's list (its last is "other"), the automatic pause, and a reason not found.
PAUSE_LABELS = tuple(dict.fromkeys((*PAUSE_REASONS, MISSED_CALLS, OTHER, "unknown")))
QUEUE_OUTCOMES = ("answered", "abandoned", "timeout", "voicemail")

# The calls' own phases that are not the queue's: in a queue (waiting, ringing) or
# talking, the distributor's picture says which, not the call's phase.
_PHASES = {
    Phase.NEW: "ivr", Phase.GREETING: "ivr", Phase.LANGUAGE: "ivr", Phase.NOTICES: "ivr",
    Phase.TRIAGE: "ivr", Phase.VOICEMAIL: "voicemail", Phase.RECORDING: "voicemail",
    Phase.CLOSING: "ending", Phase.HANGING_UP: "ending",
}
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-zA-Z0-9]{2,8})?")


def call_states(phases: Iterable[Phase], queued_ringing: Iterable[bool],
                talking: int) -> dict[str, int]:
    """Calls by state, every state present (0 when none).

    phases: every live call's phase; queued_ringing: for each caller in a queue, whether an
    operator's phone rings for them; talking: calls bridged with an operator.
    """
    counts = Counter(_PHASES[p] for p in phases if p in _PHASES)
    for ringing in queued_ringing:
        counts["ringing" if ringing else "waiting"] += 1
    counts["talking"] += talking
    return {state: counts[state] for state in CALL_STATES}


def operator_state(op: routing.Operator, now: float, side_calls: Collection[str] = ()) -> str:
    """One state per operator; op as routing sees them (Staff.view: phone, ringing, call).
    side_calls: operators whose phone is on a leg the distributor did not place (a relay
    call, a transfer to them, an on-call emergency: queues/picture.engaged): talking, as
    the console shows them busy on it."""
    if op.on_call or op.id in side_calls:
        return "talking"
    if op.ringing:
        return "ringing"
    if not op.logged_in:
        return "logged_out"
    if op.paused:
        return "paused"
    if op.wrapup_until > now:
        return "wrap_up"
    if not op.registered:
        return "phone_offline"
    return "ready"


def operator_states(operators: Iterable[routing.Operator], now: float,
                    side_calls: Collection[str] = ()) -> dict[str, int]:
    counts = Counter(operator_state(op, now, side_calls) for op in operators)
    return {state: counts[state] for state in OPERATOR_STATES}


def pause_label(stored: str | None) -> str:
    """The reason chosen from the list, without the operator's note ("meal: back at 3")."""
    if not stored:
        return "unknown"
    reason = stored.split(":", 1)[0].strip()
    return reason if reason in PAUSE_LABELS else OTHER


def paused_by_reason(operators: Iterable[routing.Operator], reasons: Mapping[str, str],
                     now: float, side_calls: Collection[str] = ()) -> dict[str, int]:
    """Paused operators by reason; reasons: the stored reason by username (PostgreSQL)."""
    counts = Counter(pause_label(reasons.get(op.id)) for op in operators
                     if operator_state(op, now, side_calls) == "paused")
    return {label: counts[label] for label in PAUSE_LABELS}


def language_label(language: str) -> str:
    """A language code as the IVR sets it (en, es, es-419, ht); anything else is "other"."""
    return language if _LANGUAGE.fullmatch(language) else OTHER
