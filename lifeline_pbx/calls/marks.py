"""What the app writes on a caller's channel, so that Asterisk itself carries what taking
the call back after a reconnect needs (calls/adoption.py): the queue, language, triage and
queue entry time once the caller is queued, why an emergency's on-call list is being
rung (the new process rings it again), and the name and reason of the message a caller
is leaving (the new process lets them finish it, and saves it).

A call's id needs no mark: it is derived from the caller's channel (`call_id_of`: its id
and creation time, which Asterisk gives again after a restart of the app). It was once a
random id, written on the channel as the call started: a request more per call, and a
call taken back before that write landed got a new id, and a second record.

One channel variable, `LIFELINE_CALL`, as `key=value` pairs joined by `;`. It holds no
caller identifier (no number, no name).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from lifeline_pbx.ari import events as ari

VARIABLE = "LIFELINE_CALL"
_CALLS = uuid.UUID("5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31")  # call_id_of's namespace


def call_id_of(channel: ari.Channel) -> uuid.UUID:
    """The call's id from its caller's channel. Asterisk reuses a channel id only after a
    restart in the same second, and then not with the same creation time."""
    return uuid.uuid5(_CALLS, f"{channel.id} {channel.created}")


@dataclass(frozen=True)
class Mark:
    call_id: uuid.UUID
    queue_id: int | None = None
    language: str = ""
    priority: int = 0
    queued_at: float = 0.0  # epoch seconds; 0 until queued
    escalated: str = ""  # the on-call list is rung, for this reason (flow._escalate)
    voicemail: str = ""  # a message is being recorded under this name, and why (its reason)
    reason: str = ""


def mark_text(mark: Mark) -> str:
    parts = [f"call={mark.call_id}"]
    if mark.queue_id is not None:
        parts += [f"queue={mark.queue_id}", f"queued_at={mark.queued_at:.6f}"]
    if mark.queue_id is not None or mark.escalated or mark.voicemail:
        parts += [f"language={mark.language}", f"priority={mark.priority}"]
    if mark.escalated:
        parts.append(f"escalated={mark.escalated}")
    if mark.voicemail:
        parts += [f"voicemail={mark.voicemail}", f"reason={mark.reason}"]
    return ";".join(parts)


def read_mark(text: str) -> Mark | None:
    """The mark in a channel variable's value; None when absent or unreadable."""
    fields = dict(part.partition("=")[::2] for part in text.split(";") if "=" in part)
    try:
        call_id = uuid.UUID(fields["call"])
        queue = fields.get("queue")
        return Mark(
            call_id=call_id,
            queue_id=int(queue) if queue else None,
            language=fields.get("language", ""),
            priority=int(fields.get("priority") or 0),
            queued_at=float(fields.get("queued_at") or 0.0),
            escalated=fields.get("escalated", ""),
            voicemail=fields.get("voicemail", ""),
            reason=fields.get("reason", ""),
        )
    except (KeyError, ValueError):
        return None
