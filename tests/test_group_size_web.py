"""About how many people a group report is about (migrations/0045) over HTTP against the
running app and PostgreSQL: typed on the intake, shown on the report and the list, in the
internal CSV, counted by the summary, corrected with a revision that says it; a bad number
or one on a report about one person is refused beside the field with what was typed, and
nothing is saved."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from typing import Any

from lifeline_pbx.statistics.periods import DEFAULT_ZONE, today
from tests.test_cases_web import intake, save
from tests.test_evidence_summary_web import rows
from tests.web_fixtures import Client, WebApp

PEOPLE = "People the reports are about"


async def group_report(web: WebApp, **extra: str) -> dict[str, Any]:
    return await intake(web, **{"intake_id": str(uuid.uuid4()),
                                "report_id": str(uuid.uuid4()), "report_affected": "group",
                                **extra})


async def people_figure(supervisor: Client) -> str:
    """This month's people figure (the month before too: a facility's clock may lag)."""
    now = today(DEFAULT_ZONE, dt.datetime.now(dt.UTC))
    since = now - dt.timedelta(days=1)
    status, page = await supervisor.get(f"/evidence/summary?from={since:%Y-%m}&to={now:%Y-%m}")
    assert status == 200
    return rows(page, "summary-figures")[PEOPLE][0]


async def test_a_group_of_three_is_shown_counted_and_corrected_to_four(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await group_report(web, report_people="3")
    status, body = await save(operator, form)
    assert status == 200 and body["ok"], body
    rid = form["report_id"]
    assert [r["people"] for r in await web.sql("SELECT people FROM reports")] == [3]

    supervisor = await web.signed_in("supervisor1")
    _, page = await supervisor.get(f"/reports/{rid}")
    assert "A group · about 3 people · housing unit" in page
    _, page = await supervisor.get("/reports")
    assert "<td>A group of about 3 (Denied insulin)</td>" in page
    _, text = await supervisor.get("/reports.csv")
    header, row = list(csv.reader(io.StringIO(text)))
    assert dict(zip(header, row, strict=True))["people"] == "3"
    assert await people_figure(supervisor) == "3"  # the group's people, said: exact

    status, page = await supervisor.get(f"/reports/{rid}/correct")
    assert status == 200 and 'id="correct-people" name="report_people"' in page
    assert 'value="3"' in page
    base = re.search(r'name="revision" value="(\d+)"', page)
    assert base is not None
    correction = {"revision": base[1], "report_category": form["report_category"],
                  "report_severity": form["report_severity"], "report_affected": "group",
                  "report_people": "4", "report_housing_unit": form["report_housing_unit"],
                  "report_narrative": form["report_narrative"],
                  "report_consent": form["report_consent"]}
    status, _ = await supervisor.post(f"/reports/{rid}/correct", correction)
    assert status == 303
    assert [r["people"] for r in await web.sql("SELECT people FROM reports")] == [4]
    revision = await web.sql("SELECT fields, people_from, people_to FROM record_revisions "
                             "WHERE number = 2")
    assert [tuple(r.values()) for r in revision] == [(["people"], 3, 4)]
    _, page = await supervisor.get(f"/reports/{rid}")
    assert "corrected: <span class=\"revision-fields\">People concerned: 3 → 4</span>" in page
    assert "about 4 people" in page
    assert await people_figure(supervisor) == "4"

    # The number cleared: the group counts two at least again.
    status, _ = await supervisor.post(f"/reports/{rid}/correct",
                                      {**correction, "revision": "2", "report_people": ""})
    assert status == 303
    _, page = await supervisor.get(f"/reports/{rid}")
    assert "People concerned: 4 → —" in page
    assert await people_figure(supervisor) == "at least 2"


async def test_a_bad_number_is_refused_beside_its_field_and_nothing_is_saved(
        web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    for typed, said in (("1", "a group is 2 people or more"), ("0", "2 people or more"),
                        ("-3", "2 people or more"), ("lots", "not a whole number"),
                        ("10001", "more than 10,000")):
        form = await group_report(web, report_people=typed)
        status, body = await save(operator, form)
        assert status == 422 and said in body["errors"]["report_people"], typed
        status, page = await operator.post("/intakes", form)  # without script: the page
        assert status == 422, typed
        assert re.search(r'name="report_people" [^>]*value="' + re.escape(typed) + '"', page)
        assert f'data-error-for="report_people">How many people (about): &#34;{typed}&#34;' \
            in page, typed
    # About one person: a number is refused, not dropped.
    form = await group_report(web, report_affected="person", report_people="3")
    status, body = await save(operator, form)
    assert status == 422 and "for a report about a group" in body["errors"]["report_people"]
    assert await web.sql("SELECT * FROM reports") == []
    assert await web.sql("SELECT * FROM intakes") == []


async def test_a_correction_refuses_a_number_on_a_report_about_one_person(
        web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await group_report(web, report_people="5")
    assert (await save(operator, form))[0] == 200
    rid = form["report_id"]
    supervisor = await web.signed_in("supervisor1")
    correction = {"revision": "1", "report_category": form["report_category"],
                  "report_severity": form["report_severity"], "report_affected": "person",
                  "report_people": "5", "report_housing_unit": form["report_housing_unit"],
                  "report_narrative": form["report_narrative"],
                  "report_consent": form["report_consent"]}
    status, page = await supervisor.post(f"/reports/{rid}/correct", correction)
    assert status == 422 and 'data-error-for="report_people"' in page
    assert 'id="correct-people" name="report_people"' in page and 'value="5"' in page
    assert "<nav>" in page  # the page's own navigation, not a bare error page
    assert [r["people"] for r in await web.sql("SELECT people FROM reports")] == [5]
    assert await web.sql("SELECT * FROM record_revisions") == []
