"""A report's printout over HTTP against the running app: no name or A-number unless the
supervisor asks, the audit entry names what was exported, operators refused."""

from __future__ import annotations

import re
import uuid

from lifeline_pbx.cases import person_work
from tests.test_cases_web import XSS, intake, save
from tests.web_fixtures import WebApp

IDENTIFIERS = ("Name Denied insulin", "208555019", "A208-555-019", "208-555-019")


async def _report(web: WebApp, text: str = "Denied insulin") -> str:
    operator = await web.signed_in("operator1")
    status, body = await save(operator, await intake(web, text, person_names="Name Denied insulin"))
    assert status == 200, body
    return str((await web.sql("SELECT id FROM reports"))[0]["id"])


async def _exports(web: WebApp) -> list[tuple[str, list[str]]]:
    rows = await web.sql("SELECT entity, fields FROM audit_log WHERE action = 'export' "
                         "ORDER BY id")
    return [(r["entity"], r["fields"]) for r in rows]


async def test_the_printout_has_no_name_unless_asked(web: WebApp) -> None:
    report_id = await _report(web)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/reports/{report_id}")
    assert status == 200 and 'action="/reports/' in page and 'name="include_names"' in page

    status, page = await supervisor.get(f"/reports/{report_id}/print")
    assert status == 200
    for shown in ("Demo County Processing Center", "Medical neglect or denial of care",
                  "Critical", "a group, housing unit Denied insulin",
                  "Narrative Denied insulin", "Demo Legal Aid", 'href="/static/print.css"'):
        assert shown in page, shown
    for hidden in IDENTIFIERS:
        assert hidden not in page, hidden
    assert "<nav" not in page and "sign-out" not in page and "print-person-names" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/print.js">']
    assert await _exports(web) == [("report", sorted(person_work.REPORT_FIELDS))]

    status, page = await supervisor.get(f"/reports/{report_id}/print?include_names=1")
    assert status == 200 and "Name Denied insulin" in page and "A208-555-019" in page
    person_id = str((await web.sql("SELECT id FROM persons"))[0]["id"])
    exports = await _exports(web)
    assert exports[1:] == [("report", sorted((*person_work.REPORT_FIELDS, "a_number", "names"))),
                           ("person", ["a_number", "names"])]
    entry = await web.sql("SELECT entity_id FROM audit_log WHERE entity = 'person' "
                          "AND action = 'export'")
    assert entry[0]["entity_id"] == person_id
    audit_text = repr([dict(r) for r in await web.sql("SELECT * FROM audit_log")])
    assert not any(value in audit_text for value in IDENTIFIERS)

    async with supervisor.http.get(supervisor.url("/static/print.css")) as r:
        assert r.status == 200 and "@media print" in await r.text()


async def test_the_printout_escapes_and_is_for_supervisors(web: WebApp) -> None:
    report_id = await _report(web, XSS)
    operator = await web.signed_in("operator1")
    for path in (f"/reports/{report_id}/print", f"/reports/{report_id}/print?include_names=1"):
        status, _ = await operator.get(path)
        assert status == 403, path
    assert await _exports(web) == []
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/reports/{report_id}/print")
    assert status == 200 and XSS not in page and "Narrative &lt;script&gt;" in page
    for path in (f"/reports/{uuid.uuid4()}/print", "/reports/nope/print"):
        status, _ = await supervisor.get(path)
        assert status == 404, path
    admin = await web.signed_in("admin1")
    status, _ = await admin.get(f"/reports/{report_id}/print")
    assert status == 200
