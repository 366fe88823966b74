"""A supervisor edits a person's record over HTTP against the running app: saved in one
transaction with an audit entry naming only the changed fields, a new facility a transfer
or a correction as the supervisor says, bad input refused whole, script inert, operators and
merged records refused."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from multidict import MultiDict

from lifeline_pbx.cases import forms
from lifeline_pbx.errors import Invalid
from tests import test_person_merge_web
from tests.edit_forms import post_opened
from tests.test_cases_web import XSS, intake, save
from tests.test_misfile_web import COUNTY, VALLEY, evidence_by_facility, facilities, saved_report
from tests.web_fixtures import Client, WebApp

EDIT = {"person_names": "Maria Lopez\nMaría López", "person_dob": "1990-02-03",
        "person_country": "Guatemala", "person_facility_change": "transfer"}


CHOICES = forms.Choices(frozenset(), frozenset(), frozenset({1, 2}), frozenset())


def test_the_edit_form_is_the_whole_record_and_keeps_the_a_number() -> None:
    data = MultiDict([("a_number", "A999999999"), ("person_names", " Ana \n\nana\nAnna "),
                      ("person_languages", "es"), ("person_languages", "mam"),
                      ("person_languages", "es"), ("person_facility", "2")])
    form = forms.parse_person(data, CHOICES, dt.date(2024, 1, 1), a_number="208555019")
    assert form == forms.PersonForm("208555019", ("Ana", "Anna"), None, "", 2, ("es", "mam"))
    empty = forms.parse_person(MultiDict(), CHOICES, a_number="208555019")
    assert empty == forms.PersonForm("208555019", (), None, "", None, ())


@pytest.mark.parametrize("field, value", [
    ("person_dob", "1990-02-30"), ("person_dob", "2024-01-02"), ("person_languages", "other"),
    ("person_facility", "3"), ("person_country", "a\nb"), ("person_names", "n\n" * 21)])
def test_the_edit_form_refuses(field: str, value: str) -> None:
    with pytest.raises(Invalid) as refused:
        forms.parse_person(MultiDict({field: value}), CHOICES, dt.date(2024, 1, 1),
                           a_number="208555019")
    assert set(refused.value.errors) == {field}


async def _person(web: WebApp, a_number: str = "A-208-555-019") -> str:
    operator = await web.signed_in("operator1")
    status, body = await save(operator, await intake(web, a_number=a_number))
    assert status == 200, body
    rows = await web.sql("SELECT id FROM persons ORDER BY created_at DESC LIMIT 1")
    return str(rows[0]["id"])


async def _other_facility(web: WebApp) -> int:
    rows = await web.sql("SELECT id FROM facilities ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


async def _edit(client: Client, person_id: str, **fields: object) -> tuple[int, str]:
    """The edit form opened, then saved with these fields."""
    return await post_opened(client, f"/people/{person_id}/edit", fields)


async def test_a_supervisor_edits_a_person_and_it_is_audited_by_field_name(web: WebApp) -> None:
    person_id = await _person(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{person_id}")
    assert status == 200 and f'href="/people/{person_id}/edit"' in page
    status, page = await supervisor.get(f"/people/{person_id}/edit")
    assert status == 200 and "Name Denied insulin" in page and "A-number cannot" in page
    facility = await _other_facility(web)
    status, _ = await _edit(supervisor, person_id, **EDIT, person_facility=str(facility),
                            person_languages=["es", "quc"])
    assert status == 303 and supervisor.last["location"] == f"/people/{person_id}?edited=1"
    status, page = await supervisor.get(f"/people/{person_id}")
    assert status == 200 and "Maria Lopez · María López" in page and "Guatemala" in page
    assert "1990-02-03" in page and "Name Denied insulin" not in page
    transfers = await web.sql("SELECT facility_id FROM person_facilities WHERE person_id = $1"
                              " ORDER BY id", person_id)
    assert [r["facility_id"] for r in transfers][-1] == facility and len(transfers) == 2
    updates = await web.sql("SELECT fields FROM audit_log WHERE action = 'update' "
                            "AND entity = 'person' AND entity_id = $1", person_id)
    assert [r["fields"] for r in updates] == [
        ["country", "date_of_birth", "facility_id", "languages", "names"]]
    views = await web.sql("SELECT fields FROM audit_log WHERE action = 'view' "
                          "AND entity = 'person' AND entity_id = $1", person_id)
    assert views  # the edit page showing the record is a view
    everything = repr([dict(r) for r in await web.sql("SELECT * FROM audit_log")])
    assert "Maria" not in everything and "Guatemala" not in everything
    raw = repr([dict(r) for r in await web.sql("SELECT names, date_of_birth FROM persons")])
    assert "Maria" not in raw and "1990" not in raw

    # Only what changed is named; saving the same again changes nothing and logs nothing.
    status, _ = await _edit(supervisor, person_id, **{**EDIT, "person_country": "Honduras"},
                            person_facility=str(facility), person_languages=["es", "quc"])
    assert status == 303
    status, _ = await _edit(supervisor, person_id, **{**EDIT, "person_country": "Honduras"},
                            person_facility=str(facility), person_languages=["es", "quc"])
    assert status == 303 and supervisor.last["location"].endswith("?edited=0")
    updates = await web.sql("SELECT fields FROM audit_log WHERE action = 'update' "
                            "AND entity = 'person' ORDER BY id")
    assert [r["fields"] for r in updates][-1] == ["country"] and len(updates) == 2
    assert len(await web.sql("SELECT id FROM person_facilities")) == 2  # no new transfer


async def test_operators_cannot_edit_a_person(web: WebApp) -> None:
    person_id = await _person(web)
    operator = await web.signed_in("operator1")
    status, _ = await operator.get(f"/people/{person_id}/edit")
    assert status == 403
    before = await web.sql("SELECT names, country FROM persons")
    status, _ = await operator.post(f"/people/{person_id}/edit", EDIT)
    assert status == 403
    assert await web.sql("SELECT names, country FROM persons") == before
    assert not await web.sql("SELECT id FROM audit_log WHERE action = 'update'")


async def test_bad_input_is_refused_whole_and_script_comes_back_inert(web: WebApp) -> None:
    person_id = await _person(web)
    supervisor = await web.signed_in("supervisor1")
    before = await web.sql("SELECT names, date_of_birth, country, languages, facility_id "
                           "FROM persons")
    for dob, message in (("1990-13-45", "give a date as YYYY-MM-DD"),
                         ("03/02/1990", "give a date as YYYY-MM-DD"),
                         ("2099-01-01", "cannot be in the future")):
        status, page = await _edit(supervisor, person_id, person_names=XSS, person_dob=dob,
                                   person_country=XSS, person_languages=["es"])
        assert status == 422 and message in page, dob
        assert XSS not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
        assert f'value="{dob}"' in page  # what was typed is still there
    status, page = await _edit(supervisor, person_id, person_names="x", person_languages="xx",
                               person_facility="999999")
    assert status == 422 and "Languages: unknown choice" in page
    assert "Choose facility from the list" in page
    assert await web.sql("SELECT names, date_of_birth, country, languages, facility_id "
                         "FROM persons") == before
    assert not await web.sql("SELECT id FROM audit_log WHERE action = 'update'")

    status, _ = await _edit(supervisor, person_id, person_names=XSS, person_country=XSS,
                            person_facility_change="transfer")
    assert status == 303
    for path in (f"/people/{person_id}", f"/people/{person_id}/edit"):
        status, page = await supervisor.get(path)
        assert status == 200 and XSS not in page and "&lt;script&gt;" in page, path


async def test_a_merged_record_cannot_be_edited(web: WebApp) -> None:
    kept = await _person(web, "A-208-555-019")
    merged = await _person(web, "A-301-222-333")
    supervisor = await web.signed_in("supervisor1")
    assert await test_person_merge_web.merged(supervisor, kept, "A301222333") == 303
    before = await web.sql("SELECT names, country FROM persons WHERE id = $1", merged)
    status, page = await supervisor.get(f"/people/{merged}/edit")
    assert status == 409 and "merged into another person" in page
    status, page = await supervisor.post(f"/people/{merged}/edit", EDIT)
    assert status == 409 and "merged into another person" in page
    status, page = await supervisor.post(f"/people/{merged}/edit", {"person_dob": "bad"})
    assert status == 409  # refused as merged before the form is even read
    assert await web.sql("SELECT names, country FROM persons WHERE id = $1", merged) == before
    status, _ = await _edit(supervisor, kept, **EDIT)
    assert status == 303  # the kept record is edited instead


def _held_at(page: str) -> list[str]:
    found = re.search(r'<ul id="person-held-at">(.*?)</ul>', page, re.S)
    assert found
    return [html.unescape(li) for li in re.findall(r"<li>([^<(]*) \(noted", found.group(1))]


def _struck(page: str) -> list[str]:
    found = re.search(r'<ul id="person-held-struck">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>([^<(]*) \(noted", found.group(1)) if found else []


async def test_a_facility_change_is_said_to_be_a_transfer_or_a_correction(web: WebApp) -> None:
    """A change of facility needs a choice (the form again, as typed, without one); a
    transfer adds to "Held at", a correction strikes the wrong entry with who and when. The
    evidence counts (the report's own facility) are not moved by either."""
    ids = await facilities(web)
    form = await saved_report(web, ids[VALLEY])
    person_id = str((await web.sql("SELECT id FROM persons"))[0]["id"])
    counts = await evidence_by_facility(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{person_id}/edit")
    assert status == 200 and "They were moved (a transfer)" in page
    assert "The facility was wrong (a correction)" in page
    same = {"person_names": "Name Denied insulin", "person_country": form["person_country"],
            "person_languages": ["es"]}

    status, page = await _edit(supervisor, person_id, **{**same, "person_names": "Typed Name"},
                               person_facility=str(ids[COUNTY]))
    assert status == 422 and 'data-error-for="person_facility_change"' in page
    assert "say whether they were moved or the facility was wrong" in page
    assert "Typed Name" in page and f'<option value="{ids[COUNTY]}" selected>' in page
    assert 'href="/people"' in page  # the page's navigation, not a bare error
    assert len(await web.sql("SELECT id FROM person_facilities")) == 1

    async def edited(facility: int, kind: str) -> str:
        status, _ = await _edit(supervisor, person_id, **same, person_facility=str(facility),
                                person_facility_change=kind)
        assert status == 303
        status, page = await supervisor.get(f"/people/{person_id}")
        assert status == 200
        return page

    page = await edited(ids[COUNTY], "transfer")
    assert _held_at(page) == [VALLEY, COUNTY] and _struck(page) == []
    page = await edited(ids[VALLEY], "correction")  # COUNTY was wrong: back, no move back
    assert _held_at(page) == [VALLEY] and _struck(page) == [COUNTY]
    by = (await web.sql("SELECT display_name FROM users WHERE username = 'supervisor1'")
          )[0]["display_name"]
    assert re.search(rf" E[SD]T by {re.escape(by)}\)", page)
    page = await edited(ids[COUNTY], "correction")  # VALLEY wrong from the start
    assert _held_at(page) == [COUNTY] and _struck(page) == [VALLEY, COUNTY]  # by when noted
    assert f"<dt>Facility</dt><dd>{COUNTY}</dd>" in page
    assert await evidence_by_facility(web) == counts
    updates = await web.sql("SELECT fields FROM audit_log WHERE action = 'update' "
                            "AND entity = 'person' ORDER BY id")
    assert [r["fields"] for r in updates] == [["facility_id"]] * 3
