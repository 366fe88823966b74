"""The pure decisions behind follow-ups, table-driven: how late, who may change what,
which page, which family contact may be shown, and how the forms and filters parse."""

from __future__ import annotations

import datetime as dt

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import family, followup_forms
from lifeline_pbx.cases.followup_rules import (
    Change,
    Current,
    Decision,
    FieldChange,
    after,
    decide,
    due_state,
    may_work,
)
from lifeline_pbx.cases.followups import Filter
from lifeline_pbx.errors import Invalid

TODAY = dt.date(2025, 3, 10)
YESTERDAY, TOMORROW = dt.date(2025, 3, 9), dt.date(2025, 3, 11)
ME, OTHER, THIRD = 7, 8, 9
ENABLED = frozenset({ME, OTHER})


@pytest.mark.parametrize(("status", "due", "state"), [
    ("open", YESTERDAY, "overdue"),
    ("open", TODAY, "today"),
    ("open", TOMORROW, "upcoming"),
    ("open", None, "undated"),
    ("done", YESTERDAY, "closed"),
    ("cancelled", YESTERDAY, "closed"),
    ("done", None, "closed"),
])
def test_due_state(status: str, due: dt.date | None, state: str) -> None:
    assert due_state(status, due, TODAY) == state


@pytest.mark.parametrize(("user", "supervisor", "assignee", "allowed"), [
    (ME, False, ME, True),
    (ME, False, OTHER, False),
    (ME, False, None, False),
    (ME, True, OTHER, True),
    (ME, True, None, True),
])
def test_may_work(user: int, supervisor: bool, assignee: int | None, allowed: bool) -> None:
    assert may_work(user, supervisor, assignee) is allowed


OPEN_MINE = Current("open", ME, TOMORROW)
DONE_MINE = Current("done", ME, TOMORROW)
CANCELLED_MINE = Current("cancelled", ME, TOMORROW)
OPEN_OTHERS = Current("open", OTHER, YESTERDAY)
FORBIDDEN = "forbidden"


@pytest.mark.parametrize(("current", "change", "supervisor", "expected"), [
    # The assignee (an operator) marks done and re-opens; nothing else.
    (OPEN_MINE, Change(status="done"), False, [("status", "open", "done")]),
    (DONE_MINE, Change(status="open"), False, [("status", "done", "open")]),
    (OPEN_MINE, Change(status="cancelled"), False, FORBIDDEN),
    (CANCELLED_MINE, Change(status="open"), False, FORBIDDEN),
    (OPEN_MINE, Change(set_assignee=True, assignee_id=OTHER), False, FORBIDDEN),
    (OPEN_MINE, Change(set_due=True, due_on=TOMORROW + dt.timedelta(1)), False, FORBIDDEN),
    # The same values sent again change nothing, so an operator's form may carry them.
    (OPEN_MINE, Change(status="done", set_assignee=True, assignee_id=ME, set_due=True,
                       due_on=TOMORROW), False, [("status", "open", "done")]),
    (OPEN_MINE, Change(status="open"), False, "Nothing to change"),
    (OPEN_MINE, Change(), False, "Nothing to change"),
    # Not the assignee: nothing at all.
    (OPEN_OTHERS, Change(status="done"), False, FORBIDDEN),
    # A supervisor: any status, reassign, move or clear the due date.
    (OPEN_OTHERS, Change(status="cancelled"), True, [("status", "open", "cancelled")]),
    (CANCELLED_MINE, Change(status="open"), True, [("status", "cancelled", "open")]),
    (OPEN_OTHERS, Change(set_assignee=True, assignee_id=ME), True,
     [("assignee", str(OTHER), str(ME))]),
    (OPEN_OTHERS, Change(set_assignee=True, assignee_id=None), True,
     [("assignee", str(OTHER), "")]),
    (OPEN_OTHERS, Change(set_assignee=True, assignee_id=THIRD), True, "Choose the assignee"),
    (OPEN_OTHERS, Change(set_due=True, due_on=TOMORROW), True,
     [("due_on", "2025-03-09", "2025-03-11")]),
    (OPEN_OTHERS, Change(set_due=True, due_on=None), True, [("due_on", "2025-03-09", "")]),
    (OPEN_MINE, Change(set_due=True, due_on=YESTERDAY), True, "in the past"),
    # An overdue follow-up's past due date sent back unchanged is no change, not refused.
    (OPEN_OTHERS, Change(status="done", set_due=True, due_on=YESTERDAY), True,
     [("status", "open", "done")]),
    (OPEN_OTHERS, Change(status="done", set_assignee=True, assignee_id=ME, set_due=True,
                         due_on=TODAY), True,
     [("status", "open", "done"), ("assignee", str(OTHER), str(ME)),
      ("due_on", "2025-03-09", "2025-03-10")]),
])
def test_decide(current: Current, change: Change, supervisor: bool,
                expected: list[tuple[str, str, str]] | str) -> None:
    decision = decide(current, change, user_id=ME, supervisor=supervisor, today=TODAY,
                      assignable=ENABLED)
    if expected == FORBIDDEN:
        assert decision.forbidden and decision.refused and not decision.changes
    elif isinstance(expected, str):
        assert expected in decision.refused and not decision.forbidden
        assert not decision.changes
    else:
        assert not decision.refused
        assert [(c.field, c.old, c.new) for c in decision.changes] == expected


@pytest.mark.parametrize(("changes", "result"), [
    ((FieldChange("status", "open", "done"),), Current("done", OTHER, YESTERDAY)),
    ((FieldChange("assignee", "8", ""), FieldChange("due_on", "2025-03-09", "2025-04-01")),
     Current("open", None, dt.date(2025, 4, 1))),
    ((FieldChange("assignee", "8", "7"), FieldChange("due_on", "2025-03-09", "")),
     Current("open", ME, None)),
])
def test_after(changes: tuple[FieldChange, ...], result: Current) -> None:
    assert after(OPEN_OTHERS, Decision(changes)) == result


@pytest.mark.parametrize(("value", "names"), [
    ({"name": "Ana", "phone": "+1 555", "message": "Tell her"}, ["Ana"]),
    ([{"name": "Ana"}, {"name": "Luis", "relation": "brother"}], ["Ana", "Luis"]),
    ({"name": 5, "phone": ["x"]}, []),  # not text: nothing to show
    ([None, "text", {"phone": "555"}], [""]),
    (None, []),
])
def test_contacts_from(value: object, names: list[str]) -> None:
    assert [c.name for c in family.contacts_from(value)] == names


@pytest.mark.parametrize(("consent", "supervisor", "shown"), [
    (True, False, True), (True, True, True), (False, True, True), (False, False, False)])
def test_family_without_consent_is_for_supervisors(consent: bool, supervisor: bool,
                                                   shown: bool) -> None:
    assert family.may_see_family(consent, supervisor) is shown


USERS, FACILITIES = {ME, OTHER}, {1, 2}


@pytest.mark.parametrize(("query", "supervisor", "expected"), [
    ({}, False, Filter("open", ME)),
    ({"status": "any", "overdue": "1"}, False, Filter(None, ME, overdue=True)),
    # An operator's list is their own whatever the address says.
    ({"assignee": str(OTHER), "facility": "1"}, False, Filter("open", ME)),
    ({}, True, Filter("open")),
    ({"assignee": str(OTHER), "facility": "2", "status": "done"}, True,
     Filter("done", OTHER, facility_id=2)),
    ({"assignee": "none"}, True, Filter("open", unassigned=True)),
    ({"status": "bogus"}, True, "status"),
    ({"assignee": "99"}, True, "assignee"),
    ({"assignee": "x"}, True, "assignee"),
    ({"facility": "3"}, True, "facility"),
])
def test_parse_filter(query: dict[str, str], supervisor: bool,
                      expected: Filter | str) -> None:
    def parse() -> Filter:
        return followup_forms.parse_filter(MultiDict(query), users=USERS,
                                           facilities=FACILITIES, supervisor=supervisor,
                                           user_id=ME)
    if isinstance(expected, str):
        with pytest.raises(Invalid) as refused:
            parse()
        assert expected in refused.value.errors
    else:
        assert parse() == expected


@pytest.mark.parametrize(("form", "expected"), [
    ({"status": "done"}, Change(status="done")),
    ({"assignee": "", "due_on": ""}, Change(set_assignee=True, set_due=True)),
    ({"status": "open", "assignee": "8", "due_on": "2025-04-01"},
     Change("open", True, 8, True, dt.date(2025, 4, 1))),
    ({"status": "closed"}, "status"),
    ({"assignee": "eight"}, "assignee"),
    ({"due_on": "01/04/2025"}, "due_on"),
])
def test_parse_change(form: dict[str, str], expected: Change | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(Invalid) as refused:
            followup_forms.parse_change(MultiDict(form))
        assert expected in refused.value.errors
    else:
        assert followup_forms.parse_change(MultiDict(form)) == expected


@pytest.mark.parametrize(("note", "error"), [
    ("Called the sister; she will visit on Friday.", ""),
    ("  ", "Enter the note"),
    ("x" * 2001, "at most 2,000"),
    ("bad \x00 byte", "cannot be stored"),
])
def test_parse_note(note: str, error: str) -> None:
    if error:
        with pytest.raises(Invalid) as refused:
            followup_forms.parse_note(MultiDict({"note": note}))
        assert error in refused.value.errors["note"]
    else:
        assert followup_forms.parse_note(MultiDict({"note": note}))[1] == note
