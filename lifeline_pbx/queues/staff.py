"""The operators' side of the distributor's picture, and how it changes: a pure step.

`step(staff, event, now) -> (staff, decisions)`: an operator logs in, pauses, is offered a
call, answers or misses it, finishes a call, ends or extends wrap-up, or their phone comes
and goes (the events and decisions: queues/staff_events.py).
No I/O: the shell (queues/staff_shell.py, and queues/rounds.py for the offers) saves the
state, tells the live views, writes the queue log and places the offers the decisions ask
for.

Invariants held here: an operator has at most one offer ringing and one call bridged, and
is offered a call only when routing.available says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lifeline_pbx import backoff
from lifeline_pbx.queues import more_time, routing
from lifeline_pbx.queues.routing import Operator, Policy
from lifeline_pbx.queues.staff_events import (
    Action,
    CallEnded,
    Changed,
    Decision,
    Event,
    Loaded,
    Logged,
    MoreTime,
    OfferAnswered,
    OfferFailed,
    OfferMissed,
    OfferPlaced,
    OfferWithdrawn,
    Registration,
    Registrations,
    Ring,
    Save,
    TalkAdopted,
    Withdraw,
    WrapUpOver,
)

MISSED_CALLS = "missed calls"  # the pause reason after max_missed offers in a row
# After an offer that could not be placed, the phone is not offered a call again for a
# while, doubling with each failure in a row: a PBX or network fault is not retried in a
# tight loop, and not counted against the operator either.
RETRY_FIRST = 2.0
RETRY_CAP = 60.0
DEFAULT_PAUSE = "break"
ACTION_KINDS = {"login": "login", "logout": "logout", "pause": "pause", "resume": "unpause"}


@dataclass(frozen=True)
class Unreachable:
    """Offers to this phone failed `failures` times in a row; the next not before `until`."""

    failures: int
    until: float


@dataclass(frozen=True)
class Staff:
    operators: Mapping[str, Operator] = field(default_factory=dict)  # by SIP username
    online: frozenset[str] = frozenset()  # SIP endpoints registered now
    ringing: Mapping[str, uuid.UUID] = field(default_factory=dict)  # operator -> call offered
    talking: Mapping[str, uuid.UUID] = field(default_factory=dict)  # operator -> call bridged
    policies: Mapping[int, Policy] = field(default_factory=dict)
    unreachable: Mapping[str, Unreachable] = field(default_factory=dict)  # failed offers
    more_time: Mapping[str, int] = field(default_factory=dict)  # presses in this wrap-up

    def view(self, username: str) -> Operator:
        """The operator as routing sees them: phone, ringing, call and back-off filled in."""
        failed = self.unreachable.get(username)
        return _view(self.operators[username], (username in self.online,
                     username in self.ringing, username in self.talking,
                     failed.until if failed else 0.0))

    def free(self, now: float) -> list[Operator]:
        """The operators routing.available lets be offered a call now, as views.

        Under load most operators are talking or ringing, and at rest many are logged out
        or paused: they are passed over without building a view of each, every round.
        """
        busy = self.ringing.keys() | self.talking.keys()
        return [view for u in self.online - busy if (op := self.operators.get(u)) is not None
                and op.logged_in and not op.paused and now >= op.wrapup_until
                and routing.available(view := self.view(u), now)]

    def policy(self, queue_id: int) -> Policy:
        return self.policies.get(queue_id, Policy())


_Overlay = tuple[bool, bool, bool, float]  # registered, ringing, on call, unreachable until
# The last view made of each operator, with what it was made from. Rounds ask for the same
# views again and again, and dataclasses.replace costs tens of microseconds (milliseconds
# a round with a few hundred operators free). A memo: the same inputs, the same view.
_VIEWS: dict[str, tuple[Operator, _Overlay, Operator]] = {}


def _view(op: Operator, overlay: _Overlay) -> Operator:
    last = _VIEWS.get(op.id)
    if last is not None and last[0] is op and last[1] == overlay:
        return last[2]
    registered, ringing, on_call, unreachable_until = overlay
    view = replace(op, registered=registered, ringing=ringing, on_call=on_call,
                   unreachable_until=unreachable_until)
    _VIEWS[op.id] = (op, overlay, view)
    return view


Step = tuple[Staff, list[Decision]]


def apply_action(op: Operator, action: str, now: float) -> Operator:
    """The operator's state after a feature code (or the same action from the web)."""
    if action == "login":
        return replace(op, logged_in=True, paused=False, missed_in_row=0, idle_since=now)
    if action == "pause":
        return replace(op, paused=True)
    if action == "resume":
        return replace(op, paused=False, missed_in_row=0, idle_since=now)
    if action == "logout":
        return replace(op, logged_in=False, paused=False)
    raise ValueError(f"unknown operator action {action!r}")


def step(staff: Staff, event: Event, now: float) -> Step:
    if isinstance(event, Registration):
        return _phones_changed(staff, _registration(staff, event))
    if isinstance(event, Registrations):
        return _phones_changed(staff, _registrations(staff, event))
    if isinstance(event, Loaded):
        return _loaded(staff, event), []
    if isinstance(event, OfferPlaced):
        return _placed(staff, event, now)
    if isinstance(event, OfferAnswered):
        return _answered(staff, event)
    if isinstance(event, OfferMissed):
        return _missed(staff, event)
    if isinstance(event, OfferFailed):
        return _failed(staff, event, now), []
    if isinstance(event, OfferWithdrawn):
        return _release(staff, event.username, event.call_id), []
    if isinstance(event, TalkAdopted):
        return replace(staff, talking={**staff.talking, event.username: event.call_id}), []
    if isinstance(event, CallEnded):
        return _call_ended(staff, event, now)
    if event.username not in staff.operators:
        return staff, []
    if isinstance(event, Action):
        return _action(staff, event, now)
    if isinstance(event, MoreTime):
        return _more_time(staff, event.username, now)
    return _wrap_up_over(staff, event, now)


def _with(staff: Staff, op: Operator) -> Staff:
    return replace(staff, operators={**staff.operators, op.id: op})


def _loaded(staff: Staff, event: Loaded) -> Staff:
    operators = {}
    for username, stored in event.operators.items():
        known = staff.operators.get(username)
        operators[username] = stored if known is None else replace(
            known, languages=stored.languages, queues=stored.queues)
    return replace(staff, operators=operators, policies=dict(event.policies))


def _reachable(staff: Staff, username: str) -> Staff:
    if username not in staff.unreachable:
        return staff
    return replace(staff, unreachable={
        u: f for u, f in staff.unreachable.items() if u != username})


def _registrations(staff: Staff, event: Registrations) -> Staff:
    """A phone found online that was not is registered again, however the app learnt it
    (its endpoint is followed only once the operator sync has written it after an Asterisk
    restart: the phone may register before the app hears events from it)."""
    online = (event.online - event.heard_since) | (staff.online & event.heard_since)
    new = replace(staff, online=online)
    for username in online - staff.online:
        new = _reachable(new, username)
    return new


def _phones_changed(before: Staff, after: Staff) -> Step:
    """The live views told of each operator whose phone came or went (their console says
    whether calls can reach them); an offer ringing a phone gone offline withdrawn."""
    changed = (before.online ^ after.online) & after.operators.keys()
    decisions: list[Decision] = [Changed(username, None) for username in sorted(changed)]
    decisions += [Withdraw(username, after.ringing[username])
                  for username in sorted(before.online - after.online)
                  if username in after.ringing]
    return after, decisions


def _registration(staff: Staff, event: Registration) -> Staff:
    if not event.online:
        return replace(staff, online=staff.online - {event.username})
    if event.username in staff.online:
        return staff  # still online (the endpoint's channels changed)
    # The phone registered again: worth an offer at once.
    return _reachable(replace(staff, online=staff.online | {event.username}), event.username)


def _release(staff: Staff, username: str, call_id: uuid.UUID) -> Staff:
    if staff.ringing.get(username) != call_id:
        return staff
    return replace(staff, ringing={u: c for u, c in staff.ringing.items() if u != username})


def _action(staff: Staff, event: Action, now: float) -> Step:
    op = apply_action(staff.operators[event.username], event.action, now)
    if event.action == "pause":
        reason: str | None = event.reason or DEFAULT_PAUSE
    else:
        reason = "" if op.logged_in else None  # logging out keeps the last reason on file
    queues = tuple(sorted(int(q) for q in op.queues if q.isdigit()))
    detail = event.reason if event.action == "pause" else ""
    return _with(staff, op), [
        Save(op.id, reason), Changed(op.id, reason),
        Logged(ACTION_KINDS[event.action], op.id, queues, detail),
    ]


def _placed(staff: Staff, event: OfferPlaced, now: float) -> Step:
    if event.username not in staff.operators or not routing.available(
            staff.view(event.username), now):
        return staff, []  # ringing already, talking, paused, offline, in wrap-up...
    ringing = {**staff.ringing, event.username: event.call_id}
    return replace(staff, ringing=ringing), [Ring(event.username, event.call_id)]


def _answered(staff: Staff, event: OfferAnswered) -> Step:
    staff = _reachable(_release(staff, event.username, event.call_id), event.username)
    staff = replace(staff, talking={**staff.talking, event.username: event.call_id})
    op = staff.operators.get(event.username)
    if op is None:
        return staff, []
    staff = _with(staff, replace(op, missed_in_row=0))
    return staff, [Save(op.id, None), Changed(op.id, None)]


def _failed(staff: Staff, event: OfferFailed, now: float) -> Staff:
    if staff.ringing.get(event.username) != event.call_id:
        return staff  # an older offer's late end
    staff = _release(staff, event.username, event.call_id)
    before = staff.unreachable.get(event.username)
    failures = (before.failures if before else 0) + 1
    until = now + backoff.delay(failures, first=RETRY_FIRST, cap=RETRY_CAP)
    return replace(staff, unreachable={**staff.unreachable,
                                       event.username: Unreachable(failures, until)})


def _missed(staff: Staff, event: OfferMissed) -> Step:
    # The phone rang, so it is reachable: a back-off from earlier failures ends.
    staff = _reachable(_release(staff, event.username, event.call_id), event.username)
    op = staff.operators.get(event.username)
    if op is None or event.queue_id is None:
        return staff, []
    missed, pause = routing.after_offer(op, False, staff.policy(event.queue_id))
    staff = _with(staff, replace(op, missed_in_row=missed, paused=op.paused or pause))
    reason = MISSED_CALLS if pause else None
    decisions: list[Decision] = [Save(op.id, reason), Changed(op.id, reason)]
    if pause:
        decisions.append(Logged("pause", op.id, (event.queue_id,), MISSED_CALLS))
    return staff, decisions


def _call_ended(staff: Staff, event: CallEnded, now: float) -> Step:
    if staff.talking.get(event.username) == event.call_id:
        staff = replace(staff, talking={
            u: c for u, c in staff.talking.items() if u != event.username})
    op = staff.operators.get(event.username)
    if op is None:
        return staff, []
    wrapup = staff.policy(event.queue_id).wrapup
    staff = _with(staff, replace(op, wrapup_until=now + wrapup, idle_since=now))
    staff = replace(staff, more_time={
        u: n for u, n in staff.more_time.items() if u != event.username})
    return staff, [Save(op.id, None), Changed(op.id, None)]


def _more_time(staff: Staff, username: str, now: float) -> Step:
    presses = staff.more_time.get(username, 0)
    verdict = more_time.ask(staff.view(username), presses, now)
    if isinstance(verdict, more_time.Refused):
        return staff, []
    op = replace(staff.operators[username], wrapup_until=verdict.until)
    staff = replace(_with(staff, op), more_time={**staff.more_time, username: presses + 1})
    return staff, [Save(op.id, None), Changed(op.id, None)]


def _wrap_up_over(staff: Staff, event: WrapUpOver, now: float) -> Step:
    op = staff.operators[event.username]
    if op.wrapup_until <= now:
        return staff, [Changed(op.id, None)]
    # Logged, so that the statistics count the wrap-up as it was, not the queue's setting.
    queues = tuple(sorted(int(q) for q in op.queues if q.isdigit()))
    return _with(staff, replace(op, wrapup_until=now)), [
        Save(op.id, None), Changed(op.id, None), Logged("ready", op.id, queues)]
