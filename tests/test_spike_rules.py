"""Spike rules and alert emails as pure functions: the form, what fires and when, what a
batch of notifications asks for, what an email says (and never says)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lifeline_pbx.alerts import mail, outbox, spike_rules, watch
from lifeline_pbx.alerts.spike_rules import Fire, Rule, RuleSettings
from lifeline_pbx.alerts.store import Alert
from lifeline_pbx.errors import Invalid
from lifeline_pbx.voicemail.store import Voicemail

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
CATEGORIES = {"medical_neglect", "use_of_force"}


def days_ago(*days: float) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


def rule(threshold: int = 3, days: int = 7, enabled: bool = True) -> Rule:
    return Rule(1, RuleSettings("medical_neglect", threshold, days, enabled))


# decide(rule, facility, reports, counted_until, now): (reports, counted_until) -> fires?
DECISIONS = [
    # Under the threshold, or the reports too old to count.
    ("two of three", rule(), days_ago(1, 2), None, None),
    ("three, one older than the window", rule(), days_ago(1, 2, 8), None, None),
    ("exactly on the window's edge is out", rule(), days_ago(1, 2, 7), None, None),
    # At or over the threshold: the window starts at the first report counted.
    ("three within the window", rule(), days_ago(1, 2, 6.5), None,
     Fire(1, 9, NOW - timedelta(days=6.5), NOW + timedelta(days=0.5), 3)),
    ("order does not matter", rule(), days_ago(6.5, 1, 2), None,
     Fire(1, 9, NOW - timedelta(days=6.5), NOW + timedelta(days=0.5), 3)),
    ("four count as four", rule(), days_ago(0, 1, 2, 3), None,
     Fire(1, 9, NOW - timedelta(days=3), NOW + timedelta(days=4), 4)),
    # Once per window: what the last alert counted is not counted again.
    ("the same reports after an alert", rule(), days_ago(1, 2, 3), NOW + timedelta(days=4),
     None),
    ("a fourth report inside the fired window", rule(), days_ago(0, 1, 2, 3),
     NOW - timedelta(days=3) + timedelta(days=7), None),
    ("after the window, new reports only", rule(), days_ago(0.5, 1, 4, 5),
     NOW - timedelta(days=3), None),
    ("after the window, three new reports fire again", rule(), days_ago(0.5, 1, 2, 5),
     NOW - timedelta(days=2),
     Fire(1, 9, NOW - timedelta(days=2), NOW + timedelta(days=5), 3)),
    ("a report at the window's end counts", rule(threshold=2), days_ago(0, 1),
     NOW - timedelta(days=1), Fire(1, 9, NOW - timedelta(days=1), NOW + timedelta(days=6), 2)),
    # A disabled rule never fires; a one-day rule counts one day.
    ("disabled", rule(enabled=False), days_ago(0, 1, 2), None, None),
    ("one-day rule, spread over two days", rule(days=1), days_ago(0.1, 0.5, 1.5), None, None),
]


@pytest.mark.parametrize("name, the_rule, reports, until, expected", DECISIONS,
                         ids=[d[0] for d in DECISIONS])
def test_decide(name: str, the_rule: Rule, reports: list[datetime], until: datetime | None,
                expected: Fire | None) -> None:
    assert spike_rules.decide(the_rule, 9, reports, until, NOW) == expected


def test_a_rule_made_today_ignores_spikes_long_past() -> None:
    """Thirty reports a year ago raise nothing; the rule looks at its window only."""
    old = [NOW - timedelta(days=365, hours=h) for h in range(30)]
    assert spike_rules.decide(rule(), 9, old, None, NOW) is None


FORMS = [
    ({"category": "medical_neglect", "threshold": "3", "window_days": "7", "enabled": "on"},
     RuleSettings("medical_neglect", 3, 7, True), {}),
    ({"category": "use_of_force", "threshold": " 2 ", "window_days": "366"},
     RuleSettings("use_of_force", 2, 366, False), {}),
    ({"category": "nope", "threshold": "1", "window_days": "0"}, None,
     {"category", "threshold", "window_days"}),
    ({"category": "", "threshold": "3", "window_days": "7"}, None, {"category"}),
    ({"category": "medical_neglect", "threshold": "1001", "window_days": "7"}, None,
     {"threshold"}),
    ({"category": "medical_neglect", "threshold": "3.5", "window_days": "-1"}, None,
     {"threshold", "window_days"}),
    ({"category": "medical_neglect", "threshold": "٣", "window_days": "7"}, None,
     {"threshold"}),  # an Arabic-Indic digit: str.isdigit() says yes
    ({"category": "medical_neglect", "threshold": "9" * 5000, "window_days": "7"}, None,
     {"threshold"}),  # past int()'s limit on digits: refused, not a crash
    ({}, None, {"category", "threshold", "window_days"}),
]


@pytest.mark.parametrize("form, settings, bad", FORMS)
def test_parse(form: dict[str, str], settings: RuleSettings | None, bad: set[str]) -> None:
    if settings is not None:
        assert spike_rules.parse(form, CATEGORIES) == settings
        assert spike_rules.parse(spike_rules.as_form(settings), CATEGORIES) == settings
        return
    with pytest.raises(Invalid) as refused:
        spike_rules.parse(form, CATEGORIES)
    assert set(refused.value.errors) == bad


def test_changed_fields() -> None:
    old = RuleSettings("medical_neglect", 3, 7, True)
    assert spike_rules.changed_fields(old, old) == []
    assert spike_rules.changed_fields(old, RuleSettings("use_of_force", 3, 14, False)) == [
        "category", "window_days", "enabled"]


VM = uuid.UUID(int=7)
PLANS = [
    ([], watch.Work(False, frozenset(), (), (), False)),
    ([watch.Note("reports", "3"), watch.Note("reports", "3"), watch.Note("reports", "4")],
     watch.Work(False, frozenset({3, 4}), (), (), False)),
    ([watch.Note("reports", "3"), watch.Note("rules")],
     watch.Work(True, frozenset({3}), (), (), False)),
    ([watch.Note("spike", "12"), watch.Note("voicemail", str(VM)), watch.Note("email")],
     watch.Work(False, frozenset(), (12,), (VM,), True)),
    ([watch.Note("voicemail", "not-a-uuid"), watch.Note("spike", "x")],
     watch.Work(False, frozenset(), (), (), False)),
]


@pytest.mark.parametrize("notes, work", PLANS)
def test_plan(notes: list[watch.Note], work: watch.Work) -> None:
    assert watch.plan(notes) == work


@pytest.mark.parametrize("payload, note", [
    ("reports:5", watch.Note("reports", "5")), ("rules", watch.Note("rules")),
    ("email", watch.Note("email")), ("something:else", None), ("", None)])
def test_parse_payload(payload: str, note: watch.Note | None) -> None:
    assert watch.parse(payload) == note


@pytest.mark.parametrize("attempts, seconds", [(1, 30.0), (2, 60.0), (3, 120.0), (8, 3600.0),
                                               (50, 3600.0)])
def test_emails_are_retried_after_a_growing_wait(attempts: int, seconds: float) -> None:
    assert outbox.retry_in(attempts) == seconds


def test_spike_email_names_the_facility_the_category_and_the_count() -> None:
    alert = Alert(4, 1, 9, "Stewart Detention Center", "medical_neglect",
                  "Medical neglect or denial of care", 3, 7, 5, NOW - timedelta(days=2),
                  NOW + timedelta(days=5), NOW)
    text = mail.spike_text(alert, "https://hotline.example.org")
    assert text.subject == ("Alert: 5 reports of Medical neglect or denial of care at "
                            "Stewart Detention Center within 7 days")
    assert "https://hotline.example.org/reports?facility=9&category=medical_neglect" in text.body
    assert "2030-03-08 12:00 UTC" in text.body
    assert "Open it" not in mail.spike_text(alert, "").body  # no address configured: no link


def test_voicemail_email_says_where_and_when_only() -> None:
    vm = Voicemail(uuid.UUID(int=1), 9, "Stewart Detention Center", "Stewart line", "es", 1,
                   "no_operators", 42, NOW, None, None)
    text = mail.voicemail_text(vm, "https://hotline.example.org")
    assert text.subject == "Emergency voicemail from Stewart Detention Center"
    assert "no operator was logged in" in text.body and "Language: es" in text.body
    settings = mail.MailSettings("127.0.0.1", 25, "none", "", "", "lifeline@example.org",
                                 ("a@example.org", "b@example.org"), "")
    msg = mail.message(settings, text, NOW)
    assert msg["To"] == "a@example.org, b@example.org"
    assert msg["Auto-Submitted"] == "auto-generated" and "@example.org>" in msg["Message-ID"]
    assert "secret" not in repr(settings)
