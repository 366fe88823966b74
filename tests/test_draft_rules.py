"""What makes a draft, without a database: anything typed or ticked; not an empty form, nor
one holding only what the form opens with (cases/drafts.py typed)."""

from __future__ import annotations

from typing import Any

import pytest

from lifeline_pbx.cases import drafts

# An untouched form on a call, as the intake page's script sends it.
OPENED: dict[str, Any] = {
    "call_id": "5b0c3c1e-0000-4000-8000-000000000001", "facility_id": "3", "triage": "1",
    "intake_id": "5b0c3c1e-0000-4000-8000-000000000002", "voicemail_id": "",
    "a_number": "", "person_names": "", "language": "es", "person_facility": "3",
    "report_id": "5b0c3c1e-0000-4000-8000-000000000003", "report_category": "",
    "report_severity": "medium", "report_affected": "person", "report_narrative": "",
    "report_consent": [], "followup_assignee": "7", "followup_what": "",
}

CASES = {
    "nothing at all": ({}, False),
    "a form's key alone": ({"intake_id": OPENED["intake_id"]}, False),
    "a form as it opens on a call": (OPENED, False),
    "a second report block as it opens": (
        {**OPENED, "report_id_2": "x", "report_severity_2": "high",
         "report_affected_2": "group", "report_consent_2": []}, False),
    "an A-number typed": ({**OPENED, "a_number": "A 208-555-901"}, True),
    "a narrative typed": ({**OPENED, "report_narrative": "Kept from the clinic."}, True),
    "a category chosen in block 2": ({**OPENED, "report_category_2": "medical_neglect"}, True),
    "a partner ticked": ({**OPENED, "report_consent": ["2"]}, True),
    "a need ticked": ({**OPENED, "needs_legal": "on"}, True),
    "a follow-up written": ({**OPENED, "followup_what": "Call the lawyer"}, True),
}


@pytest.mark.parametrize(("body", "expected"), CASES.values(), ids=CASES.keys())
def test_a_draft_is_what_was_typed(body: dict[str, Any], expected: bool) -> None:
    assert drafts.typed(body) is expected
