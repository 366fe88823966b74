"""What an operator's leg ending means for their caller, from how Asterisk ended it. Pure.

Measured on Asterisk 22.10.1 with a genuine softphone frozen mid-call (no BYE, no audio;
tests/test_dead_phone_sip.py): the endpoint's rtp_timeout ends the leg with a *soft*
hang-up request whose cause is Asterisk's flag AST_SOFTHANGUP_DEV (1), not a Q.850 cause;
the channel is then destroyed with cause 44 (REQUESTED_CHAN_UNAVAIL, "Requested channel not
available"). A phone that hangs up sends a BYE: a hard request, cause 16 (NORMAL_CLEARING),
or the cause of its Reason header. The app's own hang-ups of a leg come after the talk is
over, so they are never asked about here.
"""

from __future__ import annotations

RELEASED = "released"  # the operator hung up: the caller's call ends, as it always did
LOST = "lost"  # the phone or the network failed: the caller back to the front of the queue

SOFTHANGUP_DEV = 1  # a channel driver hung up the channel itself (the RTP timeout does)
# Q.850 causes a phone's leg ends with when it or the network failed, not its user:
# 18 no user responding (a request timed out), 20 subscriber absent, 27 destination out of
# order, 38 network out of order, 41 temporary failure, 42 congestion, 44 requested channel
# unavailable, 47 resource unavailable, 102 recovery on timer expiry.
FAILURES = frozenset({18, 20, 27, 38, 41, 42, 44, 47, 102})


def after_leg(hangup: tuple[int, bool] | None) -> str:
    """hangup: (cause, soft) of the leg's first hang-up request; None when none was seen
    (its end learnt another way: as before, the call ends)."""
    if hangup is None:
        return RELEASED
    cause, soft = hangup
    if soft:
        return LOST if cause == SOFTHANGUP_DEV else RELEASED
    return LOST if cause in FAILURES else RELEASED


def reason(hangup: tuple[int, bool] | None) -> str:
    """How a lost leg reads in the call's timeline: `no_audio` (the RTP timeout), else the
    Q.850 cause, `cause_44`."""
    if hangup is None:
        return "unknown"
    cause, soft = hangup
    return "no_audio" if soft and cause == SOFTHANGUP_DEV else f"cause_{cause}"
