"""Retention's decisions, without I/O: the limits an admin may set, what they make due at a
given moment, and when the scheduled run is due again.

A limit is a whole number of days, or none (kept for ever). A record is due once it is
older than its limit: written strictly before `now - days`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Literal

from lifeline_pbx.errors import Invalid

MAX_DAYS = 36500
RUN_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Kind:
    name: str  # the form field, the settings column (name + "_days") and the run's count
    label: str
    floor: int  # the fewest days an admin may choose (migrations/0022 repeats them)
    means: str


KINDS = (
    Kind("call_records", "Call records", 30,
         "calls with their timeline, lookups and recordings, once no voicemail or draft "
         "refers to them; intakes stay, without the link to the call"),
    Kind("recordings", "Recordings", 7,
         "voicemail audio (once the message is reviewed) and recorded calls' audio; the "
         "voicemail and the call stay (facility, time, language) without sound"),
    Kind("voicemails", "Voicemails", 30,
         "the voicemail with its audio, once a person has reviewed it"),
    Kind("drafts", "Drafts", 1, "intake forms saved while typing and never finished"),
    Kind("narratives", "Narratives", 365,
         "a report's narrative and its earlier versions; facility, category, severity and "
         "dates stay for the statistics"),
    Kind("audit_entries", "Audit entries", 365,
         "the oldest audit entries; a checkpoint keeps the hash chain verifiable"),
)


@dataclass(frozen=True)
class Limits:
    """Days each kind is kept; None: for ever."""

    call_records: int | None = None
    recordings: int | None = None
    voicemails: int | None = None
    drafts: int | None = None
    narratives: int | None = None
    audit_entries: int | None = None

    def days(self, kind: str) -> int | None:
        value: int | None = getattr(self, kind)
        return value


@dataclass(frozen=True)
class Cutoffs:
    """For each kind, the moment before which a record is due (None: nothing is)."""

    call_records: datetime | None = None
    recordings: datetime | None = None
    voicemails: datetime | None = None
    drafts: datetime | None = None
    narratives: datetime | None = None
    audit_entries: datetime | None = None


@dataclass(frozen=True)
class Removed:
    """What one run removed (or would remove), by kind; `held`: due but kept for a hold."""

    call_records: int = 0
    recordings: int = 0
    voicemails: int = 0
    drafts: int = 0
    narratives: int = 0
    audit_entries: int = 0
    held: int = 0
    excerpts: int = 0  # released excerpts, deleted with their report's narrative
    unreviewed: int = 0  # due but kept: voicemails (and their audio) nobody has reviewed

    def kinds(self) -> list[str]:
        """The kinds of which something was removed (and excerpts, with the narratives)."""
        return [k.name for k in KINDS if getattr(self, k.name)] + (
            ["excerpts"] if self.excerpts else [])

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_limits(form: Mapping[str, str]) -> Limits:
    """The limits a settings form gives: blank keeps for ever; each problem named by its
    field. Recordings cannot be kept longer than their voicemails (blank: they go with them)."""
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for kind in KINDS:
        raw = form.get(kind.name, "").strip()
        if not raw:
            values[kind.name] = None
            continue
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
            errors[kind.name] = f"{kind.label}: give a whole number of days, or leave it blank."
            continue
        days = int(raw)
        if not kind.floor <= days <= MAX_DAYS:
            errors[kind.name] = (f"{kind.label}: from {kind.floor} to {MAX_DAYS} days, "
                                 "or blank to keep them.")
            continue
        values[kind.name] = days
    recordings, voicemails = values.get("recordings"), values.get("voicemails")
    if recordings is not None and voicemails is not None and recordings > voicemails:
        errors["recordings"] = ("Recordings: at most as long as voicemails "
                                f"({voicemails} days), since a voicemail goes with its audio.")
    if errors:
        raise Invalid(errors)
    return Limits(**values)


def changed(old: Limits, new: Limits) -> list[str]:
    return [k.name for k in KINDS if old.days(k.name) != new.days(k.name)]


def cutoffs(limits: Limits, now: datetime) -> Cutoffs:
    def before(days: int | None) -> datetime | None:
        return None if days is None else now - timedelta(days=days)

    return Cutoffs(**{k.name: before(limits.days(k.name)) for k in KINDS})


Kept = Literal["hold", "unreviewed"]


def kept_back(*, held: bool, unreviewed: bool) -> Kept | None:
    """Why a record past its limit stays: tied to a person on legal hold, or a voicemail
    (or its audio) that no person has reviewed yet: removing it would lose a message
    nobody heard. None: it goes."""
    if held:
        return "hold"
    return "unreviewed" if unreviewed else None


def due(written: datetime, cutoff: datetime | None, *, held: bool = False,
        unreviewed: bool = False) -> bool:
    """Whether a record written then is removed by a run with this cutoff."""
    return (cutoff is not None and written < cutoff
            and kept_back(held=held, unreviewed=unreviewed) is None)


def message_cutoff(cut: Cutoffs) -> datetime | None:
    """Before when a voicemail loses something (its audio, or itself): the later of the
    two cutoffs set (recordings are kept no longer than voicemails)."""
    set_ = [c for c in (cut.recordings, cut.voicemails) if c is not None]
    return max(set_) if set_ else None


def run_is_due(last_run: datetime | None, now: datetime, every: timedelta = RUN_EVERY) -> bool:
    """The scheduled run: once every `every`, the first at once."""
    return last_run is None or now - last_run >= every


# Legal holds

REASON_MAX = 500  # characters in a hold's reason, and in its release's


def parse_reason(form: Mapping[str, str], field: str, missing: str) -> str:
    """A hold's reason (or its release's) as typed, trimmed; `missing` says what to give."""
    reason = form.get(field, "").strip()
    if not reason:
        raise Invalid(missing, field)
    if len(reason) > REASON_MAX:
        raise Invalid(f"At most {REASON_MAX} characters (this one has {len(reason)}): "
                      "shorten it.", field)
    return reason


def after_release(limits: Limits) -> list[str]:
    """What a run may remove of a person's records once their hold is released: each kind
    with a limit, as "<Kind> older than N days (<what goes>)". None: nothing is removed."""
    return [f"{k.label} older than {limits.days(k.name)} days ({k.means})"
            for k in KINDS if limits.days(k.name) is not None]
