"""Who may use the console's transfer, conference and relay routes: a signed-in user with
a linked phone, on their own call only. Nothing is placed when refused (no leg row)."""

from __future__ import annotations

import json
import uuid

import pytest

from lifeline_pbx.transfers import rules
from lifeline_pbx.transfers.service import NOTHING_OPEN
from lifeline_pbx.transfers.views import UNLINKED
from tests.web_fixtures import WebApp

NUMBER = "+12025550143"


def on_a_call(call_id: uuid.UUID) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/console/calls/{call_id}"
    return [("POST", f"{base}/conference", {"number": NUMBER}),
            ("POST", f"{base}/transfer", {"to": "operator1"}),
            ("POST", f"{base}/queue", {"queue_id": "1", "language": "en"}),
            ("GET", f"{base}/transfer-choices", {})]


ALL = [*on_a_call(uuid.uuid4()), ("POST", "/console/relay", {"number": NUMBER}),
       ("POST", "/console/side/complete", {}), ("POST", "/console/side/return", {}),
       ("POST", "/console/side/hangup", {})]


async def test_anonymous_and_unlinked_users_are_refused(web_with_calls: WebApp) -> None:
    anonymous = await web_with_calls.client()
    for method, path, body in ALL:
        if method == "POST":
            status, _ = await anonymous.post_json(path, body, csrf="")
        else:
            status, _ = await anonymous.get(path)
        assert status in (302, 303, 401, 403), (path, status)
    supervisor = await web_with_calls.signed_in("supervisor1")  # no phone linked
    for method, path, body in ALL:
        if method == "POST":
            status, answer = await supervisor.post_json(path, body)
            assert (status, answer["error"]) == (409, UNLINKED), path
    assert await web_with_calls.sql("SELECT * FROM outbound_legs") == []


async def test_an_operator_acts_only_on_their_own_call(web_with_calls: WebApp) -> None:
    operator = await web_with_calls.signed_in("operator1")
    for method, path, body in on_a_call(uuid.uuid4()):
        if method == "POST":
            status, answer = await operator.post_json(path, body)
        else:
            status, text = await operator.get(path, headers={"Accept": "application/json"})
            answer = json.loads(text)
        assert (status, answer["error"]) == (409, rules.NOT_YOURS), path
    for path in ("/console/side/complete", "/console/side/return", "/console/side/hangup"):
        status, answer = await operator.post_json(path, {})
        assert (status, answer["error"]) == (409, NOTHING_OPEN), path
    status, answer = await operator.post_json("/console/relay", {"number": " "})
    assert (status, answer["error"]) == (409, rules.NO_NUMBER)
    assert await web_with_calls.sql("SELECT * FROM outbound_legs") == []


@pytest.mark.parametrize("path", ["/console/calls/not-a-call/conference",
                                  "/console/calls/not-a-call/transfer"])
async def test_a_malformed_call_id_is_not_found(web_with_calls: WebApp, path: str) -> None:
    operator = await web_with_calls.signed_in("operator1")
    status, _ = await operator.post_json(path, {"number": NUMBER})
    assert status == 404
