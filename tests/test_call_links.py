"""What came of a call, as links on its page: each shown only to a role its page lets in
(a follow-up also to its assignee), with texts that name no one."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from lifeline_pbx.supervision.call_links import call_links, follow_up_text
from lifeline_pbx.supervision.call_produced import FollowUp, Intake, Report

VIEWER = 7
AT = dt.datetime(2025, 3, 4, 14, 32, tzinfo=dt.UTC)
REPORT = Report(uuid.uuid4(), "Medical neglect or denial of care", AT)
THEIRS = FollowUp(uuid.uuid4(), dt.date(2025, 3, 11), "open", VIEWER + 1)
MINE = FollowUp(uuid.uuid4(), None, "done", VIEWER)
INTAKE = Intake(uuid.uuid4(), AT, "intake", uuid.uuid4(), (REPORT,), (THEIRS, MINE))


EVERYTHING = [f"/intakes/{INTAKE.id}/correct", f"/people/{INTAKE.person_id}",
              f"/reports/{REPORT.id}", f"/follow-ups/{THEIRS.id}", f"/follow-ups/{MINE.id}"]


@pytest.mark.parametrize(("role", "hrefs"), [
    ("operator", [f"/follow-ups/{MINE.id}"]),  # only the follow-up assigned to them
    ("supervisor", EVERYTHING),
    ("admin", EVERYTHING),
    ("someone", []),  # not a role: nothing
])
def test_each_link_only_for_a_role_its_page_lets_in(role: str, hrefs: list[str]) -> None:
    found = call_links([INTAKE], VIEWER, role)
    assert [link.href for group in found for link in group] == hrefs


def test_the_links_and_their_words() -> None:
    [group] = call_links([INTAKE], VIEWER, "supervisor")
    assert [(link.href, link.text) for link in group] == [
        (f"/intakes/{INTAKE.id}/correct", "Intake of 2025-03-04 09:32 EST"),
        (f"/people/{INTAKE.person_id}", "Person record"),
        (f"/reports/{REPORT.id}", "Report Medical neglect or denial of care 2025-03-04"),
        (f"/follow-ups/{THEIRS.id}", "Follow-up due 2025-03-11"),
        (f"/follow-ups/{MINE.id}", "Follow-up with no due date (done)"),
    ]


@pytest.mark.parametrize(("intake", "links"), [
    # No person bound, nothing written from it: the intake alone, with how the call went;
    # its fields to read and correct, or a one-click outcome's history (it has no fields).
    (Intake(INTAKE.id, AT, "hung_up", None, (), ()),
     [(f"/intakes/{INTAKE.id}/revisions", "Intake of 2025-03-04 09:32 EST (hung up)")]),
    (Intake(INTAKE.id, AT, "intake", None, (), ()),
     [(f"/intakes/{INTAKE.id}/correct", "Intake of 2025-03-04 09:32 EST")]),
])
def test_an_intake_with_nothing_more(intake: Intake, links: list[tuple[str, str]]) -> None:
    [group] = call_links([intake], VIEWER, "supervisor")
    assert [(link.href, link.text) for link in group] == links


def test_no_intake_no_links_and_an_operator_sees_no_empty_group() -> None:
    assert call_links([], VIEWER, "supervisor") == []
    other = Intake(uuid.uuid4(), AT, "intake", uuid.uuid4(), (REPORT,), (THEIRS,))
    assert call_links([other], VIEWER, "operator") == []


@pytest.mark.parametrize(("status", "due", "text"), [
    ("open", dt.date(2025, 1, 2), "Follow-up due 2025-01-02"),
    ("cancelled", dt.date(2025, 1, 2), "Follow-up due 2025-01-02 (cancelled)"),
    ("open", None, "Follow-up with no due date"),
])
def test_follow_up_words(status: str, due: dt.date | None, text: str) -> None:
    assert follow_up_text(FollowUp(uuid.uuid4(), due, status, None)) == text
