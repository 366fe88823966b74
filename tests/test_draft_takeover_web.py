"""A supervisor finishes another user's unsaved intake on a call (cases/draft_takeover.py):
the call's page links to it, reading it is audited, saving it makes the call's one intake
under the supervisor's name and removes the author's draft, and whoever saves second (the
author, another supervisor, at the same moment) is refused with what they typed kept. Over
HTTP against the running app and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.test_cases_web import JSON, intake, new_call, save
from tests.web_fixtures import Client, WebApp

NARRATIVE = "Officer took the insulin away on Monday."


async def _user_id(web: WebApp, username: str) -> int:
    return int((await web.sql("SELECT id FROM users WHERE username = $1", username))[0]["id"])


async def _stranded(web: WebApp, operator: Client) -> tuple[str, dict[str, Any]]:
    """A call of operator1's with an unsaved intake on it; the form that finishes it."""
    call_id, _ = await new_call(web)
    await web.sql("UPDATE calls SET connected_at = now(), ended_at = now() WHERE id = $1",
                  call_id)
    status, _ = await operator.get(f"/intakes/open?call_id={call_id}", headers=JSON)
    assert status == 200
    key = (await operator.get(f"/drafts?call_id={call_id}", headers=JSON))[1]
    form = await intake(web, "Denied insulin", report_narrative=NARRATIVE)
    intake_id = re.search(r'"intake_id": "([0-9a-f-]+)"', key)
    assert intake_id is not None
    draft = {**form, "call_id": call_id, "intake_id": intake_id[1]}
    status, _ = await operator.post_json("/drafts", {"call_id": call_id, "fields": draft})
    assert status == 200
    return call_id, draft


async def _finish(client: Client, call_id: str, author_id: int,
                  form: dict[str, Any]) -> tuple[int, str]:
    return await client.post(f"/calls/{call_id}/drafts/{author_id}", form)


async def test_a_supervisor_reads_and_finishes_an_operators_draft(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    author_id, supervisor_id = (await _user_id(web, "operator1"),
                                await _user_id(web, "supervisor1"))
    call_id, draft = await _stranded(web, operator)
    takeover = f"/calls/{call_id}/drafts/{author_id}"

    await web.sql("UPDATE retention_settings SET drafts_days = 3")
    status, page = await supervisor.get("/supervisor/queues")  # stranded, listed
    listed = page.split('id="stranded-drafts"', 1)[1].split("</section>", 1)[0]
    assert "1 unsaved intake on answered calls" in listed and f"/calls/{call_id}" in listed
    assert re.search(r"retention removes it on \d{4}-\d\d-\d\d", listed)
    assert NARRATIVE not in listed and "208" not in listed
    status, page = await supervisor.get(f"/calls/{call_id}")
    assert status == 200 and f'href="{takeover}"' in page and NARRATIVE not in page
    assert (await operator.get(takeover))[0] == 403  # supervisors only
    status, page = await supervisor.get(takeover)
    assert status == 200 and NARRATIVE in page and f'action="{takeover}"' in page
    assert "Intake for Demo Operator&#39;s call at " in page and "your call" not in page
    assert f'id="intake-key" value="{draft["intake_id"]}"' in page
    views = await web.sql("SELECT user_id, entity, fields FROM audit_log "
                          "WHERE action = 'view' AND entity = 'draft'")
    assert [(v["user_id"], v["entity"]) for v in views] == [(supervisor_id, "draft")]
    assert "report_narrative" in views[0]["fields"] and "call_id" not in views[0]["fields"]

    status, _ = await _finish(supervisor, call_id, author_id, draft)
    assert status == 303 and supervisor.last["location"] == f"/calls/{call_id}"
    rows = await web.sql("SELECT id::text, user_id FROM intakes WHERE call_id = $1", call_id)
    assert [tuple(r) for r in rows] == [(draft["intake_id"], supervisor_id)]
    assert await web.sql("SELECT 1 FROM drafts WHERE call_id = $1", call_id) == []
    entries = await web.sql("SELECT user_id, action, entity FROM audit_log "
                            "WHERE action IN ('create', 'delete') "
                            "AND entity IN ('intake', 'draft') ORDER BY id")
    assert [tuple(e) for e in entries] == [(supervisor_id, "create", "intake"),
                                           (supervisor_id, "delete", "draft")]
    status, page = await supervisor.get(f"/calls/{call_id}")
    assert "unsaved intake" not in page and "No intake was written" not in page
    status, page = await supervisor.get("/supervisor/queues")
    assert 'id="stranded-drafts" class="card" hidden' in page and f"/calls/{call_id}" not in page

    # The author, from a form opened before or after: the call has its intake.
    status, body = await save(operator, {**draft, "intake_id": ""})
    assert status == 409 and "saved by" in body["error"], body
    status, page = await _finish(supervisor, call_id, author_id, draft)  # the same again
    assert status == 303
    assert len(await web.sql("SELECT 1 FROM intakes WHERE call_id = $1", call_id)) == 1


async def test_a_draft_saved_meanwhile_is_not_finished_twice(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    author_id = await _user_id(web, "operator1")
    call_id, draft = await _stranded(web, operator)
    assert (await supervisor.get(f"/calls/{call_id}/drafts/{author_id}"))[0] == 200
    status, _ = await save(operator, draft)
    assert status == 200
    status, page = await _finish(supervisor, call_id, author_id,
                                 {**draft, "needs_note": "typed by the supervisor"})
    assert status == 409 and "no unsaved intake by that user" in page
    assert "typed by the supervisor" in page and 'id="intake-elsewhere"' in page
    assert len(await web.sql("SELECT 1 FROM intakes WHERE call_id = $1", call_id)) == 1
    status, page = await supervisor.get(f"/calls/{call_id}/drafts/{author_id}")
    assert status == 409 and "already has an intake" in page


async def test_author_and_supervisor_saving_at_once_make_one_intake(web: WebApp) -> None:
    operator = await web.signed_in("operator1")
    supervisor = await web.signed_in("supervisor1")
    author_id = await _user_id(web, "operator1")
    for _ in range(3):
        call_id, draft = await _stranded(web, operator)
        other = {**draft, "intake_id": ""}  # the author's form opened again: another key
        (mine, _), (theirs, _) = await asyncio.gather(
            save(operator, other), _finish(supervisor, call_id, author_id, draft))
        assert sorted((mine, theirs)) in ([200, 409], [303, 409]), (mine, theirs)
        assert len(await web.sql("SELECT 1 FROM intakes WHERE call_id = $1", call_id)) == 1
