"""A supervisor (or admin) finishing another user's unsaved intake on a call, so that a
volunteer who does not come back does not leave a report stuck until retention removes it.

Opening it reads the author's draft (audited as a view of the draft, naming the fields
typed); saving it is the call's intake under the supervisor's name (intake_save, with its
audit entries), and the author's draft is deleted in the same transaction (audited). Saves
on one call take turns (intake_save.take_turns, the locks the author's own save takes, in
the same order), and a call has one intake: whoever saves second is refused with a link to
the first. Handing it back writes nothing: the draft stays the author's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    binding,
    drafts,
    forms,
    intake_page,
    intake_save,
    intake_work,
    intakes,
    pick_lists,
    their_calls,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, NotFound, page_on_refusal
from lifeline_pbx.retention import store as retention
from lifeline_pbx.web.times import when

GONE = ("There is no unsaved intake by that user on this call any more: its author saved "
        "or discarded it, or another supervisor finished it. Nothing was saved from this form "
        "and what you typed is still here.")
HAS_INTAKE = ("This call already has an intake, saved by {by} at {at}: "
              "open it to add what is missing.")


@dataclass(frozen=True)
class Again:
    """What the form needs when it is shown again after a refusal."""

    choices: intake_work.Choices
    author: str


@dataclass(frozen=True)
class Opened:
    bound: binding.Binding
    author: drafts.Sign
    fields: dict[str, Any]  # the draft, with the form's key
    choices: intake_work.Choices


async def _author(con: Conn, keys: KeyRing, call_id: uuid.UUID, author_id: int) -> drafts.Sign:
    signs = await drafts.on_call(con, keys, call_id, (await retention.limits(con)).drafts)
    found = next((s for s in signs if s.author_id == author_id), None)
    if found is None:
        raise NotFound(GONE)
    return found


async def _no_intake(con: Conn, call_id: uuid.UUID) -> None:
    saved = await intakes.first_on_call(con, call_id)
    if saved is not None:
        raise Conflict(HAS_INTAKE.format(by=saved.saved_by, at=when(saved.saved_at)),
                       link=intake_page.page_of(saved))


async def open_draft(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID,
                     author_id: int) -> Opened:
    """The author's draft on the call, to read and finish; its view audited."""
    async with con.transaction():
        await _no_intake(con, call_id)
        author = await _author(con, keys, call_id, author_id)
        draft = await drafts.get(con, keys, author_id, call_id)
        call = await their_calls.get(con, call_id, user_id)
        assert draft is not None and call is not None  # on_call found it, on this call
        await audit.record(con, user_id, "view", "draft", draft.id, drafts.typed_names(draft.body))
        key = binding.form_key(draft.body) or uuid.uuid4()
    bound = binding.Binding("call", call_id, None, call.facility_id, call.language,
                            call.started_at)
    fields = {**draft.body, "call_id": str(call_id), "intake_id": str(key),
              "voicemail_id": ""}
    return Opened(bound, author, fields, await intake_work.choices(con))


async def finish(con: Conn, keys: KeyRing, user_id: int, call_id: uuid.UUID, author_id: int,
                 data: FormData) -> intake_save.Saved:
    """The form saved as the call's intake, under this user's name, and the author's draft
    deleted. Refused (the page to show again attached) if the draft is gone or the call has
    an intake meanwhile."""
    async def again() -> Again:
        signs = await drafts.on_call(con, keys, call_id, None)
        name = next((s.author for s in signs if s.author_id == author_id), "its author")
        return Again(await intake_work.choices(con), name)

    async with page_on_refusal(again):
        form = forms.parse_intake(data, await pick_lists.choices(con))
        form = replace(form, call_id=call_id, voicemail_id=None)
        async with con.transaction():
            await intake_save.take_turns(con, form.key, call_id)
            draft = await drafts.get(con, keys, author_id, call_id)
            if draft is None or not drafts.typed(draft.body):
                saved = await intakes.first_on_call(con, call_id)
                if saved is not None and (saved.id, saved.user_id) == (form.key, user_id):
                    # the same form again (a double click): answered as the first was
                    return await intake_save.save_intake(con, keys, user_id, form,
                                                         supervisor=True)
                raise Conflict(GONE, link="" if saved is None else intake_page.page_of(saved))
            saved_now = await intake_save.save_intake(con, keys, user_id, form, supervisor=True)
            gone = await drafts.delete(con, author_id, call_id)
            await audit.record(con, user_id, "delete", "draft", gone)
    return saved_now
