"""The SQL for one call's page: the call as in the history, its timeline (call_events)
with the staff a line names (a supervisor who listened in) by their display name, its
recordings (no audio: that is opened only to be heard), what it produced (intakes,
reports, follow-ups: call_produced.py) and who has an unsaved draft on it (not what it
says: cases/drafts.py on_call)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from lifeline_pbx.cases import drafts
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.recordings import shelf
from lifeline_pbx.retention import store as retention
from lifeline_pbx.supervision import call_produced, timeline_words
from lifeline_pbx.supervision.call_history import CALL_COLUMNS, CallRow, call_row


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    kind: str
    detail: dict[str, str]
    user: str  # the display name of detail["user_id"], if any

    @property
    def what(self) -> str:
        return timeline_words.what(self.kind)

    @property
    def said(self) -> str:
        return timeline_words.detail(self.detail)


@dataclass(frozen=True)
class Timeline:
    call: CallRow
    lines: list[Line]
    recordings: list[shelf.Recording]
    produced: list[call_produced.Intake]
    drafts: list[drafts.Sign]

    @property
    def intake_to_write(self) -> bool:
        """An emergency taken from the on-call list, over, with no intake: nobody had a
        console for it, so its page offers the form (cases/binding.py lets a supervisor)."""
        taken = any(line.kind == "oncall_connected" for line in self.lines)
        return taken and self.call.outcome == "answered" and not self.produced


async def timeline(con: Conn, keys: KeyRing, call_id: uuid.UUID) -> Timeline | None:
    row = await con.fetchrow(
        f"""SELECT {CALL_COLUMNS}, NULL AS intake_outcome
            FROM calls c LEFT JOIN facilities f ON f.id = c.facility_id
                 LEFT JOIN lines l ON l.id = c.line_id
                 LEFT JOIN operators o ON o.id = c.operator_id
            WHERE c.id = $1""", call_id)
    if row is None:
        return None
    events = await con.fetch(
        """SELECT e.at, e.kind, e.detail::text AS detail, coalesce(u.display_name, '') AS user
           FROM call_events e
           LEFT JOIN users u ON e.detail ? 'user_id' AND e.detail->>'user_id' ~ '^[0-9]+$'
                AND u.id = (e.detail->>'user_id')::bigint
           WHERE e.call_id = $1 ORDER BY e.at, e.id""", call_id)
    return Timeline(call_row(row), [
        Line(e["at"], e["kind"], {k: str(v) for k, v in json.loads(e["detail"]).items()},
             e["user"]) for e in events], await shelf.of_call(con, call_id),
        await call_produced.of_call(con, call_id),
        await drafts.on_call(con, keys, call_id, (await retention.limits(con)).drafts))
