"""Where a saved intake is opened (from its voicemail, from its call's page)."""

from __future__ import annotations

import uuid
from typing import Protocol


class SavedIntake(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def outcome(self) -> str: ...


def page_of(intake: SavedIntake) -> str:
    """The intake's own page: its fields, to read and correct; a one-click outcome has
    none, so its history."""
    if intake.outcome == "intake":
        return f"/intakes/{intake.id}/correct"
    return f"/intakes/{intake.id}/revisions"
