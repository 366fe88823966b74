"""Why a call went to voicemail, in words: the message's email, its list and the call's
timeline say it alike. Pure."""

from __future__ import annotations

WORDS = {"closed": "the line was closed", "no_operators": "no operator was logged in",
         "phones_offline": "no operator's phone was connected",
         "max_wait": "the caller waited too long in the queue",
         "error": "the call could not be routed",
         "oncall_unanswered": "nobody on the line's on-call list accepted the call"}


def said(reason: str) -> str:
    """A reason not on the list is shown as it is."""
    return WORDS.get(reason, reason.replace("_", " "))
