"""Units of work on a report's excerpt: the form's page (the narrative to write from, the
excerpt as released), release or change, withdraw. Sealed like the narrative
(place report_excerpts.excerpt.<report id>); every read and write is audited on the report
in the same transaction, naming the fields, never the text."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lifeline_pbx import audit
from lifeline_pbx.cases.reports import REMOVED_NARRATIVE
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import FORM, Conflict, Invalid, NotFound, page_on_refusal
from lifeline_pbx.evidence import excerpt_store, printing
from lifeline_pbx.evidence.excerpt_store import Subject

ENTITY = "report"
NO_REPORT = "There is no such report."


def excerpt_place(report_id: uuid.UUID) -> str:
    return place("report_excerpts", "excerpt", report_id)


@dataclass(frozen=True)
class ExcerptPage:
    subject: Subject
    narrative: str
    excerpt: str  # "" when none is released
    released_by: str
    released_at: dt.datetime | None

    @property
    def consented(self) -> bool:
        return bool(self.subject.partners)

    @property
    def refused(self) -> str | None:
        """Why no excerpt of this report can be released, whatever it says."""
        if self.subject.narrative is None:
            return printing.NARRATIVE_REMOVED
        return None if self.consented else printing.NO_CONSENT


async def _subject(con: Conn, report_id: uuid.UUID, *, lock: bool = False) -> Subject:
    found = await excerpt_store.subject(con, report_id, lock=lock)
    if found is None:
        raise NotFound(NO_REPORT)
    return found


async def page(con: Conn, keys: KeyRing, report_id: uuid.UUID, user_id: int) -> ExcerptPage:
    async with con.transaction():
        s = await _subject(con, report_id)
        shown = ["narrative", "excerpt"] if s.excerpt is not None else ["narrative"]
        await audit.record(con, user_id, "view", ENTITY, report_id, shown)
    narrative = (REMOVED_NARRATIVE if s.narrative is None
                 else keys.open(s.narrative, place("reports", "narrative", report_id)))
    excerpt = "" if s.excerpt is None else keys.open(s.excerpt, excerpt_place(report_id))
    return ExcerptPage(s, narrative, excerpt, s.released_by, s.released_at)


async def release(con: Conn, keys: KeyRing, report_id: uuid.UUID, text: str,
                  user_id: int) -> None:
    """Release the excerpt (or change the one released). Refused (Invalid, carrying the
    form's page) without the person's consent, once retention cleared the narrative, or
    while it holds an identifier."""
    text = text.replace("\r\n", "\n").strip()
    async with page_on_refusal(lambda: page(con, keys, report_id, user_id)), con.transaction():
        s = await _subject(con, report_id, lock=True)
        names: list[str] = []
        if s.names is not None and s.person_id is not None:
            names = list(keys.open_json(s.names, place("persons", "names", s.person_id)))
        problem = printing.release_problem(text, bool(s.partners), s.housing_unit, names,
                                           narrative_kept=s.narrative is not None)
        if problem is not None:
            whole = problem in (printing.NO_CONSENT, printing.NARRATIVE_REMOVED)
            raise Invalid(problem, FORM if whole else "excerpt")
        await excerpt_store.save(con, report_id, keys.seal(text, excerpt_place(report_id)),
                                 user_id)
        await audit.record(con, user_id, "update" if s.excerpt is not None else "create",
                           ENTITY, report_id, ("excerpt",))


async def withdraw(con: Conn, report_id: uuid.UUID, user_id: int) -> None:
    async with con.transaction():
        await _subject(con, report_id, lock=True)
        if not await excerpt_store.withdraw(con, report_id):
            raise Conflict("No excerpt of this report is released.")
        await audit.record(con, user_id, "delete", ENTITY, report_id, ("excerpt",))
