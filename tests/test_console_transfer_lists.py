"""Whom an operator's call may be transferred to, sent to their console: only when it
changed, and at most once a count however many changes came at once
(console/transfer_lists.py, console/live.py)."""

from __future__ import annotations

from typing import Any

import pytest

from lifeline_pbx.console.live import Subscription
from lifeline_pbx.console.transfer_lists import Targets, due
from lifeline_pbx.resources import ACD, HUB, TRANSFERS
from tests.engine import Hotline
from tests.waiting import wait_for

BC = ("op-b", "op-c")


@pytest.mark.parametrize(("consoles", "free", "sent", "send", "now"), [
    # A console nothing was sent to yet: its list.
    ({"a1": "op-a"}, {"op-b", "op-c"}, {}, {"a1": BC}, {"a1": BC}),
    # The same list as last sent: nothing.
    ({"a1": "op-a"}, {"op-b", "op-c"}, {"a1": BC}, {}, {"a1": BC}),
    # Someone freed: the new list.
    ({"a1": "op-a"}, {"op-b", "op-c"}, {"a1": ("op-c",)}, {"a1": BC}, {"a1": BC}),
    # Nobody free any more: the empty list, which the console shows as such.
    ({"a1": "op-a"}, set(), {"a1": BC}, {"a1": ()}, {"a1": ()}),
    ({"a1": "op-a"}, set(), {}, {"a1": ()}, {"a1": ()}),
    # Two consoles of one operator: only the one that lacks it (just opened).
    ({"a1": "op-a", "a2": "op-a"}, {"op-c"}, {"a1": ("op-c",)}, {"a2": ("op-c",)},
     {"a1": ("op-c",), "a2": ("op-c",)}),
    # Never offered themselves; each operator on a call their own list.
    ({"a1": "op-a", "b1": "op-b"}, {"op-a", "op-c"}, {"a1": ("op-c",)},
     {"b1": ("op-a", "op-c")}, {"a1": ("op-c",), "b1": ("op-a", "op-c")}),
    # A console whose call ended (or that closed) is forgotten, sent nothing.
    ({}, {"op-b"}, {"a1": ("op-b",)}, {}, {}),
    ({"b1": "op-b"}, {"op-c"}, {"a1": ("op-c",), "b1": ("op-c",)}, {}, {"b1": ("op-c",)}),
])
def test_due(consoles: dict[str, str], free: set[str], sent: dict[str, Targets],
             send: dict[str, Targets], now: dict[str, Targets]) -> None:
    assert due(consoles, frozenset(free), sent) == (send, now)


class Console:
    """An open console's feed, as the transfer lists it was sent."""

    def __init__(self, sub: Subscription) -> None:
        self.sub = sub
        self.lists: list[list[str]] = []

    def read(self) -> list[list[str]]:
        while not self.sub.queue.empty():
            message = self.sub.queue.get_nowait()
            if message is not None and message["type"] == "staff":
                self.lists.append(message["operators"])
        return self.lists


BURST = 20


async def test_a_burst_of_changes_sends_a_console_one_list_and_an_unchanged_one_none(
    hotline_factory: Any,
) -> None:
    """op-a on a call; op-b's phone taken by a side leg and let go again and again, all at
    once (as a busy hotline's changes come): op-a's console is sent one list, the last.
    Another burst that leaves the list as it was: nothing to it, while a console opened
    meanwhile (sent nothing yet) is sent the list, so a count was made."""
    hotline: Hotline = await hotline_factory()
    acd, hub = hotline.app[ACD], hotline.app[HUB]
    await hotline.login("op-a")
    caller = "Transfer lists"
    call = await hotline.to_queue(caller)
    leg = await hotline.phones.offer("op-a")
    await hotline.phones.answer(leg, record=False)
    await hotline.reached(caller, "connected")
    assert hotline.app[TRANSFERS].free() == {"op-b", "op-c"}

    with hub.subscribe("op-a") as sub:
        first = Console(sub)
        for _ in range(BURST):  # no await between: counted together, however the hub paces
            acd.engage("op-b", "relay")
            acd.release("op-b", "relay")
        acd.engage("op-b", "relay")
        assert await wait_for(first.read, what="op-a's list") == [["op-c"]]

        with hub.subscribe("op-a") as later:
            second = Console(later)
            for _ in range(BURST):
                acd.release("op-b", "relay")
                acd.engage("op-b", "relay")
            assert await wait_for(second.read, what="the new console's list") == [["op-c"]]
            assert first.read() == [["op-c"]]  # the same count: unchanged, nothing sent

        acd.release("op-b", "relay")
        await wait_for(lambda: len(first.read()) == 2, what="op-b back on the list")
        assert first.lists == [["op-c"], ["op-b", "op-c"]]
        assert second.read() == [["op-c"]]  # closed: sent nothing more

    await hotline.carrier.hang_up(call)
    await hotline.phones.ended(leg)
