"""When to warn the operator that the facility is about to cut the line. Pure.

A facility's phone system cuts a call a set time after it was answered: the time the
caller spent in the menu and waiting in the queue counts, not only the talk.
"""

from __future__ import annotations


def warn_in(limit: int, warning: int, since_answer: float) -> float | None:
    """Seconds from now until the operator is warned, 0 when the warning is due already
    (the wait used it up); None when the line sets no warning (or one not shorter than
    the limit itself)."""
    if limit <= 0 or warning <= 0 or warning >= limit:
        return None
    return max(0.0, limit - warning - since_answer)
