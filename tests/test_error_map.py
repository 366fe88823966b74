"""The one map from error classes to HTTP statuses (web/errors.py), and the problems a form
shows again, as tables: every class a feature raises answers with its base's status."""

from __future__ import annotations

import pytest

from lifeline_pbx.cases.anumber import ANumberError
from lifeline_pbx.errors import (
    FORM,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RequestError,
    Unavailable,
)
from lifeline_pbx.web.errors import problems, status_of
from lifeline_pbx.web.filters import FilterInvalid
from lifeline_pbx.web.paging import PageError


class Stale(Conflict):
    """A feature's own subclass answers as its base does."""


@pytest.mark.parametrize(("error", "status"), [
    (NotFound("No such person."), 404),
    (Conflict("Changed meanwhile."), 409),
    (Stale("Typed over an old revision."), 409),
    (Invalid("Nothing to correct."), 422),
    (Invalid({"a_number": "Too short."}), 422),
    (ANumberError("An A-number has 8 or 9 digits."), 422),
    (FilterInvalid("since: not a date."), 422),
    (PageError("page: give a whole number from 1.", "page"), 422),
    (Forbidden("Not your call."), 403),
    (Unavailable("The database cannot be reached."), 503),
    (RequestError("No class of the five."), 400),
])
def test_each_error_class_has_one_status(error: RequestError, status: int) -> None:
    assert status_of(error) == status


@pytest.mark.parametrize(("error", "whole", "shown"), [
    (Invalid("Nothing to correct."), FORM, {FORM: "Nothing to correct."}),
    (Invalid("Nothing to correct."), "what", {"what": "Nothing to correct."}),
    (Invalid("Too early.", "change"), "what", {"change": "Too early."}),
    (Invalid({"note": "Type a note.", "due_on": "Not a date."}), "note",
     {"note": "Type a note.", "due_on": "Not a date."}),
    (Conflict("Someone corrected it."), "what", {"what": "Someone corrected it."}),
    (NotFound("No such record."), FORM, {FORM: "No such record."}),
    (ANumberError("Enter the A-number."), FORM, {"a_number": "Enter the A-number."}),
])
def test_problems_by_field(error: RequestError, whole: str, shown: dict[str, str]) -> None:
    assert problems(error, whole) == shown


def test_an_invalid_form_says_every_problem_in_its_message() -> None:
    error = Invalid({"a": "First.", "b": "Second."})
    assert error.message == "First. Second." and error.errors == {"a": "First.", "b": "Second."}
