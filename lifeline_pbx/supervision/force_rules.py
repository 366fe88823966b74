"""A supervisor pausing or logging out an operator from the queue view, decided without
I/O: which actions there are, and when one makes no sense (nothing is done then)."""

from __future__ import annotations

from lifeline_pbx.queues import routing

ACTIONS = ("pause", "logout")
NOT_LOGGED_IN = "This operator is not logged in to the queues."
ALREADY_PAUSED = "This operator is paused already."
UNKNOWN_ACTION = "Choose pause or log out."
# How a pause the operator did not choose reads on their console and in the queue view.
BY_SUPERVISOR = " (by a supervisor)"


def refusal(action: str, operator: routing.Operator) -> str | None:
    """Why this action cannot be forced on the operator now; None: it can."""
    if action not in ACTIONS:
        return UNKNOWN_ACTION
    if not operator.logged_in:
        return NOT_LOGGED_IN
    if action == "pause" and operator.paused:
        return ALREADY_PAUSED
    return None
