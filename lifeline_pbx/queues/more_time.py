""""More time" during a wrap-up, the console's button: how much, how often, and never
outside a wrap-up. A pure rule; queues/staff.py applies it.

A fixed minute each press, whatever the queue's wrap-up: the operator knows what a press
gives, and a queue set to a few seconds still gives enough to finish a sentence. At most
three presses in one wrap-up; past that, Pause holds calls for as long as it takes. The
count lives in the distributor's picture only: an app restart during a wrap-up forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.queues.routing import Operator

EXTRA = 60.0  # seconds each press adds
MOST = 3  # presses in one wrap-up

NOT_IN_WRAP_UP = "You are not in a wrap-up: there is no call to finish."
ON_CALL = "You are on a call: the wrap-up starts when it ends."
PAUSED = "You are paused: no call comes to you until you press Ready."
ENOUGH = ("No more time: you have had 3 extra minutes. Pause if you need longer; "
          "no call comes to you while paused.")


@dataclass(frozen=True)
class Granted:
    until: float  # the wrap-up's new end


@dataclass(frozen=True)
class Refused:
    reason: str  # as the operator's console says it


def ask(op: Operator, presses: int, now: float) -> Granted | Refused:
    """More time for `op` (a view: on_call filled in), who pressed it `presses` times
    already in this wrap-up."""
    if op.on_call:
        return Refused(ON_CALL)
    if not op.logged_in or op.wrapup_until <= now:
        return Refused(NOT_IN_WRAP_UP)
    if op.paused:
        return Refused(PAUSED)
    if presses >= MOST:
        return Refused(ENOUGH)
    return Granted(op.wrapup_until + EXTRA)
