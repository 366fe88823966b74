"""A call's timeline in words (supervision/timeline_words.py)."""

from __future__ import annotations

import pytest

from lifeline_pbx.supervision import timeline_words


@pytest.mark.parametrize(("kind", "details", "what", "said"), [
    ("prompt_finished", {"ok": "yes"}, "Prompt over", "in full"),
    ("prompt_finished", {"ok": "no"}, "Prompt over", "cut short"),
    ("queued", {"priority": "0", "queue_id": "3"}, "Waiting for an operator",
     "not urgent; queue id: 3"),
    ("caller_hangup", {"cause": "16"}, "The caller hung up", "cause: 16 (normal clearing)"),
    ("caller_hangup", {"cause": "99"}, "The caller hung up", "cause: 99"),
    ("language_default", {"reason": "no_input"}, "Language by default",
     "reason: no key pressed"),
    ("voicemail", {"reason": "max_wait"}, "Sent to voicemail",
     "reason: the caller waited too long in the queue"),
    ("voicemail", {"reason": "phones_offline"}, "Sent to voicemail",
     "reason: no operator's phone was connected"),
    ("triage", {"urgent": "yes"}, "Triage", "emergency"),
    ("supervision_started", {"user_id": "7", "mode": "listen"}, "Supervisor: listening",
     "mode: listen"),
    ("some_new_kind", {"odd_key": "a_value"}, "some new kind", "odd key: a value"),
    ("answered", {}, "The PBX answered", ""),
])
def test_a_timeline_line_in_words(kind: str, details: dict[str, str], what: str,
                                  said: str) -> None:
    assert (timeline_words.what(kind), timeline_words.detail(details)) == (what, said)
