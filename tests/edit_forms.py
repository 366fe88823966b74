"""Edit forms posted as a browser posts them: with the mark of the record the form was
opened over (cases/edit_marks.py), read from the form's page."""

from __future__ import annotations

import re
from typing import Any

from tests.web_fixtures import Client

_OPENED = re.compile(r'name="opened" value="([^"]*)"')


def mark_in(page: str) -> str:
    """The mark the page's edit forms carry ("" if none: posted, it is refused)."""
    marks: set[str] = set(_OPENED.findall(page))
    assert len(marks) <= 1, marks
    return marks.pop() if marks else ""


async def opened(client: Client, path: str) -> str:
    """The mark of the record as the form at path shows it now."""
    status, page = await client.get(path)
    assert status == 200, (path, status)
    return mark_in(page)


async def post_opened(client: Client, form_path: str, fields: dict[str, Any],
                      post_path: str = "") -> tuple[int, str]:
    """Open the form, then post it with fields (over the record as it is now)."""
    mark = await opened(client, form_path)
    return await client.post(post_path or form_path, {**fields, "opened": mark})
