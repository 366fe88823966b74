"""The console's messages and the hub's subscriptions, without Asterisk or PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from lifeline_pbx.console import live, messages
from lifeline_pbx.errors import Invalid
from lifeline_pbx.operators import display
from lifeline_pbx.queues import picture, routing
from lifeline_pbx.queues.picture import CutOff, TalkEnd

NOW = 1_000_000.0


def operator(**changes: object) -> routing.Operator:
    base: dict[str, object] = {
        "id": "op-b", "languages": frozenset({"es"}), "queues": frozenset({"1"}),
        "logged_in": True, "paused": False, "registered": True, "on_call": False,
        "ringing": False, "wrapup_until": 0.0, "idle_since": 0.0, "missed_in_row": 0}
    return routing.Operator(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("op", "on_call", "expected"), [
    (None, False, {"known": False, "logged_in": False, "wrapup_until": None}),
    (operator(logged_in=False, paused=True), False,
     {"logged_in": False, "paused": False, "pause_reason": ""}),
    (operator(paused=True), False, {"paused": True, "pause_reason": "meal"}),
    (operator(wrapup_until=NOW + 30), False, {"wrapup_until": NOW + 30, "paused": False}),
    (operator(wrapup_until=NOW - 1), False, {"wrapup_until": None}),
    (operator(wrapup_until=NOW + 30), True, {"wrapup_until": None, "on_call": True}),
])
def test_state(op: routing.Operator | None, on_call: bool, expected: dict[str, object]) -> None:
    message = messages.state(op, "meal", on_call, NOW)
    assert message["type"] == "state" and message["server_time"] == NOW
    assert {k: message[k] for k in expected} == expected


def test_state_says_whether_the_phone_is_online() -> None:
    assert messages.state(operator(), "", False, NOW, phone_online=True)["phone_online"]
    assert not messages.state(operator(), "", False, NOW)["phone_online"]
    assert not messages.state(None, "", False, NOW)["phone_online"]


W = messages.Waiting


@pytest.mark.parametrize(("waiters", "queues", "expected"), [
    ([], {"1"}, W(0, None)),
    ([(1, NOW - 51, False)], {"1"}, W(1, NOW - 51)),
    ([(1, NOW - 5, False), (1, NOW - 51, True), (2, NOW - 90, True)], {"1"}, W(2, NOW - 51, 1)),
    ([(1, NOW - 5, True), (2, NOW - 90, True)], {"1", "2"}, W(2, NOW - 90, 2)),
    ([(2, NOW - 90, True)], {"1"}, W(0, None)),  # another queue's caller: not counted
    ([(1, NOW - 5, False)], set(), W(0, None)),
    ([(1, NOW - 5, False)], {"sales"}, W(0, None)),  # a queue name routing cannot hold as an id
])
def test_callers_waiting_in_the_operators_own_queues(
    waiters: list[tuple[int, float, bool]], queues: set[str], expected: messages.Waiting
) -> None:
    assert messages.waiting_in(queues, messages.queue_waits(waiters)) == expected


@pytest.mark.parametrize(("found", "said"), [
    (W(1, NOW), "1 caller waiting"),
    (W(3, NOW), "3 callers waiting"),
    (W(1, NOW, 1), "1 emergency waiting"),
    (W(2, NOW, 2), "2 emergencies waiting"),
    (W(2, NOW, 1), "1 emergency and 1 other caller waiting"),
    (W(5, NOW, 2), "2 emergencies and 3 other callers waiting"),
])
def test_the_waiting_words_say_an_emergency_first(found: messages.Waiting, said: str) -> None:
    assert messages.waiting_words(found) == said


def test_the_waiting_message_carries_counts_and_times_only() -> None:
    assert messages.waiting(W(2, NOW - 51, 1), NOW) == {
        "type": "waiting", "count": 2, "emergencies": 1,
        "said": "1 emergency and 1 other caller waiting", "since": NOW - 51,
        "server_time": NOW}


@pytest.mark.parametrize(("reason", "note", "stored"), [
    ("break", "", "break"),
    ("other", "  doctor's\n appointment ", "other: doctor's appointment"),
    ("meal", "x" * 100, "meal: " + "x" * 100),
])
def test_pause_reason(reason: str, note: str, stored: str) -> None:
    assert messages.pause_reason(reason, note) == stored


@pytest.mark.parametrize(("reason", "note"), [
    ("nap", ""), ("", ""), ("other", "x" * 101),
    ("other", "back\x00soon"), ("other", "back\x1bsoon"), ("break", "\u202eevil"),
])
def test_pause_reason_refused(reason: str, note: str) -> None:
    with pytest.raises(Invalid):
        messages.pause_reason(reason, note)


def test_call_pop_names_no_caller() -> None:
    pop = messages.PopInfo("c1", 3, "Demo County", "General", "15550100101", "es", 1, 12.4,
                           NOW, NOW - 40, 900, 120)
    message = messages.call(pop, NOW + 5)
    assert message == {
        "type": "call", "call_id": "c1", "facility_id": 3, "facility": "Demo County",
        "line": "General", "did": "15550100101", "language": "es", "triage": 1,
        "triage_word": "Emergency", "waited": 12, "connected_at": NOW, "answered_at": NOW - 40,
        "call_limit": 900,
        "limit_warning": 120, "language_missing": False, "cut_off": "",
        "server_time": NOW + 5}


NAMES = {"op-a": "Ana", "op-b": "Second Operator", "op-c": "Ana", "op-e": ""}


@pytest.mark.parametrize(("username", "shown"), [
    ("op-b", "Second Operator"),
    ("op-a", "Ana (op-a)"),  # another operator has the same name
    ("op-c", "Ana (op-c)"),
    ("op-e", "op-e"),  # no name known
    ("op-z", "op-z"),
])
def test_an_operator_is_shown_by_name_with_the_username_when_names_collide(
    username: str, shown: str
) -> None:
    assert display.operator_name(username, NAMES) == shown


@pytest.mark.parametrize(("end", "words"), [
    (TalkEnd(picture.CALLER_LEFT), "The caller hung up."),
    (TalkEnd(picture.OPERATOR_LEFT), "You hung up."),
    (TalkEnd(picture.PHONE_LOST),
     "Your phone stopped sending sound: the caller was put back in the queue."),
    (TalkEnd(picture.TRANSFERRED, "op-b"), "You transferred the call to Second Operator."),
    (TalkEnd(picture.TRANSFERRED, "op-a"), "You transferred the call to Ana (op-a)."),
    (TalkEnd(picture.TRANSFERRED, picture.OUTSIDE),
     "You transferred the call to an outside number."),
    (TalkEnd(picture.REQUEUED), "You sent the caller to another queue."),
    (TalkEnd("something new"), "The call ended."),
])
def test_how_a_call_ended_as_the_operator_is_told(end: TalkEnd, words: str) -> None:
    assert messages.ended_words(end, NAMES) == words
    assert messages.call_ended("c1", 30, words, NOW)["words"] == words


def test_the_next_operator_is_told_the_caller_was_cut_off_on_the_hotlines_clock() -> None:
    at = dt.datetime(2026, 12, 2, 7, 13, 40, tzinfo=dt.UTC).timestamp()  # 02:13 EST
    assert messages.cut_off_words(CutOff("op-b", at), NAMES) == (
        "Cut off from another volunteer (Second Operator) at 02:13 EST: they may need to "
        "start again.")
    assert messages.cut_off_words(None, NAMES) == ""


async def test_hub_delivers_to_each_console_of_the_operator_only() -> None:
    hub = live.LiveHub()
    with hub.subscribe("op-b") as first, hub.subscribe("op-b") as second, \
            hub.subscribe("op-a") as other:
        hub.publish("op-b", {"type": "state", "n": 1})
        assert first.queue.get_nowait() == second.queue.get_nowait() == {"type": "state", "n": 1}
        assert other.queue.empty()
    assert not hub._subs  # unsubscribed on leaving


async def test_a_console_that_falls_behind_is_closed_not_buffered() -> None:
    hub = live.LiveHub()
    with hub.subscribe("op-b") as sub:
        for n in range(live.QUEUE_SIZE + 1):
            hub.publish("op-b", {"type": "state", "n": n})
        assert sub.closed
        received = [m async for m in sub.messages()]
        assert received == []  # closed: the console reconnects to a fresh snapshot
        hub.publish("op-b", {"type": "state"})  # no longer subscribed; nothing queued
        assert sub.queue.full()


@pytest.mark.parametrize(("language", "theirs", "missing"), [
    ("es", frozenset({"en"}), True),
    ("es", frozenset({"en", "es"}), False),
    ("es", frozenset(), True),
    ("", frozenset({"en"}), False),  # no language chosen: nothing to say
    ("es", None, False),  # the operator is not in the picture: not known
])
def test_language_missing(language: str, theirs: frozenset[str] | None, missing: bool) -> None:
    assert messages.language_missing(language, theirs) is missing


@pytest.mark.parametrize(("presses", "left"), [(0, 3), (1, 2), (3, 0), (4, 0)])
def test_state_says_how_many_more_time_presses_are_left(presses: int, left: int) -> None:
    op = operator(wrapup_until=NOW + 30)
    assert messages.state(op, "", False, NOW, more_presses=presses)["more_left"] == left
    assert messages.state(None, "", False, NOW)["more_left"] == 0


def test_the_transfer_list_names_each_operator_by_name() -> None:
    message = messages.staff(["op-a", "op-b", "op-c"], NAMES, NOW)
    assert message["operators"] == ["op-a", "op-b", "op-c"]  # what the server is asked for
    assert message["names"] == {"op-a": "Ana (op-a)", "op-b": "Second Operator",
                                "op-c": "Ana (op-c)"}
