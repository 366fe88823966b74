"""Taking calls back after a reconnect, decided from Asterisk's channels and bridges alone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lifeline_pbx.ari import events as ari
from lifeline_pbx.calls import adoption
from lifeline_pbx.calls.adoption import (
    EndLeg,
    Escalating,
    Gone,
    HangUp,
    OnCall,
    Restart,
    Survey,
    Talking,
    Waiting,
    plan,
)
from lifeline_pbx.calls.marks import Mark, call_id_of, mark_text, read_mark

APP = "lifeline"
TALK = uuid.uuid5(uuid.NAMESPACE_URL, "talk")
TALK_BRIDGE = f"call-{TALK}-5e1f0c2a"  # as queues/bridges.call_bridge names it
WAIT = uuid.uuid5(uuid.NAMESPACE_URL, "wait")
IVR = uuid.uuid5(uuid.NAMESPACE_URL, "ivr")


def channel(channel_id: str, name: str, app_data: str, app_name: str = "Stasis") -> dict[str, Any]:
    return {"id": channel_id, "name": name, "state": "Up",
            "caller": {"number": "5550100", "name": "Facility"},
            "dialplan": {"context": "from-carrier", "exten": "15550100101",
                         "app_name": app_name, "app_data": app_data}}


CHANNELS = [
    channel("c-talk", "PJSIP/carrier-0001", "lifeline,inbound,15550100101"),
    channel("offer-1", "PJSIP/op-a-0002", f"lifeline,offer,{TALK}"),
    channel("c-wait", "PJSIP/carrier-0003", "lifeline,inbound,15550100101"),
    channel("c-ivr", "PJSIP/carrier-0004", "lifeline,inbound,15550100101"),
    channel("offer-stray", "PJSIP/op-b-0005", f"lifeline,offer,{WAIT}"),
    channel("other-app", "PJSIP/carrier-0006", "someone-else,inbound,1"),
    channel("feature", "PJSIP/op-c-0007", "lifeline,operator,*1"),
    channel("dialplan", "PJSIP/carrier-0008", "", app_name="Playback"),
    # An offer still ringing: not in Stasis yet, known as ours by its id alone.
    channel("offer-ringing", "PJSIP/op-b-0009", "(Outgoing Line)", app_name="AppDial2"),
]
BRIDGES = [
    {"id": TALK_BRIDGE, "channels": ["c-talk", "offer-1"]},
    {"id": "queue-3", "channels": ["c-wait"]},
]
MARKS = {
    "c-talk": Mark(TALK, 3, "es", 0, 1000.0),
    "c-wait": Mark(WAIT, 3, "en", 1, 1200.0),
    "c-ivr": Mark(IVR),
}


def steps(held: tuple[str, ...] = (), marks: dict[str, Mark] | None = None,
          bridges: list[dict[str, Any]] | None = None,
          newer: tuple[str, ...] = ()) -> dict[str, adoption.Step]:
    survey = Survey(CHANNELS, BRIDGES if bridges is None else bridges,
                    MARKS if marks is None else marks)
    found = plan(survey, APP, held, newer)
    by_channel = {}
    for step in found:
        key = step.channel_id if isinstance(step, Gone | HangUp | EndLeg) else step.channel.id
        by_channel[key] = step
    assert len(by_channel) == len(found)
    return by_channel


def test_after_a_restart_every_caller_is_taken_back_where_asterisk_holds_them() -> None:
    found = steps()
    assert set(found) == {"c-talk", "c-wait", "c-ivr", "offer-stray", "offer-ringing"}
    talk = found["c-talk"]
    assert isinstance(talk, Talking)
    assert (talk.mark.call_id, talk.bridge_id, talk.operator, talk.operator_channel) == (
        TALK, TALK_BRIDGE, "op-a", "offer-1")
    wait = found["c-wait"]
    assert isinstance(wait, Waiting) and (wait.queue_id, wait.mark) == (3, MARKS["c-wait"])
    assert found["c-ivr"] == Restart(found["c-ivr"].channel, IVR)  # type: ignore[union-attr]
    assert found["offer-stray"] == HangUp("offer-stray")  # rang for a call nobody holds
    # Placed by the app that died: this one places the caller's offer again.
    assert found["offer-ringing"] == HangUp("offer-ringing")


def test_after_a_blip_calls_still_held_are_left_alone_and_lost_ones_are_ended() -> None:
    found = steps(held=("c-talk", "offer-1", "c-wait", "c-gone", "offer-gone"))
    assert found == {"c-ivr": Restart(found["c-ivr"].channel, IVR),  # type: ignore[union-attr]
                     "offer-stray": HangUp("offer-stray"),
                     "offer-ringing": HangUp("offer-ringing"),
                     "c-gone": Gone("c-gone"), "offer-gone": Gone("offer-gone")}


def test_an_offer_placed_while_asterisk_was_surveyed_is_neither_gone_nor_hung_up() -> None:
    # offer-stray was placed after the survey listed it; offer-new after the listing.
    found = steps(held=("c-talk", "offer-1", "c-wait", "c-ivr"),
                  newer=("offer-stray", "offer-ringing", "offer-new"))
    assert found == {}


@pytest.mark.parametrize(("marks", "expected"), [
    # Without a mark a waiting caller cannot be told from a new one: the IVR starts again.
    ({}, {"c-wait": Restart, "c-talk": Talking, "c-ivr": Restart}),
    # The call bridge names the call: a caller there keeps talking even without a mark.
    ({"c-wait": MARKS["c-wait"]}, {"c-wait": Waiting, "c-talk": Talking, "c-ivr": Restart}),
])
def test_unmarked_channels(marks: dict[str, Mark], expected: dict[str, type]) -> None:
    found = steps(marks=marks)
    assert {c: type(found[c]) for c in expected} == expected
    talk = found["c-talk"]
    assert isinstance(talk, Talking) and talk.mark.call_id == TALK


def test_a_caller_whose_operator_left_is_talking_to_nobody() -> None:
    found = steps(bridges=[{"id": TALK_BRIDGE, "channels": ["c-talk"]}])
    talk = found["c-talk"]
    assert isinstance(talk, Talking) and (talk.operator, talk.operator_channel) == ("", "")
    assert found["offer-1"] == HangUp("offer-1")  # no longer in the call's bridge


@pytest.mark.parametrize(("live", "bridges", "expected"), [
    (True, BRIDGES, adoption.Recording),  # goes on: they finish it, it is saved
    (False, BRIDGES, adoption.Recording),  # ended unseen: saved at once
    # Where Asterisk holds them says more than a mark: in a queue's bridge, they wait on.
    (True, [*BRIDGES[:1], {"id": "queue-3", "channels": ["c-wait", "c-ivr"]}], Waiting),
])
def test_a_caller_leaving_a_message(live: bool, bridges: list[dict[str, Any]],
                                    expected: type) -> None:
    name = f"voicemail-{IVR}-0a1b2c3d"
    marks = {**MARKS, "c-ivr": Mark(IVR, None, "fr", 1, 0.0, "", name, "closed")}
    survey = Survey(CHANNELS, bridges, marks, frozenset({name} if live else ()))
    step = next(s for s in plan(survey, APP, ()) if getattr(s, "channel", None)
                and s.channel.id == "c-ivr")  # type: ignore[union-attr]
    assert type(step) is expected
    if isinstance(step, adoption.Recording):
        assert step.live is live and step.mark.voicemail == name


def test_a_mark_of_another_call_in_a_call_bridge_restarts_the_ivr() -> None:
    found = steps(marks={**MARKS, "c-talk": Mark(IVR)})
    assert isinstance(found["c-talk"], Restart)


@pytest.mark.parametrize("mark", [
    Mark(TALK), Mark(WAIT, 7, "ht", 1, 1712345678.125), Mark(IVR, 0, "", 0, 0.0),
    # to the microsecond, as calls.queued_at: two callers queued within one millisecond
    # keep their order through a restart
    Mark(WAIT, 7, "es", 0, 1712345678.123456),
    Mark(IVR, None, "es", 1, 0.0, "no_operators"),  # an emergency's on-call list rung
    Mark(IVR, None, "fr", 1, 0.0, "", f"voicemail-{IVR}-0a1b2c3d", "closed"),  # a message
])
def test_a_mark_reads_back_as_written(mark: Mark) -> None:
    assert read_mark(mark_text(mark)) == mark


@pytest.mark.parametrize("text", [
    "", "call=", "call=not-a-uuid", f"queue=1;call={TALK};priority=high", "garbage;;=",
])
def test_an_unreadable_mark_is_no_mark(text: str) -> None:
    assert read_mark(text) is None


def test_operator_from_channel_name() -> None:
    assert adoption.endpoint_of("PJSIP/op-a-0000001f") == "op-a"


SUPERVISING = [
    channel("supervise-1", "PJSIP/op-c-0010", "lifeline,supervise"),
    channel("svsnoop-1", "Snoop/offer-1-0011", "lifeline,supervise"),
    channel("supervise-ringing", "PJSIP/op-b-0012", "(Outgoing Line)", app_name="AppDial2"),
]


def test_a_supervisor_in_the_call_bridge_is_not_taken_for_the_operator() -> None:
    """After a restart the supervisors' sessions are gone: their legs and snoops are hung
    up; a supervisor who had joined the call (listed first in its bridge) is not its
    operator."""
    bridges = [{"id": TALK_BRIDGE, "channels": ["c-talk", "supervise-1", "offer-1"]}]
    survey = Survey(CHANNELS + SUPERVISING, bridges, MARKS)
    found = {getattr(s, "channel_id", None) or s.channel.id: s  # type: ignore[union-attr]
             for s in plan(survey, APP, ())}
    talk = found["c-talk"]
    assert isinstance(talk, Talking) and (talk.operator, talk.operator_channel) == (
        "op-a", "offer-1")
    for leg in ("supervise-1", "svsnoop-1", "supervise-ringing"):
        assert found[leg] == HangUp(leg)
    # After a blip, the sessions the app still holds are left alone.
    held = ("c-talk", "offer-1", "c-wait", "c-ivr", "offer-stray", "offer-ringing",
            "supervise-1", "svsnoop-1", "supervise-ringing")
    assert plan(survey, APP, held) == []


# Outbound legs (outbound/legs.py): out-<leg id>, in Stasis once answered.
LEG = uuid.uuid5(uuid.NAMESPACE_URL, "leg")
LEG2 = uuid.uuid5(uuid.NAMESPACE_URL, "leg2")
EMERGENCY = Mark(IVR, None, "es", 1, 0.0, "no_operators")


def leg(leg_id: uuid.UUID, name: str, answered: bool = True) -> dict[str, Any]:
    if answered:
        return channel(f"out-{leg_id.hex}", name, f"lifeline,outbound,{leg_id}")
    return channel(f"out-{leg_id.hex}", name, "(Outgoing Line)", app_name="AppDial2")


def side_steps(legs: list[dict[str, Any]], bridges: list[dict[str, Any]],
               marks: dict[str, Mark]) -> dict[str, adoption.Step]:
    survey = Survey([*CHANNELS, *legs], bridges, marks)
    found = {}
    for step in plan(survey, APP, ()):
        key = step.channel_id if isinstance(step, Gone | HangUp | EndLeg) else step.channel.id
        found[key] = step
    return found


OUT = f"out-{LEG.hex}"
OUT2 = f"out-{LEG2.hex}"


@pytest.mark.parametrize(("case", "legs", "bridges", "marks", "expected"), [
    # A conference: the caller keeps talking with their operator; the third party is let go.
    ("conference", [leg(LEG, "PJSIP/carrier-out-1")],
     [{"id": TALK_BRIDGE, "channels": ["c-talk", "offer-1", OUT]}], MARKS,
     {"c-talk": Talking, OUT: EndLeg}),
    # A warm transfer's consultation: the caller back from hold, the other party let go.
    ("consulting", [leg(LEG, "PJSIP/op-b-1")],
     [{"id": TALK_BRIDGE, "channels": ["offer-1", OUT]},
      {"id": "hold-abc", "channels": ["c-talk"]}], MARKS,
     {"c-talk": Talking, OUT: EndLeg}),
    # A transfer completed: the other operator's leg is the call's operator side now.
    ("handed over", [leg(LEG, "PJSIP/op-b-1")],
     [{"id": TALK_BRIDGE, "channels": ["c-talk", OUT]}], MARKS, {"c-talk": Talking}),
    # A relay call (no caller on it): both legs let go.
    ("relay", [leg(LEG, "PJSIP/op-b-1"), leg(LEG2, "PJSIP/carrier-out-2")],
     [{"id": f"relay-{LEG.hex}", "channels": [OUT, OUT2]}], MARKS,
     {OUT: EndLeg, OUT2: EndLeg}),
    # An emergency whose on-call phone rings: rung again from the top; the ringing let go.
    ("escalating", [leg(LEG, "PJSIP/op-b-1", answered=False)], BRIDGES,
     {**MARKS, "c-ivr": EMERGENCY}, {"c-ivr": Escalating, OUT: EndLeg}),
    # Asked to press 1: the same.
    ("asking", [leg(LEG, "PJSIP/carrier-out-1")], BRIDGES,
     {**MARKS, "c-ivr": EMERGENCY}, {"c-ivr": Escalating, OUT: EndLeg}),
    # Accepted: the caller and the on-call person keep talking.
    ("on call", [leg(LEG, "PJSIP/carrier-out-1")],
     [*BRIDGES, {"id": f"oncall-{IVR.hex}", "name": f"oncall-{IVR.hex}:2",
                 "channels": ["c-ivr", OUT]}],
     {**MARKS, "c-ivr": EMERGENCY}, {"c-ivr": OnCall}),
])
def test_side_legs_after_a_restart(case: str, legs: list[dict[str, Any]],
                                   bridges: list[dict[str, Any]], marks: dict[str, Mark],
                                   expected: dict[str, type]) -> None:
    found = side_steps(legs, bridges, marks)
    assert {c: type(found[c]) for c in expected} == expected, case
    for step in found.values():
        if isinstance(step, EndLeg):
            assert step.leg_id in (LEG, LEG2)


def test_the_operator_of_a_conference_is_their_offer_and_a_hold_is_left() -> None:
    found = side_steps([leg(LEG, "PJSIP/carrier-out-1")],
                       [{"id": TALK_BRIDGE, "channels": [OUT, "offer-1"]},
                        {"id": "hold-abc", "channels": ["c-talk"]}], MARKS)
    talk = found["c-talk"]
    assert isinstance(talk, Talking)
    assert (talk.bridge_id, talk.operator, talk.operator_channel, talk.back_from) == (
        TALK_BRIDGE, "op-a", "offer-1", "hold-abc")
    assert found[OUT] == EndLeg(OUT, LEG, "ended")
    ringing = side_steps([leg(LEG, "PJSIP/op-b-1", answered=False)], BRIDGES, MARKS)
    assert ringing[OUT] == EndLeg(OUT, LEG, "cancelled")


def test_on_call_keeps_the_position_and_the_leg_or_ends_without_it() -> None:
    bridge = {"id": f"oncall-{IVR.hex}", "name": f"oncall-{IVR.hex}:2", "channels": ["c-ivr", OUT]}
    found = side_steps([leg(LEG, "PJSIP/carrier-out-1")], [bridge], {"c-ivr": EMERGENCY})
    assert found["c-ivr"] == OnCall(found["c-ivr"].channel, EMERGENCY,  # type: ignore[union-attr]
                                    f"oncall-{IVR.hex}", 2, OUT, LEG, "PJSIP/carrier-out-1")
    alone = side_steps([], [{**bridge, "channels": ["c-ivr"]}], {"c-ivr": EMERGENCY})
    step = alone["c-ivr"]
    assert isinstance(step, OnCall) and (step.leg_channel, step.leg_id) == ("", None)
    # An emergency in the IVR or voicemail with no on-call list rung: the IVR again.
    assert isinstance(side_steps([], [], {"c-ivr": Mark(IVR)})["c-ivr"], Restart)


def _channel(channel_id: str, created: str) -> ari.Channel:
    return ari.Channel(channel_id, "PJSIP/carrier-1", "Up", "", "", "15550100101", "c", created)


@pytest.mark.parametrize(("a", "b", "same"), [
    # the same channel, as StasisStart gave it and as GET /channels gives it after a restart
    (("1733071234.5", "2026-12-01T16:25:39.123+0000"),
     ("1733071234.5", "2026-12-01T16:25:39.123+0000"), True),
    # Asterisk restarted in the same second: the id again, not the creation time
    (("1733071234.5", "2026-12-01T16:25:39.123+0000"),
     ("1733071234.5", "2026-12-01T16:25:39.871+0000"), False),
    (("1733071234.5", "2026-12-01T16:25:39.123+0000"),
     ("1733071234.6", "2026-12-01T16:25:39.123+0000"), False),
])
def test_a_calls_id_is_its_callers_channels(a: tuple[str, str], b: tuple[str, str],
                                           same: bool) -> None:
    assert (call_id_of(_channel(*a)) == call_id_of(_channel(*b))) is same
