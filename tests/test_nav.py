"""Which top bar link is the page's own (web/nav.py), by address."""

from __future__ import annotations

import pytest

from lifeline_pbx.web.nav import current


@pytest.mark.parametrize(("path", "query", "link"), [
    ("/console", {}, "/console"),
    ("/follow-ups/12", {}, "/follow-ups"),
    ("/intake", {}, "/intake"),  # the standalone form
    ("/intake", {"language": "es"}, "/intake"),
    ("/intake", {"voicemail": ""}, "/intake"),  # no voicemail named: standalone
    ("/intake", {"voicemail": "2f0c", "language": "es"}, "/voicemail"),  # a voicemail's
    ("/intakes/2f0c/correct", {}, None),
    ("/voicemail", {"show": "reviewed"}, "/voicemail"),
    ("/supervisor/queues", {}, "/supervisor/queues"),
    ("/supervisor/calls/2f0c", {}, None),
    ("/evidence", {}, "/evidence"),
    ("/evidence/export", {}, "/evidence/export"),
    ("/admin/lines/3", {}, "/admin/users"),
    ("/", {}, None),
])
def test_the_current_link(path: str, query: dict[str, str], link: str | None) -> None:
    assert current(path, query) == link
