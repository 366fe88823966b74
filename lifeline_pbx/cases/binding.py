"""What an intake form is bound to, decided when it is opened: the call put through to this
operator's phone, a voicemail, or nothing (a standalone intake). Never whatever draft
was open last. A save is checked against the same rules.

An emergency taken from the line's on-call list has no console to write it from: its intake
is written by whoever took it (if their phone is linked to their web account, it is their
call) or by a supervisor, from the call's page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from lifeline_pbx import audit
from lifeline_pbx.cases import drafts, intakes, reopen, their_calls
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import Conflict, Forbidden, NotFound
from lifeline_pbx.voicemail import store as voicemails

Kind = Literal["call", "voicemail", "standalone"]
CHANGED_ELSEWHERE = "This intake was changed in another tab: reload to see it."
NOT_YOUR_CALL = ("This call was not put through to your phone: an intake can be written "
                 "only for your own calls. Start a standalone intake instead.")


@dataclass(frozen=True)
class Binding:
    kind: Kind
    call_id: uuid.UUID | None = None
    voicemail_id: uuid.UUID | None = None
    facility_id: int | None = None
    language: str = ""
    at: dt.datetime | None = None  # when the call came in or the voicemail was left
    on_call: bool = False  # an emergency someone else took from the on-call list


STANDALONE = Binding("standalone")
# Whether the distributor has the call bridged to the user's phone right now; when not,
# it returns once the call's row holds what the engine knows of it (its record writer
# gathers writes for a moment before it commits them).
BridgedHere = Callable[[uuid.UUID | None], Awaitable[bool]]


async def resolve(con: Conn, user_id: int, supervisor: bool, call_id: uuid.UUID | None,
                  voicemail_id: uuid.UUID | None, *, bridged_here: bool = False) -> Binding:
    """bridged_here: the distributor has this call bridged to the user's phone right now.
    The call's row learns its operator through the queued call-record writer, a moment
    after the console shows the call, so the live picture is believed first."""
    if voicemail_id is not None:
        if not supervisor:
            raise Forbidden("Intakes from voicemails are written by supervisors.")
        vm = await voicemails.origin(con, voicemail_id)
        if vm is None:
            raise NotFound("No such voicemail.")
        if call_id is not None and call_id != vm.call_id:
            raise Forbidden("This form was opened for another call: reload the page.")
        return Binding("voicemail", vm.call_id, voicemail_id, vm.facility_id, vm.language,
                       vm.created_at)
    if call_id is None:
        return STANDALONE
    call = await their_calls.get(con, call_id, user_id)
    if call is None or not (call.theirs or bridged_here or (supervisor and call.on_call)):
        raise Forbidden(NOT_YOUR_CALL)
    return Binding("call", call_id, None, call.facility_id, call.language, call.started_at,
                   on_call=call.on_call and not call.theirs)


async def save_draft(con: Conn, keys: KeyRing, user_id: int, supervisor: bool,
                     call_id: uuid.UUID | None, fields: dict[str, Any],
                     bridged_here: BridgedHere, base: uuid.UUID | None = None,
                     revision: uuid.UUID | None = None) -> None:
    """The user's draft for a call of theirs (a supervisor's for any call), or standalone.
    base and revision: see drafts.save; a save from a page whose draft was replaced by
    another tab's is refused (Conflict), not laid over the other tab's words."""
    if call_id is not None and not supervisor:
        await resolve(con, user_id, False, call_id, None,
                      bridged_here=await bridged_here(call_id))
    try:
        kept = await drafts.save(con, keys, user_id, call_id, fields, base, revision)
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("That call is not known.") from None
    if not kept:
        raise Conflict(CHANGED_ELSEWHERE)


@dataclass(frozen=True)
class Opened:
    key: uuid.UUID  # the form's key: the intake's id
    saved: bool  # an intake is saved under it
    fields: dict[str, Any]  # what to show in the form
    draft_at: dt.datetime | None  # the fields are a draft, last saved then
    revision: uuid.UUID  # the draft's, as this form starts from (drafts.save's base)


async def open_form(con: Conn, keys: KeyRing, user_id: int, bound: Binding) -> Opened:
    """The form's key, whether an intake is saved under it, and the fields to show: the
    operator's draft if they typed since, else what was saved, else nothing. The key is
    kept in the draft so that a second tab on the same call gets the same one."""
    async with con.transaction():
        saved = (await intakes.for_call(con, bound.call_id, user_id)
                 if bound.call_id is not None else None)
        draft = await drafts.claim(con, keys, user_id, bound.call_id,
                                   {"intake_id": str(saved or uuid.uuid4())})
        key = saved or form_key(draft.body) or uuid.uuid4()
        fields: dict[str, Any] = {}
        draft_at = None
        if drafts.typed(draft.body):
            fields, draft_at = draft.body, draft.updated_at
        elif saved is not None:
            fields, shown = await reopen.form_values(con, keys, saved)
            await audit.record_views(con, user_id, shown)
        is_saved = saved is not None or await intakes.get(con, keys, key) is not None
    return Opened(key, is_saved, {**fields, "intake_id": str(key)}, draft_at, draft.id)


def form_key(body: dict[str, Any]) -> uuid.UUID | None:
    """The form key a draft keeps, if it is one."""
    try:
        return uuid.UUID(str(body.get("intake_id", "")))
    except ValueError:
        return None
