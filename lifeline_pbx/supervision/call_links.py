"""What came of a call, as the links its page shows: to each intake, the person it is
about, its reports and follow-ups, only where the viewer may open the page linked to (the
role each of those pages requires, and a follow-up's own rule). The texts name no one."""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.accounts.users import rank
from lifeline_pbx.cases.followup_rules import may_work
from lifeline_pbx.cases.intake_page import page_of
from lifeline_pbx.supervision.call_produced import FollowUp, Intake
from lifeline_pbx.web.times import day, when

# The role each page linked to requires (its view's @require): /intakes/{id}/correct or
# /revisions (intake_page.page_of), /people/{id}, /reports/{id}, /follow-ups/{id} (which
# then applies may_work).
NEEDS = {"intake": "supervisor", "person": "supervisor", "report": "supervisor",
         "follow_up": "operator"}


@dataclass(frozen=True)
class Link:
    kind: str  # a key of NEEDS
    href: str
    text: str


def follow_up_text(f: FollowUp) -> str:
    due = f"due {f.due_on:%Y-%m-%d}" if f.due_on else "with no due date"
    return f"Follow-up {due}" + ("" if f.status == "open" else f" ({f.status})")


def intake_links(intake: Intake, viewer_id: int, role: str) -> tuple[Link, ...]:
    """The links to what this intake produced that the viewer (a user of this role) may open."""
    def may(kind: str) -> bool:
        return rank(role) >= rank(NEEDS[kind])

    found: list[Link] = []
    if may("intake"):
        outcome = "" if intake.outcome == "intake" else f" ({intake.outcome.replace('_', ' ')})"
        found.append(Link("intake", page_of(intake),
                          f"Intake of {when(intake.at)}{outcome}"))
    if may("person") and intake.person_id is not None:
        found.append(Link("person", f"/people/{intake.person_id}", "Person record"))
    if may("report"):
        found += [Link("report", f"/reports/{r.id}", f"Report {r.category} {day(r.at)}")
                  for r in intake.reports]
    if may("follow_up"):
        supervisor = rank(role) >= rank("supervisor")
        found += [Link("follow_up", f"/follow-ups/{f.id}", follow_up_text(f))
                  for f in intake.follow_ups if may_work(viewer_id, supervisor, f.assignee_id)]
    return tuple(found)


def call_links(intakes: list[Intake], viewer_id: int, role: str) -> list[tuple[Link, ...]]:
    """One group of links per intake with any the viewer may open."""
    return [found for i in intakes if (found := intake_links(i, viewer_id, role))]
