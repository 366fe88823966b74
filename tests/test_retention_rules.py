"""Retention's decisions without a database: the settings form, what is due, when the
scheduled run is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lifeline_pbx.errors import Invalid
from lifeline_pbx.retention import rules
from lifeline_pbx.retention.rules import Limits, Removed

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

GOOD_FORMS = {
    "all blank: kept for ever": ({}, Limits()),
    "every kind at its floor": (
        {"call_records": "30", "recordings": "7", "voicemails": "30", "drafts": "1",
         "narratives": "365", "audit_entries": "365"},
        Limits(30, 7, 30, 1, 365, 365)),
    "spaces around": ({"drafts": " 14 "}, Limits(drafts=14)),
    "recordings as long as voicemails": ({"recordings": "90", "voicemails": "90"},
                                         Limits(recordings=90, voicemails=90)),
    "recordings blank go with voicemails": ({"voicemails": "90"}, Limits(voicemails=90)),
    "the most days": ({"audit_entries": "36500"}, Limits(audit_entries=36500)),
}


@pytest.mark.parametrize("name", GOOD_FORMS)
def test_a_good_form_gives_the_limits(name: str) -> None:
    form, expected = GOOD_FORMS[name]
    assert rules.parse_limits(form) == expected


BAD_FORMS = {
    "not a number": ({"drafts": "two"}, {"drafts": "whole number"}),
    "negative": ({"drafts": "-1"}, {"drafts": "whole number"}),
    "a fraction": ({"voicemails": "30.5"}, {"voicemails": "whole number"}),
    "non-ASCII digits": ({"drafts": "١٢"}, {"drafts": "whole number"}),
    "below the floor": ({"narratives": "364"}, {"narratives": "from 365"}),
    "audit below the floor": ({"audit_entries": "30"}, {"audit_entries": "from 365"}),
    "zero": ({"drafts": "0"}, {"drafts": "from 1"}),
    "too many days": ({"call_records": "36501"}, {"call_records": "to 36500"}),
    "too long": ({"call_records": "1234567"}, {"call_records": "whole number"}),
    "recordings outlive voicemails": ({"recordings": "91", "voicemails": "90"},
                                      {"recordings": "at most as long as voicemails"}),
    "two at once": ({"drafts": "x", "narratives": "1"},
                    {"drafts": "whole number", "narratives": "from 365"}),
}


@pytest.mark.parametrize("name", BAD_FORMS)
def test_a_bad_form_names_each_field(name: str) -> None:
    form, expected = BAD_FORMS[name]
    with pytest.raises(Invalid) as refused:
        rules.parse_limits(form)
    assert set(refused.value.errors) == set(expected)
    for field, words in expected.items():
        assert words in refused.value.errors[field]


def test_cutoffs_are_now_less_each_limit() -> None:
    cut = rules.cutoffs(Limits(drafts=2, narratives=365), NOW)
    assert cut.drafts == NOW - 2 * DAY and cut.narratives == NOW - 365 * DAY
    assert cut.call_records is None and cut.audit_entries is None


DUE = {
    # written, days kept, held, unreviewed -> due?
    "older than the limit": (NOW - 31 * DAY, 30, False, False, True),
    "a microsecond past the limit": (NOW - 30 * DAY - timedelta(microseconds=1), 30, False,
                                     False, True),
    "exactly at the limit": (NOW - 30 * DAY, 30, False, False, False),
    "younger": (NOW - 29 * DAY, 30, False, False, False),
    "kept for ever": (NOW - 10_000 * DAY, None, False, False, False),
    "older but on hold": (NOW - 31 * DAY, 30, True, False, False),
    "older but nobody reviewed it": (NOW - 31 * DAY, 30, False, True, False),
}


@pytest.mark.parametrize("name", DUE)
def test_what_is_due(name: str) -> None:
    written, days, held, unreviewed, expected = DUE[name]
    cutoff = rules.cutoffs(Limits(drafts=days), NOW).drafts
    assert rules.due(written, cutoff, held=held, unreviewed=unreviewed) is expected


KEPT = {
    # held, unreviewed -> why it stays (None: it goes)
    "neither": (False, False, None),
    "on hold": (True, False, "hold"),
    "not reviewed": (False, True, "unreviewed"),
    "both: the hold is named": (True, True, "hold"),
}


@pytest.mark.parametrize("name", KEPT)
def test_why_a_record_past_its_limit_stays(name: str) -> None:
    held, unreviewed, expected = KEPT[name]
    assert rules.kept_back(held=held, unreviewed=unreviewed) == expected


MESSAGE_CUTOFF = {
    # recordings days, voicemails days -> a message past its retention: written before
    "no limits": (None, None, None),
    "voicemails only": (None, 60, NOW - 60 * DAY),
    "recordings only": (10, None, NOW - 10 * DAY),
    "both: the audio goes first": (10, 60, NOW - 10 * DAY),
}


@pytest.mark.parametrize("name", MESSAGE_CUTOFF)
def test_when_a_message_is_past_its_retention(name: str) -> None:
    recordings, voicemails, expected = MESSAGE_CUTOFF[name]
    cut = rules.cutoffs(Limits(recordings=recordings, voicemails=voicemails), NOW)
    assert rules.message_cutoff(cut) == expected


RUN_DUE = {
    "never ran": (None, True),
    "ran a day ago": (NOW - DAY, True),
    "ran 23 hours ago": (NOW - 23 * timedelta(hours=1), False),
    "ran just now": (NOW, False),
}


@pytest.mark.parametrize("name", RUN_DUE)
def test_the_scheduled_run_is_due_once_a_day(name: str) -> None:
    last, expected = RUN_DUE[name]
    assert rules.run_is_due(last, NOW) is expected


def test_changed_names_the_kinds_and_removed_its_kinds() -> None:
    assert rules.changed(Limits(drafts=2), Limits(drafts=3, narratives=400)) == [
        "drafts", "narratives"]
    assert Removed(drafts=2, audit_entries=1, held=5).kinds() == ["drafts", "audit_entries"]


# Legal holds: the reason asked when a hold is placed or released

TOO_LONG = f"At most {rules.REASON_MAX} characters (this one has {rules.REASON_MAX + 1})"
REASONS = {  # typed -> (the reason kept, or None; the error beside the field, or "")
    "empty": ("", None, "Give the reason."),
    "only spaces": ("  \n\t ", None, "Give the reason."),
    "one over the limit": ("x" * (rules.REASON_MAX + 1), None, TOO_LONG),
    "at the limit": ("x" * rules.REASON_MAX, "x" * rules.REASON_MAX, ""),
    "fine, trimmed": ("  Subpoena 24-CV-118, asked by Legal Aid  ",
                      "Subpoena 24-CV-118, asked by Legal Aid", ""),
    "fine, several lines": ("Complaint to OIG\nasked by the partner",
                            "Complaint to OIG\nasked by the partner", ""),
}


@pytest.mark.parametrize("name", REASONS)
def test_a_reason_is_required_and_limited(name: str) -> None:
    typed, kept, error = REASONS[name]
    if kept is not None:
        assert rules.parse_reason({"reason": typed}, "reason", "Give the reason.") == kept
        return
    with pytest.raises(Invalid) as refused:
        rules.parse_reason({"reason": typed}, "reason", "Give the reason.")
    assert list(refused.value.errors) == ["reason"]
    assert refused.value.errors["reason"].startswith(error)


def test_a_missing_field_is_an_empty_reason() -> None:
    with pytest.raises(Invalid, match="Give the reason"):
        rules.parse_reason({}, "reason", "Give the reason.")


AFTER_RELEASE = {
    "no limit set: nothing said to go": (Limits(), []),
    "each kind with a limit, in the settings' order": (
        Limits(narratives=365, call_records=30),
        ["Call records older than 30 days", "Narratives older than 365 days"]),
}


@pytest.mark.parametrize("name", AFTER_RELEASE)
def test_what_a_release_lets_retention_remove(name: str) -> None:
    limits, starts = AFTER_RELEASE[name]
    lines = rules.after_release(limits)
    assert [line.split(" (")[0] for line in lines] == starts
    assert all(line.endswith(")") for line in lines)  # each says what goes with it
