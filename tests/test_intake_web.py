"""Saving intakes over HTTP against the running app: every refusal of points 1-3 of the
"case record keeps every word" issue answers clearly and leaves every row as it was; a
repeated submission answers as the first did and writes nothing."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import pytest

from lifeline_pbx.cases.forms import report_key
from tests.test_cases_web import JSON, intake, new_call, save
from tests.web_fixtures import Client, WebApp

TABLES = ("persons", "intakes", "reports", "report_consents", "follow_ups", "audit_log",
          "drafts", "person_facilities")
NARRATIVE = "Kept in a cold cell for two days"


async def rows(web: WebApp) -> dict[str, list[str]]:
    return {t: sorted(repr(tuple(r.values())) for r in await web.sql(f"SELECT * FROM {t}"))
            for t in TABLES}


async def keyed(web: WebApp, **extra: str) -> dict[str, Any]:
    return await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()),
                        **extra)


async def test_a_narrative_without_a_category_is_refused_and_kept(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await keyed(web, report_category="", report_narrative=NARRATIVE)
    before = await rows(web)
    status, body = await save(operator, form)
    assert status == 422 and "Choose a category" in body["errors"]["report_category"]
    status, page = await operator.post("/intakes", form)  # without script: the page again
    assert status == 422 and "Choose a category" in page
    assert f">{NARRATIVE}</textarea>" in page and form["intake_id"] in page
    assert await rows(web) == before


async def test_the_same_submission_repeated_answers_as_the_first(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    form = await keyed(web)
    first = await asyncio.gather(*(save(operator, form) for _ in range(3)))  # a triple click
    assert {(status, body["intake_id"]) for status, body in first} == {
        (200, form["intake_id"])}
    assert sorted(body["changed"] for _, body in first) == [False, False, True]
    before = await rows(web)
    status, body = await save(operator, form)  # a retry after a timeout
    assert (status, body["intake_id"], body["changed"]) == (200, form["intake_id"], False)
    assert await rows(web) == before
    assert len(before["intakes"]) == len(before["reports"]) == len(before["follow_ups"]) == 1


async def refused(client: Client, path: str, form: dict[str, Any]) -> tuple[int, str]:
    if path.startswith("GET "):
        status, text = await client.get(path[4:], headers=JSON)
    else:
        status, text = await client.post(path, form, headers=JSON)
    body = json.loads(text)
    return status, " ".join(body.get("errors", {}).values()) or body.get("error", "")


async def test_each_refusal_answers_and_changes_nothing(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    saved = await keyed(web)
    assert (await save(operator, saved))[0] == 200
    without_consent = {k: v for k, v in saved.items() if k != "report_consent"}
    other_call, _ = await new_call(web, "operator1")
    await web.sql("UPDATE calls SET operator_id = NULL WHERE id = $1", uuid.UUID(other_call))
    cases: list[tuple[Client, str, dict[str, Any], int, str]] = [
        # 2: another form for the call already saved: say what to do
        (operator, "/intakes", {**saved, "intake_id": str(uuid.uuid4())}, 409,
         "reload the page"),
        (operator, "/intakes/outcome", {"intake_id": str(uuid.uuid4()),
                                        "call_id": saved["call_id"], "outcome": "silent"},
         409, "already has an intake"),
        (operator, "/intakes/outcome", {"intake_id": saved["intake_id"],
                                        "call_id": saved["call_id"], "outcome": "silent"},
         409, "undo that outcome first"),
        # 2: the key of someone else's intake, or of another call
        (supervisor, "/intakes", {**saved, "call_id": ""}, 409, "another intake or call"),
        # 3: a call not put through to this operator; a voicemail by an operator
        (operator, "/intakes", {**(await keyed(web)), "call_id": other_call}, 403,
         "not put through to your phone"),
        (operator, f"GET /intakes/open?call_id={other_call}", {}, 403, "not put through"),
        (operator, f"GET /intakes/open?voicemail={uuid.uuid4()}", {}, 403, "supervisors"),
        (supervisor, f"GET /intakes/open?voicemail={uuid.uuid4()}", {}, 404, "No such"),
        # 1: a saved report, A-number or follow-up is not emptied by a later save
        (operator, "/intakes", {**without_consent, "report_category": "",
                                "report_narrative": "", "report_housing_unit": ""}, 422,
         "already saved"),
        (operator, "/intakes", {**saved, "a_number": "", "person_names": "",
                                "person_country": ""}, 422, "saved with an A-number"),
        (operator, "/intakes", {**saved, "followup_what": "", "followup_due": ""}, 422,
         "Follow-ups page"),
        (operator, "/intakes", {**saved, "report_narrative_2": "more"}, 422,
         "Report 2: Choose a category"),
        (operator, "/intakes/undo", {"intake_id": saved["intake_id"]}, 404, "no recent"),
    ]
    before = await rows(web)
    for client, path, form, status, message in cases:
        got = await refused(client, path, form)
        assert got[0] == status and re.search(message, got[1]), (path, got)
        assert await rows(web) == before, path


@pytest.mark.parametrize("path", ["/intakes/open", "/drafts"])
async def test_opening_after_a_call_starts_a_standalone_intake(web: WebApp, path: str) -> None:
    operator = await web.signed_in("operator1")
    call_id, _ = await new_call(web)
    status, _ = await operator.post_json("/drafts", {"call_id": call_id,
                                                     "fields": {"report_narrative": "x"}})
    assert status == 200
    status, text = await operator.get(path, headers=JSON)
    body = json.loads(text)
    if path == "/drafts":
        assert body == {"draft": None}  # not the call's draft
        return
    assert body["kind"] == "standalone" and body["call_id"] == "" and not body["saved"]
    assert body["fields"] == {"intake_id": body["intake_id"]}
    status, text = await operator.get(f"{path}?call_id={call_id}", headers=JSON)
    call = json.loads(text)
    assert call["kind"] == "call" and call["fields"]["report_narrative"] == "x"
    assert call["intake_id"] != body["intake_id"]


BLOCK_2 = {"report_id_2": "", "report_category_2": "use_of_force", "report_severity_2": "low",
           "report_affected_2": "group", "report_narrative_2": "Pepper spray in unit C"}


async def reports_of(web: WebApp) -> list[uuid.UUID]:
    return [r["id"] for r in await web.sql("SELECT id FROM reports ORDER BY intake_position")]


@pytest.mark.parametrize("rounds", [(1, 1), (1, 1, 1), (2,)],
                         ids=["twice", "three times", "two at once"])
async def test_a_form_posted_again_without_report_keys_makes_its_reports_once(
        web: WebApp, rounds: tuple[int, ...]) -> None:
    """The page as sent without its script: report blocks with no key (double click, back
    and resubmit, a retry)."""
    operator = await web.signed_in("operator1")
    key = uuid.uuid4()
    form = await intake(web, intake_id=str(key), report_id="", **BLOCK_2)
    answers: list[tuple[int, str]] = []
    for at_once in rounds:
        answers += await asyncio.gather(*(operator.post("/intakes", form)
                                          for _ in range(at_once)))
    assert {status for status, _ in answers} == {303}
    assert await reports_of(web) == [report_key(key, 1), report_key(key, 2)]
    created = await web.sql("SELECT 1 FROM audit_log WHERE action = 'create' AND "
                            "entity = 'report'")
    assert len(created) == 2 and len(await web.sql("SELECT 1 FROM intakes")) == 1


async def test_a_repeat_after_the_script_added_a_block_adds_only_that_block(
        web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    key = uuid.uuid4()
    form = await intake(web, intake_id=str(key), report_id="")
    assert (await operator.post("/intakes", form))[0] == 303
    added = {**form, **BLOCK_2, "report_id_2": str(uuid.uuid4())}  # as intake.js adds it
    for _ in range(2):
        assert (await operator.post("/intakes", added))[0] == 303
    assert await reports_of(web) == [report_key(key, 1), uuid.UUID(added["report_id_2"])]


async def test_the_page_carries_its_keys_and_a_saved_block_without_one_is_not_emptied(
        web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    status, page = await operator.get("/intake")
    keys = dict(re.findall(r'name="(intake_id|report_id)" id="[a-z-]+" value="([0-9a-f-]+)"',
                           page))
    assert status == 200 and keys["report_id"] == str(report_key(uuid.UUID(keys["intake_id"]),
                                                                 1))
    form = await intake(web, intake_id=keys["intake_id"], report_id="", **BLOCK_2)
    assert (await operator.post("/intakes", form))[0] == 303
    before = await rows(web)
    emptied = {**form, "report_category_2": "", "report_narrative_2": ""}
    status, page = await operator.post("/intakes", emptied)
    assert status == 422 and "already saved" in page and await rows(web) == before
