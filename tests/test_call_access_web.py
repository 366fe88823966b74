"""Access follows the call, over HTTP against the running app: every refusal of point 10
answers clearly and changes no row; an operator's intake fills a person's empty fields and
proposes the rest, which a supervisor accepts or rejects; the intake's lookup shows the
person's family and needs as far as the user may see them."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import asyncpg

from lifeline_pbx import crypto
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.test_cases_web import JSON, intake, new_call, save
from tests.web_fixtures import Client, WebApp

TABLES = ("persons", "person_search_tokens", "person_facilities", "person_proposals",
          "intakes", "reports", "follow_ups", "drafts", "call_lookups", "record_revisions",
          "audit_log")
A_NUMBER = "A-208-555-019"  # the one tests.test_cases_web.intake types
KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
OTHERS = ("A-300-000-001", "A-300-000-002", "A-300-000-003", "A-300-000-004")


def names(person: asyncpg.Record) -> list[str]:
    value: list[str] = KEYS.open_json(person["names"],
                                      crypto.place("persons", "names", person["id"]))
    return value


async def rows(web: WebApp) -> dict[str, list[str]]:
    return {t: sorted(repr(tuple(r.values())) for r in await web.sql(f"SELECT * FROM {t}"))
            for t in TABLES}


async def answer(client: Client, request: str, form: dict[str, Any]) -> tuple[int, str]:
    method, path = request.split(" ", 1)
    if method == "GET":
        status, text = await client.get(path, headers=JSON)
    elif method == "DRAFT":
        status, body = await client.post_json(path, form)
        return status, json.dumps(body)
    else:
        status, text = await client.post(path, form, headers=JSON)
    return status, text


def lookup(a_number: str, call_id: str = "") -> str:
    return f"GET /people/lookup?a_number={a_number}&call_id={call_id}"


async def test_each_refusal_of_point_10_answers_and_changes_nothing(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    saved = await intake(web, intake_id=str(uuid.uuid4()), report_id=str(uuid.uuid4()))
    assert (await save(operator, saved))[0] == 200
    await save(operator, {**saved, "report_narrative": "Corrected"})  # revision 2
    rid, iid = saved["report_id"], saved["intake_id"]
    fid = str((await web.sql("SELECT id FROM follow_ups"))[0]["id"])
    found_call, _ = await new_call(web)  # this call found the person
    assert (await answer(operator, lookup(A_NUMBER, found_call), {}))[0] == 200
    tried_call, _ = await new_call(web)  # this one looked up three A-numbers that are nobody's
    for a_number in OTHERS[:3]:
        assert (await answer(operator, lookup(a_number, tried_call), {}))[0] == 200
    other_call, _ = await new_call(web)
    await web.sql("UPDATE calls SET operator_id = NULL WHERE id = $1", uuid.UUID(other_call))
    ended_call, _ = await new_call(web)
    await web.sql("UPDATE calls SET ended_at = now() - interval '31 minutes' WHERE id = $1",
                  uuid.UUID(ended_call))
    # the intake's call ended, and its wrap-up too
    await web.sql("UPDATE calls SET ended_at = now() - interval '31 minutes' WHERE id = $1",
                  uuid.UUID(saved["call_id"]))
    await web.sql("UPDATE intakes SET created_at = now() - interval '40 minutes' "
                  "WHERE id = $1", uuid.UUID(iid))
    await save(operator, {**(await intake(web, intake_id=str(uuid.uuid4()))),
                          "person_names": "Another spelling"})  # proposes a name
    proposal = str((await web.sql("SELECT id FROM person_proposals"))[0]["id"])

    cases: list[tuple[Client, str, dict[str, Any], int, str]] = [
        # a lookup: only during the operator's own call, one person per call
        (operator, lookup(A_NUMBER), {}, 403, "while taking their call"),
        (operator, lookup(A_NUMBER, other_call), {}, 403, "while taking their call"),
        (operator, lookup(A_NUMBER, ended_call), {}, 403, "while taking their call"),
        (operator, lookup(OTHERS[0], found_call), {}, 403, "already found a person"),
        (operator, lookup(OTHERS[3], tried_call), {}, 403, "no more lookups"),
        # outcomes, drafts and intakes only on one's own calls
        (operator, "POST /intakes/outcome", {"intake_id": str(uuid.uuid4()),
                                             "call_id": other_call, "outcome": "silent"},
         403, "not put through to your phone"),
        (operator, "DRAFT /drafts", {"call_id": other_call, "fields": {"a_number": "1"}},
         403, "not put through to your phone"),
        (operator, "POST /intakes", {**saved, "intake_id": str(uuid.uuid4()),
                                     "call_id": other_call}, 403, "not put through"),
        # the author's correction after wrap-up (the same submission again is no correction)
        (operator, "POST /intakes", {**saved, "report_narrative": "Too late"}, 403,
         "wrap-up time"),
        # corrections, old revisions and proposals are for supervisors
        (operator, f"POST /proposals/{proposal}", {"decision": "accept"}, 403, "supervisor"),
        (operator, f"GET /reports/{rid}/revisions/1", {}, 403, "supervisor"),
        (operator, f"GET /intakes/{iid}/revisions", {}, 403, "supervisor"),
        (operator, f"POST /reports/{rid}/correct", {"revision": "2"}, 403, "supervisor"),
        (operator, f"POST /follow-ups/{fid}/correct", {"revision": "0", "what": "x"}, 403,
         "supervisor"),
        (supervisor, f"POST /proposals/{proposal}", {"decision": "maybe"}, 422,
         "Accept or reject"),
        (supervisor, f"POST /proposals/{uuid.uuid4()}", {"decision": "accept"}, 404,
         "No such"),
    ]
    before = await rows(web)
    for client, request, form, status, message in cases:
        got = await answer(client, request, form)
        assert got[0] == status and re.search(message, got[1]), (request, got)
        assert await rows(web) == before, request
    status, body = await save(operator, {**saved, "report_narrative": "Corrected"})
    assert (status, body["changed"]) == (200, False)  # the last save, repeated: fine


async def test_an_operators_intake_fills_empty_fields_and_proposes_the_rest(
    web: WebApp
) -> None:
    operator = await web.signed_in("operator1")
    first = await intake(web, person_country="", intake_id=str(uuid.uuid4()))
    assert (await save(operator, first))[0] == 200
    person = (await web.sql("SELECT * FROM persons"))[0]
    assert person["country"] == "" and person["date_of_birth"] is None
    # a second call fills the empty date of birth and country; the new spelling is proposed
    second = await intake(web, person_names="Nombre Otro", person_country="Guatemala",
                          person_dob="1990-04-05", intake_id=str(uuid.uuid4()))
    assert (await save(operator, second))[0] == 200
    after = (await web.sql("SELECT * FROM persons"))[0]
    assert after["country"] == "Guatemala" and after["date_of_birth"] is not None
    assert names(after) == names(person) == ["Name Denied insulin"]
    tokens = await web.sql("SELECT * FROM person_search_tokens ORDER BY token")
    # a standalone intake fills nothing: a different country is proposed as well
    standalone = await intake(web, person_names="Nombre Otro", person_country="Mexico",
                              call_id="", intake_id=str(uuid.uuid4()),
                              report_id=str(uuid.uuid4()))
    before = (await web.sql("SELECT * FROM persons"))[0]
    assert (await save(operator, standalone))[0] == 200
    assert (await web.sql("SELECT * FROM persons"))[0] == before
    proposed = await web.sql("SELECT * FROM person_proposals ORDER BY proposed_at")
    assert [list(p["fields"]) for p in proposed] == [["names"], ["names", "country"]]
    assert all(b"Nombre Otro" not in p["content"] for p in proposed)
    assert (await save(operator, standalone))[1]["changed"] is False  # proposed once
    assert len(await web.sql("SELECT * FROM person_proposals")) == 2
    entries = {(r["action"], r["entity"]) for r in await web.sql("SELECT * FROM audit_log")}
    assert ("create", "person_proposal") in entries

    supervisor = await web.signed_in("supervisor1")
    pid = person["id"]
    status, page = await supervisor.get(f"/people/{pid}")
    assert status == 200 and "Proposed corrections (2)" in page and "add Nombre Otro" in page
    status, page = await supervisor.get("/proposals")  # its fields worded as corrections are
    assert status == 200 and re.findall(r'<td class="proposal-fields">([^<]*)</td>', page) == [
        "Names", "Names, Country"]
    status, _ = await supervisor.post(f"/proposals/{proposed[0]['id']}", {"decision": "accept"})
    assert status == 303 and supervisor.last["location"].startswith(f"/people/{pid}?proposal=")
    status, _ = await supervisor.post(f"/proposals/{proposed[1]['id']}", {"decision": "reject"})
    assert status == 303
    status, page = await supervisor.get(f"/people/{pid}")
    assert "Nombre Otro" in page and "Proposed corrections (0)" in page and "Mexico" not in page
    assert await web.sql("SELECT * FROM person_search_tokens ORDER BY token") != tokens
    status, page = await supervisor.get("/people/search?name=otro")  # the new spelling's tokens
    assert status == 200 and f"/people/{pid}" in page
    status, text = await supervisor.post(f"/proposals/{proposed[1]['id']}",
                                         {"decision": "accept"})
    assert status == 409 and "already rejected" in text
    decided = {(r["status"], r["decided_by"] is not None) for r in await web.sql(
        "SELECT * FROM person_proposals")}
    assert decided == {("accepted", True), ("rejected", True)}


async def test_the_lookup_shows_family_and_needs_as_far_as_the_user_may_see(
    web: WebApp
) -> None:
    operator = await web.signed_in("operator1")
    shared = await intake(web, family_name="Rosa Prima", intake_id=str(uuid.uuid4()))
    assert (await save(operator, shared))[0] == 200
    await web.sql("UPDATE intakes SET family_consent = false")  # recorded without consent
    call_id, _ = await new_call(web)
    status, fragment = await operator.get(f"/people/lookup?a_number={A_NUMBER}"
                                          f"&call_id={call_id}")
    assert status == 200 and 'id="history-family"' in fragment
    assert "Denied insulin" in fragment  # the needs note
    assert "Rosa Prima" not in fragment and "only a supervisor can see it" in fragment
    supervisor = await web.signed_in("supervisor1")
    status, fragment = await supervisor.get(f"/people/lookup?a_number={A_NUMBER}")
    assert status == 200 and "Rosa Prima" in fragment
    views = {r["entity"] for r in await web.sql(
        "SELECT entity FROM audit_log WHERE action = 'view'")}
    assert {"person_search", "person", "intake"} <= views
