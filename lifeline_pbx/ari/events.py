"""ARI events as frozen dataclasses: the rest of the app never touches raw JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    exten: str
    context: str
    created: str = ""  # Asterisk's creationtime, as it gives it


@dataclass(frozen=True)
class StasisStart:
    channel: Channel
    args: tuple[str, ...]


@dataclass(frozen=True)
class StasisEnd:
    channel: Channel


@dataclass(frozen=True)
class DtmfReceived:
    channel: Channel
    digit: str
    # When Asterisk published it: the same key comes twice on a channel of an endpoint
    # the app follows (once for the Stasis channel, once for the endpoint subscription).
    at: str = ""


# A soft hang-up's "cause" is Asterisk's reason flag, not a Q.850 cause: this one is
# Asterisk shutting down (AST_SOFTHANGUP_SHUTDOWN), which ends every channel it holds.
SOFTHANGUP_SHUTDOWN = 4


@dataclass(frozen=True)
class HangupRequest:
    channel: Channel
    cause: int
    soft: bool = False

    @property
    def pbx_shutdown(self) -> bool:
        """Asterisk is stopping (restart, crash-less stop): nobody chose to end the call."""
        return self.soft and self.cause == SOFTHANGUP_SHUTDOWN


@dataclass(frozen=True)
class ChannelDestroyed:
    channel: Channel
    cause: int
    cause_text: str


@dataclass(frozen=True)
class ChannelStateChange:
    channel: Channel


@dataclass(frozen=True)
class PlaybackStarted:
    playback_id: str
    channel_id: str | None


@dataclass(frozen=True)
class PlaybackFinished:
    playback_id: str
    channel_id: str | None
    state: str  # "done" when played to the end, "failed" when the file could not play


@dataclass(frozen=True)
class RecordingFinished:
    name: str
    channel_id: str | None
    duration: int
    failed: bool = False  # RecordingFailed (a file Asterisk cannot open still ends "done")


@dataclass(frozen=True)
class EndpointState:
    technology: str
    resource: str
    online: bool


@dataclass(frozen=True)
class OtherEvent:
    type: str
    channel_id: str | None


Event = (
    StasisStart
    | StasisEnd
    | DtmfReceived
    | HangupRequest
    | ChannelDestroyed
    | ChannelStateChange
    | PlaybackStarted
    | PlaybackFinished
    | RecordingFinished
    | EndpointState
    | OtherEvent
)


def parse_channel(data: dict[str, Any]) -> Channel:
    caller = data.get("caller") or {}
    dialplan = data.get("dialplan") or {}
    return Channel(
        id=str(data.get("id", "")),
        name=str(data.get("name", "")),
        state=str(data.get("state", "")),
        caller_number=str(caller.get("number", "")),
        caller_name=str(caller.get("name", "")),
        exten=str(dialplan.get("exten", "")),
        context=str(dialplan.get("context", "")),
        created=str(data.get("creationtime", "")),
    )


def created_epoch(channel: Channel) -> float:
    """When Asterisk made the channel, in epoch seconds (its creationtime,
    "2026-12-02T07:40:12.345+0000"); 0 when it gave none we can read."""
    try:
        return datetime.strptime(channel.created, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return 0.0


def parse_endpoint(data: dict[str, Any]) -> EndpointState:
    return EndpointState(
        technology=str(data.get("technology", "")),
        resource=str(data.get("resource", "")),
        online=str(data.get("state", "")) == "online",
    )


def _target_channel(target_uri: str) -> str | None:
    kind, _, ident = target_uri.partition(":")
    return ident if kind == "channel" and ident else None


# The event types the app acts on; it asks Asterisk for these alone (eventFilter). The
# rest (variables set, bridges entered, dials, state changes, ...) would cost Asterisk a
# WebSocket write and the app a parse each, for nothing.
# A phone's registration comes as PeerStatusChange, sent only when its endpoint goes online
# or offline. EndpointStateChange also comes whenever a channel on the endpoint starts or
# ends: two per call for every operator's leg.
HANDLED_TYPES = (
    "StasisStart", "StasisEnd", "ChannelDtmfReceived", "ChannelHangupRequest",
    "ChannelDestroyed", "PlaybackFinished", "RecordingFinished", "RecordingFailed",
    "PeerStatusChange",
)


def parse_event(data: dict[str, Any]) -> Event:
    kind = str(data.get("type", ""))
    raw_channel = data.get("channel")
    channel = parse_channel(raw_channel) if isinstance(raw_channel, dict) else None
    if channel is not None:
        if kind == "StasisStart":
            return StasisStart(channel, tuple(str(a) for a in data.get("args", [])))
        if kind == "StasisEnd":
            return StasisEnd(channel)
        if kind == "ChannelDtmfReceived":
            return DtmfReceived(channel, str(data.get("digit", "")),
                                str(data.get("timestamp", "")))
        if kind == "ChannelHangupRequest":
            return HangupRequest(channel, int(data.get("cause", 0) or 0),
                                 bool(data.get("soft", False)))
        if kind == "ChannelDestroyed":
            return ChannelDestroyed(
                channel, int(data.get("cause", 0) or 0), str(data.get("cause_txt", ""))
            )
        if kind == "ChannelStateChange":
            return ChannelStateChange(channel)
    if kind in ("PlaybackStarted", "PlaybackFinished"):
        playback = data.get("playback") or {}
        target = _target_channel(str(playback.get("target_uri", "")))
        if kind == "PlaybackStarted":
            return PlaybackStarted(str(playback.get("id", "")), target)
        return PlaybackFinished(str(playback.get("id", "")), target, str(playback.get("state", "")))
    if kind in ("RecordingFinished", "RecordingFailed"):
        recording = data.get("recording") or {}
        return RecordingFinished(
            str(recording.get("name", "")),
            _target_channel(str(recording.get("target_uri", ""))),
            int(recording.get("duration", 0) or 0),
            kind == "RecordingFailed",
        )
    if kind == "PeerStatusChange":  # its endpoint is as the change left it
        return parse_endpoint(data.get("endpoint") or {})
    return OtherEvent(kind, channel.id if channel else None)


def channel_id_of(event: Event) -> str | None:
    """The channel an event belongs to, which is how it is routed to its call."""
    if isinstance(event, PlaybackStarted | PlaybackFinished | RecordingFinished | OtherEvent):
        return event.channel_id
    if isinstance(event, EndpointState):
        return None
    return event.channel.id
