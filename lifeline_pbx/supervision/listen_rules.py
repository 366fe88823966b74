"""Supervision of a live call, decided without I/O: who may listen to, whisper to or join
which call, how each mode taps the operator's leg, and what a change of mode does.

The supervisor hears the call through an ARI snoop channel on the operator's leg: that
leg receives the caller and sends the operator, so `spy=both` carries both voices. A
whisper goes out on the same leg only (`whisper=out`): the operator hears the supervisor,
the caller does not. (It is mixed into the audio the call sends the operator: a caller's
line that sent nothing while silent would carry no whisper; carriers send audio all
along.) To join, the supervisor's own leg enters the call's mixing bridge, and everyone
hears everyone. The snoops are a tuple per mode so a mode may tap both legs one day.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.accounts import users

MODES = ("listen", "whisper", "join")
# Supervisors' legs and their snoops are known as ours by their ids, even while ringing
# (calls/adoption.py hangs up those left over from before a restart).
CHANNEL_PREFIX = "supervise-"
SNOOP_PREFIX = "svsnoop-"
APP_ARG = "supervise"  # the Stasis argument of both, once answered

NOT_SUPERVISOR = "Listening in is for supervisors."
NO_PHONE = ("Your account is not linked to a phone (SIP) account, so the system cannot ring "
            "you. Ask an admin to link one.")
NOT_LIVE = "This call is not with an operator now (it ended, or it is still waiting)."
OWN_CALL = "You are the operator on this call."
PHONE_BUSY = "Your phone is busy with a call. Hang up first."
READY_FOR_CALLS = ("Your phone is ready for queue calls. Pause or log out of the queues "
                   "first, so that no caller rings it while you listen.")
ELSEWHERE = "You are already on another call. Hang up that one first."
UNKNOWN_MODE = "Choose listen, whisper or join."


CALLER, OPERATOR = "caller", "operator"  # the call's legs


@dataclass(frozen=True)
class Snoop:
    """An ARI snoop on one of the call's legs: what the supervisor hears of it (`spy`) and
    where their voice goes on it (`whisper`)."""

    leg: str  # CALLER or OPERATOR
    spy: str
    whisper: str


_SNOOPS: dict[str, tuple[Snoop, ...]] = {
    "listen": (Snoop(OPERATOR, "both", "none"),),
    "whisper": (Snoop(OPERATOR, "both", "out"),),
    "join": (),  # no snoop: the supervisor's leg joins the call's bridge
}


def snoops_for(mode: str) -> tuple[Snoop, ...]:
    return _SNOOPS[mode]


@dataclass(frozen=True)
class Supervisor:
    user_id: int
    role: str
    phone: str | None  # the SIP account linked to the user, if any


@dataclass(frozen=True)
class PhoneState:
    """What the distributor says of the supervisor's phone."""

    busy: bool = False  # on a call, or ringing with a queue call
    ready_for_calls: bool = False  # logged in to the queues and not paused


def refusal(who: Supervisor, mode: str, call_operator: str | None, phone: PhoneState,
            supervising: bool) -> str | None:
    """Why this supervisor may not start supervising this call now; None: they may.

    call_operator: whose phone the call is bridged to now (None: not with an operator);
    supervising: the supervisor is already on another call."""
    if users.rank(who.role) < users.rank("supervisor"):
        return NOT_SUPERVISOR
    if mode not in MODES:
        return UNKNOWN_MODE
    if who.phone is None:
        return NO_PHONE
    if call_operator is None:
        return NOT_LIVE
    if call_operator == who.phone:
        return OWN_CALL
    if supervising:
        return ELSEWHERE
    if phone.busy:
        return PHONE_BUSY
    if phone.ready_for_calls:
        return READY_FOR_CALLS
    return None


# The steps of a change of mode on an answered supervisor's leg, in order. The new tap is
# made before the old one goes, so the supervisor hears no gap; leaving the call's bridge
# comes first, so the caller never hears a supervisor who went back to listening.
NEW_SNOOP = "new_snoop"  # the new mode's snoops, into the supervisor's bridge
DROP_SNOOP = "drop_snoop"  # hang up the previous mode's snoops
JOIN_CALL = "join_call"  # the supervisor's leg into the call's bridge
LEAVE_CALL = "leave_call"  # the supervisor's leg back into their own bridge


def switch_steps(old: str, new: str) -> tuple[str, ...]:
    """What changing from mode `old` to mode `new` takes; () when nothing changes."""
    if old == new:
        return ()
    if new == "join":
        return (JOIN_CALL, DROP_SNOOP)
    if old == "join":
        return (LEAVE_CALL, NEW_SNOOP)
    return (NEW_SNOOP, DROP_SNOOP)
