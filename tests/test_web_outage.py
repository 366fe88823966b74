"""The database goes away under the web UI: a clear answer, nothing half-saved, and the same
intake saves once the database is back (and only once)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from devstack.postgres import Cluster
from lifeline_pbx import demo
from tests.pg_fixtures import as_app_role
from tests.waiting import wait_for
from tests.web_fixtures import WebApp, running_web


@pytest.fixture
async def web_on_own_cluster(own_cluster: Cluster) -> AsyncIterator[WebApp]:
    await demo.install(own_cluster.dsn())
    async with running_web(await as_app_role(own_cluster.dsn())) as web:
        yield web


async def test_saving_during_a_database_outage_loses_nothing(
    web_on_own_cluster: WebApp, own_cluster: Cluster
) -> None:
    web = web_on_own_cluster
    operator = await web.signed_in("operator1")
    call_id = uuid.uuid4()
    facility = (await web.sql("SELECT min(id) AS id FROM facilities"))[0]["id"]
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                              caller_name, started_at, operator_id)
           VALUES ($1, 'c', 'PJSIP/c', '100', $2, '', '', now(),
                   (SELECT id FROM operators WHERE sip_username = 'operator1'))""",
        call_id, facility)
    form = {"call_id": str(call_id), "facility_id": str(facility), "language": "es",
            "a_number": "A-301-555-019", "person_names": "Outage Person",
            "person_facility": str(facility), "report_category": "food_water",
            "report_severity": "medium", "report_affected": "group",
            "report_narrative": "No drinking water in unit B for two days."}

    own_cluster.halt()
    status, body = await operator.post_json("/intakes", form)
    assert status == 503 and "try again" in body["error"]

    own_cluster.resume()
    answers: list[int] = []

    async def saved() -> bool:
        code, _ = await operator.post_json("/intakes", form)
        answers.append(code)
        return code == 200

    await wait_for(saved, timeout=30, what="the intake saved after the outage")
    assert set(answers) <= {200, 503}
    assert len(await web.sql("SELECT 1 FROM intakes")) == 1
    assert len(await web.sql("SELECT 1 FROM reports")) == 1
    code, body = await operator.post_json("/intakes", form)
    assert code == 409  # saving twice is refused, never a second copy
