"""The intake form as the views ask for it, one call per user action: its page, opening it
bound to a call or voicemail, saving it (or a one-click outcome), and the repeat-caller
lookup. The units of work (transactions, audit entries) are those of binding, intake_save,
person_work, call_lookup and followup_work; this module puts each action's steps on one
connection.

`bridged_here(call_id)`: whether the distributor has that call bridged to the user's phone
right now (its live picture, which the call's row learns a moment later); awaited before the
row is read, since when it says no it first lets the row catch up (binding.BridgedHere).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from lifeline_pbx import audit
from lifeline_pbx.cases import (
    binding,
    call_lookup,
    drafts,
    family,
    followup_work,
    forms,
    intake_save,
    person_work,
    pick_lists,
    reports,
    voicemail_intake,
)
from lifeline_pbx.cases.fields import FormData
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import page_on_refusal
from lifeline_pbx.retention import store as retention
from lifeline_pbx.voicemail import store as voicemails

BridgedHere = binding.BridgedHere


@dataclass(frozen=True)
class Choices:
    """What the intake form offers to choose from (the console page includes the form)."""

    categories: list[tuple[str, str]]
    partners: list[tuple[int, str, str]]
    facilities: pick_lists.Named
    assignees: pick_lists.Named


@dataclass(frozen=True)
class Page:
    bound: binding.Binding
    choices: Choices
    elsewhere: str | None = None  # the voicemail's intake, opened instead of the form
    voicemail: voicemails.Voicemail | None = None  # the message, to hear while writing
    unfinished: tuple[drafts.OnCall, ...] = ()  # the user's drafts on calls


@dataclass(frozen=True)
class Opened:
    bound: binding.Binding
    form: binding.Opened


@dataclass(frozen=True)
class Lookup:
    history: person_work.History | None
    family_needs: list[family.IntakeNeeds]


async def choices(con: Conn) -> Choices:
    return Choices(await reports.categories(con), await reports.partners(con),
                   await pick_lists.facilities(con), await pick_lists.users(con))


async def unfinished(con: Conn, keys: KeyRing, user_id: int) -> tuple[drafts.OnCall, ...]:
    """The user's unfinished intakes on calls (drafts with something typed), newest first."""
    return tuple(await drafts.mine_on_calls(con, keys, user_id,
                                            (await retention.limits(con)).drafts))


async def console_form(con: Conn, keys: KeyRing,
                       user_id: int) -> tuple[Choices, tuple[drafts.OnCall, ...]]:
    """The console's form, and the user's unfinished intakes to go back to while idle."""
    return await choices(con), await unfinished(con, keys, user_id)


async def page(con: Conn, keys: KeyRing, user_id: int, supervisor: bool,
               voicemail_id: uuid.UUID | None, call_id: uuid.UUID | None = None) -> Page:
    """The form on its own page: standalone, for a voicemail, or for a call of the user's
    named in the address (their unfinished intake on it); never an earlier call by
    itself. A voicemail that has an intake (someone else's) opens that instead. With the
    user's unfinished intakes on calls, to go back to."""
    bound = await binding.resolve(con, user_id, supervisor, call_id, voicemail_id)
    drafted = await unfinished(con, keys, user_id)
    if bound.voicemail_id is None:
        return Page(bound, await choices(con), unfinished=drafted)
    found = await voicemails.first_intake(con, bound.voicemail_id)
    return Page(bound, await choices(con), voicemail_intake.elsewhere(found, user_id),
                await voicemails.one(con, bound.voicemail_id), drafted)


async def open_form(con: Conn, keys: KeyRing, user_id: int, supervisor: bool,
                    call_id: uuid.UUID | None, voicemail_id: uuid.UUID | None,
                    bridged_here: BridgedHere) -> Opened:
    bound = await binding.resolve(con, user_id, supervisor, call_id, voicemail_id,
                                  bridged_here=await bridged_here(call_id))
    return Opened(bound, await binding.open_form(con, keys, user_id, bound))


async def discard_draft(con: Conn, user_id: int, call_id: uuid.UUID | None) -> bool:
    """The user's own draft for that call (none: their draft not on any call) deleted, and
    audited; False if there was none."""
    async with con.transaction():
        gone = await drafts.delete(con, user_id, call_id)
        if gone is not None:
            await audit.record(con, user_id, "delete", "draft", gone)
    return gone is not None


async def _bound_call(con: Conn, user_id: int, supervisor: bool, call_id: uuid.UUID | None,
                      voicemail_id: uuid.UUID | None,
                      bridged_here: BridgedHere) -> uuid.UUID | None:
    """The call a form posted is for, checked as when it was opened."""
    bound = await binding.resolve(con, user_id, supervisor, call_id, voicemail_id,
                                  bridged_here=await bridged_here(call_id))
    return bound.call_id


async def save(con: Conn, keys: KeyRing, user_id: int, supervisor: bool, data: FormData,
               bridged_here: BridgedHere) -> intake_save.Saved:
    """The intake form posted; a refusal (Invalid naming each bad field, or Conflict)
    carries the Choices to show the form again with."""
    async with page_on_refusal(lambda: choices(con)):
        form = forms.parse_intake(data, await pick_lists.choices(con))
        form = replace(form, call_id=await _bound_call(con, user_id, supervisor, form.call_id,
                                                       form.voicemail_id, bridged_here))
        return await intake_save.save_intake(con, keys, user_id, form, supervisor=supervisor)


async def save_outcome(con: Conn, keys: KeyRing, user_id: int, supervisor: bool,
                       form: forms.OutcomeForm, bridged_here: BridgedHere) -> bool:
    """A one-click outcome; False if it was already saved (the same click again)."""
    form = replace(form, call_id=await _bound_call(con, user_id, supervisor, form.call_id,
                                                   form.voicemail_id, bridged_here))
    return await intake_save.save_outcome(con, keys, user_id, form)


async def lookup(con: Conn, keys: KeyRing, normalised: str, user_id: int, supervisor: bool,
                 call_id: uuid.UUID | None, bridged_here: BridgedHere, *,
                 with_needs: bool) -> Lookup:
    """The earlier record of an A-number: for a supervisor, anyone's; for an operator,
    only as call_lookup allows for their call. with_needs: the person's needs and family
    contacts too (each audited as viewed)."""
    history = (await person_work.lookup(con, keys, normalised, user_id) if supervisor
               else await call_lookup.lookup(con, keys, normalised, user_id, call_id,
                                             bridged_here=await bridged_here(call_id)))
    needs = []
    if history is not None and with_needs:
        needs = await followup_work.person_needs(con, keys, history.person.id, user_id,
                                                 supervisor)
    return Lookup(history, needs)
