"""Which consoles are sent whom their call may be transferred to: the hub's decision, each
time it counts who is free (console/live.py), kept pure.

A console on a call is sent its list only when it differs from the last one it was sent;
a console not on a call (or closed) is forgotten, so the next call starts afresh.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

Console = TypeVar("Console", bound=Hashable)
Targets = tuple[str, ...]  # sorted SIP usernames


def due(consoles: Mapping[Console, str], free: frozenset[str],
        sent: Mapping[Console, Targets]) -> tuple[dict[Console, Targets], dict[Console, Targets]]:
    """`consoles`: each open console of an operator on a call, with that operator; `free`:
    who may take a call now (transfers' `free`); `sent`: the list last sent to each console.
    Returns the lists to send now, and the lists the consoles on a call then have."""
    now: dict[Console, Targets] = {
        console: tuple(sorted(free - {operator})) for console, operator in consoles.items()}
    send = {console: targets for console, targets in now.items()
            if sent.get(console) != targets}
    return send, now
