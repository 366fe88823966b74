"""Operators' state changes as a pure step: staff + event -> new staff + decisions.

Each row: the operator "ana" (serving queues 1 and 2) as she is before, the event, what
changes about her afterwards, and what the shell is told to do.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from lifeline_pbx.queues import staff
from lifeline_pbx.queues.routing import Operator, Policy, available
from lifeline_pbx.queues.staff import Staff, Unreachable
from lifeline_pbx.queues.staff_events import (
    Action,
    CallEnded,
    Changed,
    Decision,
    Event,
    Loaded,
    Logged,
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

NOW = 10_000.0
CALL = uuid.uuid5(uuid.NAMESPACE_URL, "call")
OTHER = uuid.uuid5(uuid.NAMESPACE_URL, "other")
POLICIES = {1: Policy(max_missed=2, wrapup=30.0), 2: Policy(max_missed=3, wrapup=60.0)}
READY = Operator(id="ana", languages=frozenset({"en"}), queues=frozenset({"1", "2"}),
                 logged_in=True, paused=False, registered=False, on_call=False, ringing=False,
                 wrapup_until=0.0, idle_since=100.0, missed_in_row=0)


def ana(online: bool = True, ringing: uuid.UUID | None = None,
        talking: uuid.UUID | None = None, unreachable: Unreachable | None = None,
        **fields: Any) -> Staff:
    """The staff with ana alone, as described; bob is a logged-out colleague."""
    bob = replace(READY, id="bob", logged_in=False)
    return Staff(
        operators={"ana": replace(READY, **fields), "bob": bob},
        online=frozenset({"ana"} if online else set()),
        ringing={"ana": ringing} if ringing else {},
        talking={"ana": talking} if talking else {},
        policies=POLICIES,
        unreachable={"ana": unreachable} if unreachable else {},
    )


LOGIN_SAVE: list[Decision] = [Save("ana", ""), Changed("ana", "")]
NO_CHANGE: dict[str, Any] = {}

ROWS: list[tuple[str, Staff, Event, dict[str, Any], list[Decision]]] = [
    # --- log in, pause, resume, log out --------------------------------------------------
    ("login from logged out", ana(logged_in=False, missed_in_row=2), Action("ana", "login"),
     {"logged_in": True, "paused": False, "missed_in_row": 0, "idle_since": NOW},
     [*LOGIN_SAVE, Logged("login", "ana", (1, 2))]),
    ("login while paused resumes", ana(paused=True), Action("ana", "login"),
     {"paused": False, "idle_since": NOW}, [*LOGIN_SAVE, Logged("login", "ana", (1, 2))]),
    ("pause with a reason", ana(), Action("ana", "pause", "meeting"), {"paused": True},
     [Save("ana", "meeting"), Changed("ana", "meeting"),
      Logged("pause", "ana", (1, 2), "meeting")]),
    ("pause without a reason is a break", ana(), Action("ana", "pause"), {"paused": True},
     [Save("ana", "break"), Changed("ana", "break"), Logged("pause", "ana", (1, 2))]),
    ("resume clears the missed count", ana(paused=True, missed_in_row=3),
     Action("ana", "resume"), {"paused": False, "missed_in_row": 0, "idle_since": NOW},
     [*LOGIN_SAVE, Logged("unpause", "ana", (1, 2))]),
    ("logout keeps the stored pause reason", ana(paused=True), Action("ana", "logout"),
     {"logged_in": False, "paused": False},
     [Save("ana", None), Changed("ana", None), Logged("logout", "ana", (1, 2))]),
    ("an unknown operator changes nothing", ana(), Action("zed", "login"), NO_CHANGE, []),
    # --- offers --------------------------------------------------------------------------
    ("offer placed to a ready operator rings", ana(), OfferPlaced("ana", CALL),
     {"ringing": CALL}, [Ring("ana", CALL)]),
    ("at most one offer at a time", ana(ringing=OTHER), OfferPlaced("ana", CALL),
     {"ringing": OTHER}, []),
    ("no offer while talking", ana(talking=OTHER), OfferPlaced("ana", CALL), NO_CHANGE, []),
    ("no offer while paused", ana(paused=True), OfferPlaced("ana", CALL), NO_CHANGE, []),
    ("no offer when logged out", ana(logged_in=False), OfferPlaced("ana", CALL), NO_CHANGE, []),
    ("no offer with the phone offline", ana(online=False), OfferPlaced("ana", CALL),
     NO_CHANGE, []),
    ("no offer in wrap-up", ana(wrapup_until=NOW + 5), OfferPlaced("ana", CALL),
     NO_CHANGE, []),
    ("no offer to an unknown operator", ana(), OfferPlaced("zed", CALL), NO_CHANGE, []),
    ("offer answered: talking, misses forgiven", ana(ringing=CALL, missed_in_row=1),
     OfferAnswered("ana", CALL), {"ringing": None, "talking": CALL, "missed_in_row": 0},
     [Save("ana", None), Changed("ana", None)]),
    ("offer missed once counts", ana(ringing=CALL), OfferMissed("ana", CALL, 1),
     {"ringing": None, "missed_in_row": 1}, [Save("ana", None), Changed("ana", None)]),
    ("offer missed max_missed times pauses", ana(ringing=CALL, missed_in_row=1),
     OfferMissed("ana", CALL, 1), {"ringing": None, "missed_in_row": 2, "paused": True},
     [Save("ana", "missed calls"), Changed("ana", "missed calls"),
      Logged("pause", "ana", (1,), "missed calls")]),
    ("the queue's own max_missed applies", ana(ringing=CALL, missed_in_row=1),
     OfferMissed("ana", CALL, 2), {"ringing": None, "missed_in_row": 2, "paused": False},
     [Save("ana", None), Changed("ana", None)]),
    ("missed after the caller left: not counted", ana(ringing=CALL),
     OfferMissed("ana", CALL, None), {"ringing": None, "missed_in_row": 0}, []),
    # A failed originate is a fault of the PBX or the network: never the operator's miss.
    ("offer failed: no miss, the phone backs off", ana(ringing=CALL, missed_in_row=2),
     OfferFailed("ana", CALL, 1),
     {"ringing": None, "missed_in_row": 2, "paused": False, "unreachable": (1, NOW + 2)}, []),
    ("offer failed again: the back-off doubles",
     ana(ringing=CALL, unreachable=Unreachable(1, NOW - 1)), OfferFailed("ana", CALL, 1),
     {"ringing": None, "unreachable": (2, NOW + 4)}, []),
    ("offer failed many times: the back-off is capped",
     ana(ringing=CALL, unreachable=Unreachable(9, NOW - 1)), OfferFailed("ana", CALL, 1),
     {"ringing": None, "unreachable": (10, NOW + 60)}, []),
    ("offer failed after the caller left: backs off all the same", ana(ringing=CALL),
     OfferFailed("ana", CALL, None), {"ringing": None, "unreachable": (1, NOW + 2)}, []),
    ("a late failure of an older offer leaves the new one", ana(ringing=CALL),
     OfferFailed("ana", OTHER, 1), {"ringing": CALL}, []),
    ("no offer while the phone backs off", ana(unreachable=Unreachable(1, NOW + 1)),
     OfferPlaced("ana", CALL), NO_CHANGE, []),
    ("offered again once the back-off is over", ana(unreachable=Unreachable(1, NOW)),
     OfferPlaced("ana", CALL), {"ringing": CALL}, [Ring("ana", CALL)]),
    ("answered: the back-off ends", ana(ringing=CALL, unreachable=Unreachable(2, NOW - 1)),
     OfferAnswered("ana", CALL), {"ringing": None, "talking": CALL, "unreachable": None},
     [Save("ana", None), Changed("ana", None)]),
    ("missed (it rang): the back-off ends",
     ana(ringing=CALL, unreachable=Unreachable(2, NOW - 1)), OfferMissed("ana", CALL, 2),
     {"ringing": None, "missed_in_row": 1, "unreachable": None},
     [Save("ana", None), Changed("ana", None)]),
    ("offer withdrawn (caller left): no miss", ana(ringing=CALL, missed_in_row=1),
     OfferWithdrawn("ana", CALL), {"ringing": None, "missed_in_row": 1}, []),
    ("a late end of an older offer leaves the new one", ana(ringing=CALL),
     OfferWithdrawn("ana", OTHER), {"ringing": CALL}, []),
    # --- calls and wrap-up ---------------------------------------------------------------
    ("call ended: wrap-up of the call's queue", ana(talking=CALL), CallEnded("ana", CALL, 2),
     {"talking": None, "wrapup_until": NOW + 60, "idle_since": NOW},
     [Save("ana", None), Changed("ana", None)]),
    ("call ended for a removed operator", Staff(talking={"zed": CALL}),
     CallEnded("zed", CALL, 1), NO_CHANGE, []),
    ("talk adopted after a restart", ana(), TalkAdopted("ana", CALL), {"talking": CALL}, []),
    ("wrap-up over early", ana(wrapup_until=NOW + 20), WrapUpOver("ana"),
     {"wrapup_until": NOW},
     [Save("ana", None), Changed("ana", None), Logged("ready", "ana", (1, 2))]),
    ("wrap-up already over: nothing to save", ana(wrapup_until=NOW - 1), WrapUpOver("ana"),
     {"wrapup_until": NOW - 1}, [Changed("ana", None)]),
    # --- phones and reloads --------------------------------------------------------------
    # Whether her phone is online, her console says: told when it comes or goes.
    ("registration lost", ana(), Registration("ana", False), {"online": False},
     [Changed("ana", None)]),
    ("registration regained", ana(online=False), Registration("ana", True),
     {"online": True}, [Changed("ana", None)]),
    ("registered again: offered at once",
     ana(online=False, unreachable=Unreachable(3, NOW + 10)), Registration("ana", True),
     {"online": True, "unreachable": None}, [Changed("ana", None)]),
    ("a phone that is no operator's: nobody told", ana(), Registration("caller", True),
     NO_CHANGE, []),
    # Gone offline while rung (died without unregistering: Asterisk's qualify found out):
    # the offer rings nowhere, so it is withdrawn, not left to ring out.
    ("registration lost while an offer rings: withdrawn", ana(ringing=CALL),
     Registration("ana", False), {"online": False},
     [Changed("ana", None), Withdraw("ana", CALL)]),
    ("lost in the list while an offer rings: withdrawn", ana(ringing=CALL),
     Registrations(frozenset()), {"online": False},
     [Changed("ana", None), Withdraw("ana", CALL)]),
    ("still online while an offer rings: it rings on", ana(ringing=CALL),
     Registration("ana", True), NO_CHANGE, []),
    ("still online (its channels changed): the back-off stays",
     ana(unreachable=Unreachable(3, NOW + 10)), Registration("ana", True), NO_CHANGE, []),
    ("all registrations after a reconnect", ana(), Registrations(frozenset({"bob"})),
     {"online": False}, [Changed("ana", None), Changed("bob", None)]),
    ("found registered again in the list: offered at once",
     ana(online=False, unreachable=Unreachable(3, NOW + 10)), Registrations(frozenset({"ana"})),
     {"online": True, "unreachable": None}, [Changed("ana", None)]),
    ("an event heard after the list was asked wins: still online",
     ana(), Registrations(frozenset(), heard_since=frozenset({"ana"})), NO_CHANGE, []),
    ("an event heard after the list was asked wins: still offline",
     ana(online=False), Registrations(frozenset({"ana"}), heard_since=frozenset({"ana"})),
     NO_CHANGE, []),
    ("an event about another phone: the list still counts for this one",
     ana(), Registrations(frozenset(), heard_since=frozenset({"bob"})), {"online": False},
     [Changed("ana", None)]),
    ("still online in the list: the back-off stays",
     ana(unreachable=Unreachable(3, NOW + 10)), Registrations(frozenset({"ana"})), NO_CHANGE, []),
    ("reloaded from the database keeps the ringing, and the state the picture holds",
     ana(ringing=CALL), Loaded({"ana": replace(READY, paused=True)}, POLICIES),
     NO_CHANGE, []),
    ("a reload that read the table before a login does not undo the login",
     ana(logged_in=True, idle_since=NOW),
     Loaded({"ana": replace(READY, logged_in=False, idle_since=5.0)}, POLICIES),
     NO_CHANGE, []),
]


def test_a_reload_takes_languages_queues_and_new_operators_from_the_table() -> None:
    stored_ana = replace(READY, languages=frozenset({"es"}), queues=frozenset({"3"}),
                         logged_in=False)
    carl = replace(READY, id="carl", paused=True)
    after, _ = staff.step(ana(paused=True), Loaded({"ana": stored_ana, "carl": carl},
                                                    {9: Policy(ring_timeout=7.0)}), NOW)
    assert after.operators["ana"] == replace(READY, paused=True, languages=frozenset({"es"}),
                                             queues=frozenset({"3"}))
    assert after.operators["carl"] == carl
    assert "bob" not in after.operators  # disabled: not loaded, so out of the picture
    gone, _ = staff.step(ana(talking=CALL), Loaded({}, POLICIES), NOW)
    assert gone.operators == {} and gone.talking == {"ana": CALL}  # the call goes on
    assert after.policy(9).ring_timeout == 7.0 and after.policy(1) == Policy()


@pytest.mark.parametrize(("before", "event", "changes", "decisions"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_step(before: Staff, event: Event, changes: dict[str, Any],
              decisions: list[Decision]) -> None:
    after, told = staff.step(before, event, NOW)
    assert told == decisions
    assert _ana(after) == {**_ana(before), **changes}


def _ana(s: Staff) -> dict[str, Any]:
    failed = s.unreachable.get("ana")
    found: dict[str, Any] = {"ringing": s.ringing.get("ana"), "talking": s.talking.get("ana"),
                             "online": "ana" in s.online,
                             "unreachable": (failed.failures, failed.until) if failed else None}
    if "ana" in s.operators:
        op = s.operators["ana"]
        found |= {k: getattr(op, k) for k in (
            "logged_in", "paused", "missed_in_row", "wrapup_until", "idle_since")}
    return found


def test_the_view_fills_in_phone_ringing_and_call() -> None:
    view = ana(ringing=CALL).view("ana")
    assert (view.registered, view.ringing, view.on_call) == (True, True, False)
    view = ana(online=False, talking=CALL).view("ana")
    assert (view.registered, view.ringing, view.on_call) == (False, False, True)
    assert ana(unreachable=Unreachable(1, NOW + 2)).view("ana").unreachable_until == NOW + 2


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown operator action"):
        staff.step(ana(), Action("ana", "dance"), NOW)


@pytest.mark.parametrize("before", [row[1] for row in ROWS], ids=[row[0] for row in ROWS])
def test_free_is_every_operator_routing_may_offer_now(before: Staff) -> None:
    expected = {u for u in before.operators if available(before.view(u), NOW)}
    assert {op.id for op in before.free(NOW)} == expected
    assert all(op == before.view(op.id) for op in before.free(NOW))
