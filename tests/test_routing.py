"""The call distributor's decisions as tables: callers and operators in, offers out."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from lifeline_pbx.queues.routing import (
    Caller,
    Operator,
    Policy,
    after_offer,
    announcement_due,
    assign,
    available,
    estimated_wait_minutes,
    leaves,
    nobody_to_ring,
    position,
    queue_order,
    timed_out,
    unstaffed,
)

NOW = 10_000.0
POLICY = Policy()


def caller(
    call_id: str,
    waited: float = 60.0,
    language: str = "en",
    priority: int = 0,
    queue: str = "q",
    ringing: bool = False,
    declined: tuple[str, ...] = (),
) -> Caller:
    """A caller who has waited `waited` seconds at NOW."""
    return Caller(call_id, queue, language, priority, NOW - waited, ringing, frozenset(declined))


def op(op_id: str, languages: str = "en", idle: float = 100.0, **changes: Any) -> Operator:
    """A ready operator serving queue "q", idle for `idle` seconds at NOW."""
    ready = Operator(
        id=op_id,
        languages=frozenset(languages.split(",")),
        queues=frozenset({"q"}),
        logged_in=True,
        paused=False,
        registered=True,
        on_call=False,
        ringing=False,
        wrapup_until=0.0,
        idle_since=NOW - idle,
        missed_in_row=0,
    )
    return replace(ready, **changes)


ASSIGN = {
    "no operators": ([caller("c1")], [], []),
    "no callers": ([], [op("A")], []),
    "one caller, one operator": ([caller("c1")], [op("A")], [("c1", "A")]),
    "each operator once per round": ([caller("c1"), caller("c2", 30)], [op("A")], [("c1", "A")]),
    "several offers in queue order": (
        [caller("c3", 10), caller("c1", 90), caller("c2", 50)],
        [op("A", idle=10), op("B", idle=20)],
        [("c1", "B"), ("c2", "A")],
    ),
    "longest waiting first": ([caller("c1", 50), caller("c2", 100)], [op("A")], [("c2", "A")]),
    "equal wait: by call id": ([caller("b", 50), caller("a", 50)], [op("A")], [("a", "A")]),
    "emergency overtakes a caller waiting longer": (
        [caller("c1", 300), caller("c2", 5, priority=1)], [op("A")], [("c2", "A")],
    ),
    "language match preferred over longest idle": (
        [caller("c1", language="es")],
        [op("E", "en", idle=900), op("S", "es,en", idle=10)],
        [("c1", "S")],
    ),
    "no speaker, before language wait: nobody": (
        [caller("c1", 29.9, language="es")], [op("E", "en")], [],
    ),
    "no speaker, language wait over: anyone": (
        [caller("c1", 30, language="es")], [op("E", "en")], [("c1", "E")],
    ),
    "emergency skips the language wait": (
        [caller("c1", 0, language="es", priority=1)], [op("E", "en")], [("c1", "E")],
    ),
    "emergency still prefers a speaker": (
        [caller("c1", 0, language="es", priority=1)],
        [op("E", "en", idle=900), op("S", "es", idle=10)],
        [("c1", "S")],
    ),
    "idle longest chosen": (
        [caller("c1")], [op("A", idle=100), op("B", idle=300), op("C", idle=200)], [("c1", "B")],
    ),
    "equal idle: by id": ([caller("c1")], [op("B"), op("A")], [("c1", "A")]),
    "caller already ringing is skipped": (
        [caller("c1", 300, ringing=True), caller("c2", 10)], [op("A")], [("c2", "A")],
    ),
    "other queues' operators are not offered": (
        [caller("c1", 300, queue="a"), caller("c2", 10, queue="b")],
        [op("A", queues=frozenset({"b"}))],
        [("c2", "A")],
    ),
    "head of line waiting for a language does not block others": (
        [caller("c1", 20, language="es"), caller("c2", 10, language="en")],
        [op("E", "en")],
        [("c2", "E")],
    ),
    "head of line picks first among the operators it can use": (
        [caller("c1", 20, language="es"), caller("c2", 10, language="en")],
        [op("S", "es,en", idle=900), op("E", "en", idle=10)],
        [("c1", "S"), ("c2", "E")],
    ),
    "head of line past the language wait takes the only operator": (
        [caller("c1", 40, language="es"), caller("c2", 10, language="en")],
        [op("E", "en")],
        [("c1", "E")],
    ),
    "first pick is strict: the bilingual idle-longest goes to the head": (
        [caller("c1", 100, language="en"), caller("c2", 10, language="es")],
        [op("B", "en,es", idle=900), op("E", "en", idle=10)],
        [("c1", "B")],
    ),
    "declined operator avoided when another is free": (
        [caller("c1", declined=("A",))], [op("A", idle=900), op("B", idle=10)], [("c1", "B")],
    ),
    "declined operator re-offered when nobody else is eligible": (
        [caller("c1", declined=("A",))], [op("A")], [("c1", "A")],
    ),
    "declined speaker: a non-speaker once the language wait is over": (
        [caller("c1", 60, language="es", declined=("S",))],
        [op("S", "es"), op("E", "en")],
        [("c1", "E")],
    ),
    "declined speaker: re-offered during the language wait": (
        [caller("c1", 10, language="es", declined=("S",))],
        [op("S", "es"), op("E", "en")],
        [("c1", "S")],
    ),
    "wrap-up just over": ([caller("c1")], [op("A", wrapup_until=NOW)], [("c1", "A")]),
    "back-off after a failed offer just over": (
        [caller("c1")], [op("A", unreachable_until=NOW)], [("c1", "A")]),
}
UNAVAILABLE: dict[str, dict[str, Any]] = {
    "in wrap-up": {"wrapup_until": NOW + 1},
    "unreachable (its last offer failed)": {"unreachable_until": NOW + 1},
    "paused": {"paused": True},
    "unregistered": {"registered": False},
    "on a call": {"on_call": True},
    "ringing": {"ringing": True},
    "not logged in": {"logged_in": False},
    "not serving the queue": {"queues": frozenset({"other"})},
}
for _name, _changes in UNAVAILABLE.items():
    ASSIGN[f"never offered: {_name}"] = (
        [caller("c1", 300, priority=1)], [op("X", idle=900, **_changes), op("A")], [("c1", "A")],
    )


@pytest.mark.parametrize("callers,operators,expected", ASSIGN.values(), ids=ASSIGN.keys())
def test_assign(
    callers: list[Caller], operators: list[Operator], expected: list[tuple[str, str]]
) -> None:
    offers = assign(callers, operators, NOW, POLICY)
    assert offers == expected
    by_id = {o.id: o for o in operators}
    assert len({o for _, o in offers}) == len(offers)
    assert all(available(by_id[o], NOW) for _, o in offers)


@pytest.mark.parametrize("changes", UNAVAILABLE.values(), ids=UNAVAILABLE.keys())
def test_unavailable_operator_alone_gets_nothing(changes: dict[str, Any]) -> None:
    assert assign([caller("c1", 300, priority=1)], [op("X", **changes)], NOW, POLICY) == []


def test_queue_order() -> None:
    callers = [caller("d", 10), caller("c", 50), caller("b", 5, priority=1), caller("a", 50)]
    assert [c.call_id for c in queue_order(callers)] == ["b", "a", "c", "d"]


AFTER_OFFER = {
    "answered resets": (2, True, (0, False)),
    "first miss": (0, False, (1, False)),
    "second miss": (1, False, (2, False)),
    "third miss pauses": (2, False, (3, True)),
    "further misses keep pausing": (5, False, (6, True)),
}


@pytest.mark.parametrize("missed,answered,expected", AFTER_OFFER.values(), ids=AFTER_OFFER.keys())
def test_after_offer(missed: int, answered: bool, expected: tuple[int, bool]) -> None:
    assert after_offer(op("A", missed_in_row=missed), answered, POLICY) == expected


TIMED_OUT = {
    "fresh": (caller("c1", 0), False),
    "just under": (caller("c1", 599.9), False),
    "at max_wait": (caller("c1", 600), True),
    "emergency too": (caller("c1", 700, priority=1), True),
    "ringing: left to ring": (caller("c1", 700, ringing=True), False),
}


@pytest.mark.parametrize("who,expected", TIMED_OUT.values(), ids=TIMED_OUT.keys())
def test_timed_out(who: Caller, expected: bool) -> None:
    assert timed_out(who, NOW, POLICY) is expected


WAITING = [
    caller("a", 100), caller("b", 50), caller("e", 5, priority=1), caller("x", 500, queue="other"),
]
POSITION = {"emergency first": ("e", 1), "longest": ("a", 2), "last": ("b", 3),
            "own queue only": ("x", 1)}


@pytest.mark.parametrize("call_id,expected", POSITION.values(), ids=POSITION.keys())
def test_position(call_id: str, expected: int) -> None:
    assert position(call_id, WAITING) == expected


def test_position_of_unknown_caller() -> None:
    with pytest.raises(ValueError, match="'nobody' is not waiting"):
        position("nobody", WAITING)


ESTIMATE = {
    "no history: 5 min": (1, 1, [], 5),
    "average of history": (1, 1, [60, 120, 180], 2),
    "rounds up to whole minutes": (1, 1, [61], 2),
    "at least one minute": (1, 5, [10], 1),
    "position over operators, rounded up": (3, 2, [120], 4),
    "exact rounds": (4, 2, [120], 4),
    "no ready operators counts as one": (2, 0, [120], 4),
    "at most an hour": (30, 1, [600], 60),
    "position 0 counts as first": (0, 1, [120], 2),
    "bad handle times ignored": (1, 1, [0, -5, float("nan"), float("inf"), 120], 2),
    "only bad handle times: default": (1, 1, [0.0], 5),
}


@pytest.mark.parametrize(
    "place,ready,handled,expected", ESTIMATE.values(), ids=ESTIMATE.keys()
)
def test_estimated_wait_minutes(
    place: int, ready: int, handled: list[float], expected: int
) -> None:
    assert estimated_wait_minutes(place, ready, handled) == expected


ANNOUNCE = {
    "too early for the first": (None, 0.0, 44.9, False),
    "first after announce_every": (None, 0.0, 45.0, True),
    "too early after the last": (45.0, 0.0, 89.0, False),
    "again after announce_every": (45.0, 0.0, 90.0, True),
    "late tick still due": (45.0, 0.0, 200.0, True),
}


@pytest.mark.parametrize("last_at,entered_at,now,expected", ANNOUNCE.values(), ids=ANNOUNCE.keys())
def test_announcement_due(
    last_at: float | None, entered_at: float, now: float, expected: bool
) -> None:
    assert announcement_due(last_at, entered_at, now, POLICY) is expected


@pytest.mark.parametrize(
    "changes",
    [{"language_wait": -1}, {"ring_timeout": 0}, {"max_missed": 0}, {"wrapup": -0.1},
     {"max_wait": 0}, {"announce_every": 0}],
)
def test_policy_refuses_bad_values(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="queue policy: " + next(iter(changes))):
        Policy(**changes)  # type: ignore[arg-type]


def plain_assign(callers: list[Caller], operators: list[Operator]) -> list[tuple[str, str]]:
    """The rules read straight (each caller weighs every free operator): what the faster
    assign must give in every case."""
    free = {o.id: o for o in operators if available(o, NOW)}
    offers = []
    for c in queue_order(callers):
        any_language = c.priority > 0 or NOW - c.entered_at >= POLICY.language_wait
        serving = [o for o in free.values() if c.queue in o.queues
                   and (any_language or c.language in o.languages)]
        if c.ringing or not serving:
            continue
        best = min(serving, key=lambda o: (o.id in c.declined_by, c.language not in o.languages,
                                           o.idle_since, o.id))
        offers.append((c.call_id, best.id))
        del free[best.id]
    return offers


@pytest.mark.parametrize("seed", range(200))
def test_assign_matches_the_rules_read_straight(seed: int) -> None:
    """Generated queues (seeded: the same cases every run) of up to 12 callers and 15
    operators mixing languages, queues, declines, ties of idle time and unavailable ones."""
    rng = random.Random(seed)
    names = [f"op-{i}" for i in range(rng.randint(0, 15))]
    operators = [op(name, rng.choice(["en", "es", "en,es", "fr"]), idle=rng.choice([10, 50, 100]),
                    queues=frozenset(rng.sample(["q", "r"], rng.randint(1, 2))),
                    paused=rng.random() < 0.1) for name in names]
    callers = [caller(f"c{i}", waited=rng.choice([5.0, 40.0, 60.0]),
                      language=rng.choice(["en", "es", "fr", "ht"]), priority=rng.choice([0, 0, 1]),
                      queue=rng.choice(["q", "r"]), ringing=rng.random() < 0.15,
                      declined=tuple(rng.sample(names, min(len(names), rng.randint(0, 2)))))
               for i in range(rng.randint(0, 12))]
    assert assign(callers, operators, NOW, POLICY) == plain_assign(callers, operators)


@pytest.mark.parametrize(("operators", "online", "reason"), [
    ([], set(), "no_operators"),
    ([op("a", logged_in=False)], {"a"}, "no_operators"),
    ([op("a", queues=frozenset({"other"}))], {"a"}, "no_operators"),
    # Logged in, and no phone registered: not "nobody logged in", the phones were offline.
    ([op("a")], set(), "phones_offline"),
    ([op("a"), op("b", logged_in=False)], {"b"}, "phones_offline"),
    ([op("a"), op("b", queues=frozenset({"other"}))], {"b"}, "phones_offline"),
    # Someone can be rung once free: the caller waits (paused, busy or in wrap-up alike).
    ([op("a"), op("b")], {"b"}, None),
    ([op("a", paused=True)], {"a"}, None),
    ([op("a", on_call=True, wrapup_until=NOW + 30)], {"a"}, None),
    # Another language: the caller waits too (any operator once the language wait is over).
    ([op("a", "fr")], {"a"}, None),
    ([op("a", logged_in=False), op("b", queues=frozenset({"other"})), op("c")], {"a", "b", "c"},
     None),
    # A phone online that is no operator's (not loaded, or not an operator at all).
    ([op("a")], {"stranger"}, "phones_offline"),
])
def test_a_caller_nobody_could_ring_goes_to_voicemail_with_the_reason(
    operators: list[Operator], online: set[str], reason: str | None
) -> None:
    assert nobody_to_ring("q", {o.id: o for o in operators}, frozenset(online)) == reason


GRACE = 45.0
# (nobody to ring now, unstaffed since, expected (since, reason to give callers back))
UNSTAFFED = {
    "staffed": (None, None, (None, None)),
    "staffed again within the grace": (None, NOW - 10, (None, None)),
    "staffed again after it": (None, NOW - 100, (None, None)),
    "just found empty: the grace starts": ("no_operators", None, (NOW, None)),
    "within the grace": ("no_operators", NOW - 44.9, (NOW - 44.9, None)),
    "grace over: nobody logged in": ("no_operators", NOW - GRACE, (NOW - GRACE, "no_operators")),
    "grace over: the phones offline": (
        "phones_offline", NOW - 60, (NOW - 60, "phones_offline")),
    # The phones went, then the operators logged out: the reason is the queue's now.
    "the reason of the moment": ("no_operators", NOW - 60, (NOW - 60, "no_operators")),
}


@pytest.mark.parametrize(("nobody", "since", "expected"), UNSTAFFED.values(),
                         ids=UNSTAFFED.keys())
def test_a_queue_left_empty_gives_its_callers_back_after_the_grace(
    nobody: str | None, since: float | None, expected: tuple[float | None, str | None]
) -> None:
    assert unstaffed(nobody, since, NOW, GRACE) == expected


# (the caller, the queue's reason once its grace is over, why the caller leaves)
LEAVES = {
    "staffed, waiting": (caller("c1", 60), None, None),
    "staffed, waited too long": (caller("c1", 600), None, "max_wait"),
    "empty": (caller("c1", 5), "no_operators", "no_operators"),
    "empty, the phones offline": (caller("c1", 5), "phones_offline", "phones_offline"),
    "an emergency alike (the flow rings the on-call list)": (
        caller("c1", 5, priority=1), "no_operators", "no_operators"),
    "waited too long in an empty queue: the longest wait is the reason": (
        caller("c1", 700), "phones_offline", "max_wait"),
    # The operator who logged out may still answer the offer ringing.
    "ringing in an empty queue": (caller("c1", 5, ringing=True), "no_operators", None),
    "ringing past the longest wait": (caller("c1", 700, ringing=True), None, None),
}


@pytest.mark.parametrize(("who", "empty", "expected"), LEAVES.values(), ids=LEAVES.keys())
def test_why_a_waiting_caller_leaves_the_queue(
    who: Caller, empty: str | None, expected: str | None
) -> None:
    assert leaves(who, NOW, POLICY, empty) == expected
