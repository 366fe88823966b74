"""ARI JSON to typed events, and the reconnect back-off."""

from __future__ import annotations

from typing import Any

import pytest

from lifeline_pbx.ari import events as ari

CHANNEL = {
    "id": "1700.1",
    "name": "PJSIP/carrier-00000001",
    "state": "Ring",
    "caller": {"name": "Facility", "number": "7065550100"},
    "dialplan": {"context": "from-carrier", "exten": "15550100101", "priority": 1},
}

CASES: dict[str, tuple[dict[str, Any], object]] = {
    "stasis start with args": (
        {"type": "StasisStart", "args": ["inbound", "15550100101"], "channel": CHANNEL},
        ari.StasisStart(ari.parse_channel(CHANNEL), ("inbound", "15550100101")),
    ),
    "dtmf": (
        {"type": "ChannelDtmfReceived", "digit": "9", "channel": CHANNEL},
        ari.DtmfReceived(ari.parse_channel(CHANNEL), "9"),
    ),
    "hangup request": (
        {"type": "ChannelHangupRequest", "cause": 16, "channel": CHANNEL},
        ari.HangupRequest(ari.parse_channel(CHANNEL), 16),
    ),
    "hang-up request, Asterisk shutting down": (
        {"type": "ChannelHangupRequest", "cause": 4, "soft": True, "channel": CHANNEL},
        ari.HangupRequest(ari.parse_channel(CHANNEL), 4, soft=True),
    ),
    "destroyed": (
        {"type": "ChannelDestroyed", "cause": 17, "cause_txt": "User busy", "channel": CHANNEL},
        ari.ChannelDestroyed(ari.parse_channel(CHANNEL), 17, "User busy"),
    ),
    "playback finished on a channel": (
        {"type": "PlaybackFinished",
         "playback": {"id": "abc.p1", "target_uri": "channel:1700.1", "state": "done"}},
        ari.PlaybackFinished("abc.p1", "1700.1", "done"),
    ),
    "playback on a bridge has no channel": (
        {"type": "PlaybackStarted", "playback": {"id": "x", "target_uri": "bridge:b1"}},
        ari.PlaybackStarted("x", None),
    ),
    "recording finished": (
        {"type": "RecordingFinished",
         "recording": {"name": "r1", "target_uri": "channel:1700.1", "duration": 4}},
        ari.RecordingFinished("r1", "1700.1", 4),
    ),
    "a phone registered": (
        {"type": "PeerStatusChange", "peer": {"peer_status": "Reachable"},
         "endpoint": {"technology": "PJSIP", "resource": "op-a", "state": "online",
                      "channel_ids": []}},
        ari.EndpointState("PJSIP", "op-a", online=True),
    ),
    "a phone gone": (
        {"type": "PeerStatusChange", "peer": {"peer_status": "Unreachable"},
         "endpoint": {"technology": "PJSIP", "resource": "op-a", "state": "offline",
                      "channel_ids": []}},
        ari.EndpointState("PJSIP", "op-a", online=False),
    ),
    # Sent for every channel on the endpoint too (two a call): not how registrations are read.
    "an endpoint's channels changed": (
        {"type": "EndpointStateChange",
         "endpoint": {"technology": "PJSIP", "resource": "op-a", "state": "online",
                      "channel_ids": ["1700.2"]}},
        ari.OtherEvent("EndpointStateChange", None),
    ),
    "unknown type keeps its channel": (
        {"type": "ChannelVarset", "channel": CHANNEL},
        ari.OtherEvent("ChannelVarset", "1700.1"),
    ),
    "missing fields do not crash": (
        {"type": "StasisStart", "channel": {}},
        ari.StasisStart(ari.Channel("", "", "", "", "", "", ""), ()),
    ),
    "no type at all": ({}, ari.OtherEvent("", None)),
}


@pytest.mark.parametrize("raw,expected", CASES.values(), ids=CASES.keys())
def test_parse(raw: dict[str, Any], expected: object) -> None:
    assert ari.parse_event(raw) == expected


def test_channel_id_routing() -> None:
    event = ari.parse_event({"type": "PlaybackFinished",
                             "playback": {"id": "p", "target_uri": "channel:9.9"}})
    assert ari.channel_id_of(event) == "9.9"
    assert ari.channel_id_of(ari.parse_event(CASES["dtmf"][0])) == "1700.1"


def test_only_a_soft_hang_up_for_shutdown_is_the_pbx_stopping() -> None:
    channel = ari.parse_channel(CHANNEL)
    assert ari.HangupRequest(channel, 4, soft=True).pbx_shutdown
    assert not ari.HangupRequest(channel, 4).pbx_shutdown  # Q.850 4 from the far end
    assert not ari.HangupRequest(channel, 32, soft=True).pbx_shutdown  # an explicit hang-up


def test_a_channels_creation_time_is_kept_as_asterisk_gives_it() -> None:
    """calls/marks.call_id_of derives a call's id from it."""
    created = "2026-12-01T16:25:39.123+0000"
    assert ari.parse_channel({**CHANNEL, "creationtime": created}).created == created
    assert ari.parse_channel(CHANNEL).created == ""


@pytest.mark.parametrize(("created", "epoch"), [
    ("2026-12-01T16:25:39.123+0000", 1796142339.123),
    ("2026-12-01T11:25:39.500-0500", 1796142339.5),
    ("", 0.0),
    ("yesterday", 0.0),
])
def test_a_channels_creation_time_in_epoch_seconds(created: str, epoch: float) -> None:
    channel = ari.parse_channel({**CHANNEL, "creationtime": created})
    assert ari.created_epoch(channel) == pytest.approx(epoch)
