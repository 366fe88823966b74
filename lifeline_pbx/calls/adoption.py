"""Taking calls back after a (re)connection to Asterisk, from what Asterisk holds.

Asterisk is the truth about where a channel is: a caller in a queue's holding bridge waits
on in their place, a caller in a call bridge keeps talking (one on hold for a warm
transfer comes back to their operator), a caller bridged with someone on the on-call list
keeps talking, an emergency caller whose on-call list was being rung has it rung again
from the top, a caller leaving a message finishes it (and it is saved), a caller anywhere
else in our app (the IVR, the voicemail prompt) starts the IVR again under the same call
id. An outbound leg (outbound/legs.py) the new process does not
carry on (a conference's third party, a relay call, a warm transfer's other party, an
on-call phone still ringing) is hung up and its record closed: whoever it left is with
the caller or their operator still, or rung again. What a call needs
for that the app wrote on the caller's channel (calls/marks.py), so no database is needed:
PostgreSQL only enriches a channel that carries no mark, and only when it answers.

`plan` decides, without I/O, from Asterisk's lists of channels and bridges; `survey` reads
those lists (and the marks); calls/dispatch.py carries the plan out.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from lifeline_pbx.ari import events as ari
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls.marks import VARIABLE, Mark, read_mark
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError
from lifeline_pbx.escalation import oncall
from lifeline_pbx.outbound.legs import APP_ARG as LEG_ROLE
from lifeline_pbx.outbound.legs import CHANNEL_PREFIX as LEG_PREFIX
from lifeline_pbx.queues.bridges import call_of_bridge, queue_of_bridge
from lifeline_pbx.queues.offers import CHANNEL_PREFIX as OFFER_PREFIX
from lifeline_pbx.supervision.listen_rules import APP_ARG as SUPERVISOR_ROLE
from lifeline_pbx.supervision.listen_rules import CHANNEL_PREFIX, SNOOP_PREFIX

SUPERVISOR_PREFIXES = (CHANNEL_PREFIX, SNOOP_PREFIX)
HOLD_PREFIX = "hold-"  # a warm transfer's holding bridge (transfers/service.py)

log = logging.getLogger(__name__)
Json = dict[str, Any]
ENRICH_TIMEOUT = 3.0  # seconds the database may take before adoption goes on without it


@dataclass(frozen=True)
class Waiting:
    """A caller in a queue's holding bridge."""

    channel: ari.Channel
    mark: Mark
    queue_id: int


@dataclass(frozen=True)
class Talking:
    """A caller bridged with an operator (operator "" when the operator's leg is gone)."""

    channel: ari.Channel
    mark: Mark
    bridge_id: str
    operator: str
    operator_channel: str
    back_from: str = ""  # on hold for a warm transfer: the holding bridge they leave


@dataclass(frozen=True)
class OnCall:
    """A caller bridged with someone on the on-call list (leg "" when that leg is gone)."""

    channel: ari.Channel
    mark: Mark
    bridge_id: str
    position: int
    leg_channel: str
    leg_id: uuid.UUID | None
    leg_name: str = ""  # its channel's name: which phone or trunk it rings


@dataclass(frozen=True)
class Escalating:
    """An emergency caller whose on-call list was being rung: rung again from the top."""

    channel: ari.Channel
    mark: Mark


@dataclass(frozen=True)
class Recording:
    """A caller leaving a message (the mark names it): they finish it, and it is saved; if
    it ended while nobody heard (live False), at once."""

    channel: ari.Channel
    mark: Mark
    live: bool


@dataclass(frozen=True)
class EndLeg:
    """An outbound leg nobody carries on: hung up, its record closed with this outcome."""

    channel_id: str
    leg_id: uuid.UUID | None
    outcome: str  # ended (answered) or cancelled (still ringing)


@dataclass(frozen=True)
class Restart:
    """A caller in our app but in no queue or call: the IVR starts again."""

    channel: ari.Channel
    call_id: uuid.UUID | None


@dataclass(frozen=True)
class Gone:
    """A channel we hold (a call or an operator's leg) that Asterisk no longer has."""

    channel_id: str


@dataclass(frozen=True)
class HangUp:
    """An operator's leg of an offer nobody holds any more: answered, it would be silence.

    A leg still ringing when the app that placed it died is hung up too: the caller waits
    on in the queue and is offered again at once, by this process, which then knows the
    offer (and counts no miss for the one it never placed)."""

    channel_id: str


Step = Waiting | Talking | OnCall | Escalating | Recording | Restart | Gone | HangUp | EndLeg
Taken = Waiting | Talking | OnCall | Escalating | Recording | Restart


@dataclass(frozen=True)
class Survey:
    channels: list[Json]
    bridges: list[Json]
    marks: Mapping[str, Mark]  # caller channel id -> its mark (read or from the database)
    recording: frozenset[str] = frozenset()  # the marks' messages still being recorded


def endpoint_of(channel_name: str) -> str:
    """'PJSIP/op-a-0000001f' -> 'op-a'."""
    resource = channel_name.split("/", 1)[-1]
    return resource.rsplit("-", 1)[0]


def _role(data: Json, app: str) -> str:
    """A channel's part in our app, its Stasis argument: 'inbound' (a caller), 'offer' (an
    operator's leg), LEG_ROLE (an outbound leg), SUPERVISOR_ROLE; a ringing offer or
    supervisor's leg by its id alone; else ''."""
    dialplan = data.get("dialplan") or {}
    if dialplan.get("app_name") != "Stasis":
        # Ringing: the originate has not reached Stasis yet; only its id says it is ours.
        channel_id = str(data.get("id", ""))
        if channel_id.startswith(OFFER_PREFIX):
            return "offer"
        return SUPERVISOR_ROLE if channel_id.startswith(SUPERVISOR_PREFIXES) else ""
    args = str(dialplan.get("app_data", "")).split(",")
    return args[1] if len(args) > 1 and args[0] == app else ""


def still_held(survey: Survey, held: Iterable[str]) -> list[str]:
    """The channels we held before the survey that Asterisk still has."""
    present = {str(c.get("id", "")) for c in survey.channels}
    return [c for c in held if c in present]


def callers(channels: Iterable[Json], app: str, held: Iterable[str]) -> list[str]:
    """Ids of the callers' channels in our app that nobody here holds yet."""
    taken = set(held)
    return [str(c.get("id", "")) for c in channels
            if _role(c, app) == "inbound" and str(c.get("id", "")) not in taken]


def plan(survey: Survey, app: str, held: Iterable[str], newer: Iterable[str] = ()) -> list[Step]:
    """What to do with each channel in our app.

    held: channels we had a task for when the survey began (absent from it: gone);
    newer: channels taken on since (an offer placed meanwhile), left alone too.
    """
    taken = set(held)
    by_id = {str(c.get("id", "")): c for c in survey.channels}
    bridges = {str(b.get("id", "")): b for b in survey.bridges}
    bridge_of: dict[str, str] = {}
    for bridge_id, bridge in bridges.items():
        for member in bridge.get("channels", []):
            bridge_of[str(member)] = bridge_id
    steps: list[Step] = [Gone(c) for c in sorted(taken - set(by_id))]
    taken.update(newer)
    bridged_legs: set[str] = set()  # operators' offers with a caller
    kept_legs: set[str] = set()  # outbound legs carried on (a handed-over call, an on-call)
    for channel_id in callers(survey.channels, app, taken):
        channel = ari.parse_channel(by_id[channel_id])
        step = _caller_step(channel, survey.marks.get(channel_id),
                            bridge_of.get(channel_id, ""), bridges, by_id, app,
                            survey.recording)
        if isinstance(step, Talking):
            members = _members(bridges.get(step.bridge_id, {}))
            bridged_legs.update(m for m in members if not m.startswith(LEG_PREFIX))
            kept_legs.add(step.operator_channel)
        elif isinstance(step, OnCall):
            kept_legs.add(step.leg_channel)
        steps.append(step)
    for channel_id, data in by_id.items():
        role = _role(data, app)
        if channel_id in taken:
            continue
        if (role == "offer" and channel_id not in bridged_legs) or role == SUPERVISOR_ROLE:
            # A supervisor's leg or snoop from before: its session is gone with the app.
            steps.append(HangUp(channel_id))
        elif channel_id.startswith(LEG_PREFIX) and channel_id not in kept_legs:
            answered = role == LEG_ROLE
            steps.append(EndLeg(channel_id, _leg_id(channel_id),
                                "ended" if answered else "cancelled"))
    return steps


def _members(bridge: Json) -> list[str]:
    return [str(c) for c in bridge.get("channels", [])]


def _leg_id(channel_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(channel_id[len(LEG_PREFIX):])
    except ValueError:
        return None


def _caller_step(channel: ari.Channel, mark: Mark | None, bridge_id: str,
                 bridges: Mapping[str, Json], by_id: Mapping[str, Json], app: str,
                 recording: Collection[str] = ()) -> Taken:
    queue_id = queue_of_bridge(bridge_id)
    if queue_id is not None and mark is not None:
        return Waiting(channel, mark, queue_id)
    call_id = call_of_bridge(bridge_id)
    if call_id is not None and (mark is None or mark.call_id == call_id):
        return _talking(channel, mark or Mark(call_id), bridge_id, bridges, by_id, app)
    if mark is None:
        return Restart(channel, None)
    if bridge_id.startswith(HOLD_PREFIX):
        with_operator = next((b for b in bridges if call_of_bridge(b) == mark.call_id), None)
        if with_operator is not None:
            # On hold for a warm transfer: back with their operator (the other party's leg,
            # in the call bridge with the operator, is let go).
            return _talking(channel, mark, with_operator, bridges, by_id, app,
                            back_from=bridge_id)
    if bridge_id == oncall.bridge_id(mark.call_id):
        legs = [m for m in _members(bridges[bridge_id]) if m.startswith(LEG_PREFIX)]
        leg = legs[0] if legs else ""
        return OnCall(channel, mark, bridge_id, _position(bridges[bridge_id]), leg,
                      _leg_id(leg) if leg else None, str(by_id.get(leg, {}).get("name", "")))
    if not bridge_id and mark.escalated:
        return Escalating(channel, mark)
    if not bridge_id and mark.voicemail:
        return Recording(channel, mark, mark.voicemail in recording)
    return Restart(channel, mark.call_id)


def _talking(channel: ari.Channel, mark: Mark, bridge_id: str, bridges: Mapping[str, Json],
             by_id: Mapping[str, Json], app: str, back_from: str = "") -> Talking:
    """The operator is their offer's leg; a call handed over by a warm transfer has an
    outbound leg instead. A supervisor who joined is in the bridge too, never the operator;
    a conference's third party neither."""
    others = [m for m in _members(bridges.get(bridge_id, {})) if m != channel.id
              and _role(by_id.get(m, {}), app) != SUPERVISOR_ROLE and m in by_id]
    offers = [m for m in others if not m.startswith(LEG_PREFIX)]
    operator_channel = (offers or others or [""])[0]
    if not offers and back_from:
        operator_channel = ""  # the operator left during the consultation
    name = str(by_id.get(operator_channel, {}).get("name", ""))
    return Talking(channel, mark, bridge_id, endpoint_of(name) if name else "",
                   operator_channel, back_from)


def _position(bridge: Json) -> int:
    """The on-call list position, kept in the bridge's name (escalation/runner.py)."""
    tail = str(bridge.get("name", "")).rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


async def survey(client: AriClient, held: Iterable[str],
                 pool: asyncpg.Pool | None = None) -> Survey:
    """Asterisk's channels and bridges, and the mark of each caller not yet held."""
    channels, bridges = await asyncio.gather(client.channels(), client.bridges())
    ids = callers(channels, client.app, held)
    values = await asyncio.gather(*(_mark_of(client, c) for c in ids))
    marks = {c: m for c, m in zip(ids, values, strict=True) if m is not None}
    unmarked = [c for c in ids if c not in marks]
    if unmarked and pool is not None:
        marks.update(await _from_database(pool, unmarked))
    names = [m.voicemail for m in marks.values() if m.voicemail]
    live = await asyncio.gather(*(_recording(client, name) for name in names))
    return Survey(channels, bridges, marks,
                  frozenset(n for n, on in zip(names, live, strict=True) if on))


async def _recording(client: AriClient, name: str) -> bool:
    """Whether Asterisk is still recording it; a failed ask counts as yes (the message is
    then saved when its end is heard)."""
    try:
        return await client.recording_live(name)
    except AriError:
        return True


async def _mark_of(client: AriClient, channel_id: str) -> Mark | None:
    try:
        return read_mark(await client.variable(channel_id, VARIABLE))
    except AriError:
        return None  # hung up meanwhile, or Asterisk did not answer: treated as unmarked


_OPEN_CALLS_SQL = """
    SELECT channel_id, id, language, priority, queue_id,
        coalesce(extract(epoch FROM queued_at), 0)::float8 AS queued_at
    FROM calls WHERE ended_at IS NULL AND channel_id = ANY($1::text[])
"""


async def _from_database(pool: asyncpg.Pool, channel_ids: list[str]) -> dict[str, Mark]:
    """Calls started before their channel carried a mark; nothing when the database is away."""
    try:
        async with asyncio.timeout(ENRICH_TIMEOUT), pool.acquire() as con:
            rows = await con.fetch(_OPEN_CALLS_SQL, channel_ids)
    except DATABASE_ERRORS as exc:
        log.warning("adoption without the database: %s", exc.__class__.__name__)
        return {}
    return {row["channel_id"]: Mark(row["id"], row["queue_id"], row["language"] or "",
                                    row["priority"] or 0, row["queued_at"]) for row in rows}
