"""A call's timeline (call_events) in words for its page: what each kind of event means,
and its detail as a reader would say it. The kinds are the engine's (calls/flow.py,
queues/, transfers/, escalation/, supervision/listen_in.py); one the table does not know
is shown as it is, so a new kind is never hidden. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from lifeline_pbx.voicemail import reasons as voicemail_reasons

WHAT: dict[str, str] = {
    "answered": "The PBX answered",
    "unknown_did": "A number no line has",
    "rules": "Told the call may be monitored",
    "prompt": "Prompt played",
    "prompt_finished": "Prompt over",
    "interrupted": "Prompt cut short by a key",
    "notices_full": "Heard the notices in full",
    "language": "Language chosen",
    "language_default": "Language by default",
    "invalid_choice": "A key the menu does not offer",
    "key_applied": "Key taken",
    "key_ignored": "Key ignored",
    "key_kept": "Key kept for the next menu",
    "triage_asked": "Asked if it is an emergency",
    "triage": "Triage",
    "queued": "Waiting for an operator",
    "announced": "Told their place in the queue",
    "requeued": "Back in a queue",
    "queue_left": "Left the queue",
    "connected": "Put through to an operator",
    "recorded": "Recording started",
    "limit_warning": "Warned the call is near its time limit",
    "voicemail": "Sent to voicemail",
    "voicemail_failed": "The message could not be recorded",
    "escalation_started": "Emergency: the on-call list rung",
    "emergency_wait_over": "Emergency: waited too long for an operator",
    "oncall_ringing": "On-call: ringing",
    "oncall_answered": "On-call: answered",
    "oncall_accepted": "On-call: took the call",
    "oncall_declined": "On-call: declined",
    "oncall_refused": "On-call: refused by the phone",
    "oncall_unanswered": "On-call: nobody answered",
    "oncall_connected": "On-call: put through",
    "oncall_hangup": "On-call: hung up",
    "oncall_stopped": "On-call: stopped",
    "transfer_ringing": "Transfer: ringing",
    "transfer_consulting": "Transfer: talking to them first",
    "transfer_returned": "Transfer: back to the caller",
    "transfer_completed": "Transferred",
    "transfer_unattended": "Transferred without talking first",
    "transfer_failed": "Transfer failed",
    "transfer_queue": "Sent to another queue",
    "conference_ringing": "Third party: ringing",
    "conference_joined": "Third party: joined",
    "conference_left": "Third party: left",
    "supervision_ringing": "Supervisor: ringing",
    "supervision_started": "Supervisor: listening",
    "supervision_mode": "Supervisor: mode changed",
    "supervision_ended": "Supervisor: left",
    "supervision_failed": "Supervisor: could not join",
    "resumed": "Taken back after an app restart",
    "caller_hangup": "The caller hung up",
    "operator_hangup": "The operator hung up",
    "operator_lost": "The operator's phone was lost: back in the queue",
    "pbx_shutdown": "The PBX shut down",
    "ended_unseen": "Ended while the app was away",
    "ended": "Call over",
    "error": "Error",
}

# Detail values said in words (the same value means the same everywhere it appears).
VALUES: dict[str, dict[str, str]] = {
    "ok": {"yes": "in full", "no": "cut short"},
    "urgent": {"yes": "emergency", "no": "not urgent"},
    "priority": {"0": "not urgent", "1": "emergency"},
    # a language by default, and why a call went to voicemail (as its email says it)
    "reason": {"no_input": "no key pressed", "invalid": "a key not offered",
               "no_audio": "no sound from the phone", **voicemail_reasons.WORDS},
}
# Q.850 causes Asterisk gives most often (its `cause` of a hang-up).
CAUSES = {"0": "unknown", "1": "unallocated number", "16": "normal clearing",
          "17": "user busy", "18": "no user responding", "19": "no answer",
          "21": "call rejected", "27": "destination out of order", "31": "normal, unspecified",
          "34": "no circuit available", "38": "network out of order",
          "127": "interworking, unspecified"}
HIDDEN = frozenset({"user_id"})  # shown in the Who column instead
KEYLESS = frozenset({"ok", "urgent", "priority"})  # their value says it all: "cut short"


def what(kind: str) -> str:
    return WHAT.get(kind, kind.replace("_", " "))


def value(key: str, raw: str) -> str:
    if key == "cause":
        return f"{raw} ({CAUSES[raw]})" if raw in CAUSES else raw
    return VALUES.get(key, {}).get(raw, raw.replace("_", " "))


def detail(details: Mapping[str, str]) -> str:
    """"key: value; ..." in key order, values in words."""
    return "; ".join(value(key, raw) if key in KEYLESS
                     else f"{key.replace('_', ' ')}: {value(key, raw)}"
                     for key, raw in sorted(details.items()) if key not in HIDDEN)
