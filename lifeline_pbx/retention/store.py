"""SQL for retention: the settings, what is due of each kind (and what a hold keeps), the
removals, the runs' log and legal holds. Functions take a connection; work.py owns the
transactions. Each removal is two steps, the due ids first, so that a run counts what it
kept for a hold with the same conditions it removes by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from lifeline_pbx.audit.ties import HELD
from lifeline_pbx.crypto import KeyRing, place
from lifeline_pbx.db import Conn
from lifeline_pbx.retention.rules import KINDS, Limits, Removed, kept_back

_HELD_CALL = "coalesce({} IN (SELECT call_id FROM tied_calls), false)"
_HELD_PERSON = "coalesce({} IN (SELECT id FROM tied_persons), false)"


async def limits(con: Conn) -> Limits:
    row = await con.fetchrow("SELECT * FROM retention_settings")
    assert row is not None, "migrations/0022 inserts the one row"
    return Limits(**{k.name: row[f"{k.name}_days"] for k in KINDS})


async def save_limits(con: Conn, new: Limits, user_id: int | None) -> None:
    columns = ", ".join(f"{k.name}_days = ${n}" for n, k in enumerate(KINDS, start=1))
    await con.execute(
        f"UPDATE retention_settings SET {columns}, updated_by = ${len(KINDS) + 1},"
        " updated_at = now()",
        *(new.days(k.name) for k in KINDS), user_id)


@dataclass(frozen=True)
class Due:
    ids: list[object]
    held: int
    excerpts: int = 0  # released excerpts deleted with the narratives (report_excerpts)
    unreviewed: tuple[object, ...] = ()  # voicemails kept (or their audio): not reviewed


async def _due(con: Conn, select: str, cutoff: datetime) -> Due:
    """select names `id` and `held_back` (and `unreviewed`, for messages) and takes the
    cutoff as $1; rules.kept_back says what stays."""
    rows = await con.fetch(f"WITH {HELD} {select}", cutoff)
    why = [kept_back(held=r["held_back"], unreviewed=r.get("unreviewed", False))
           for r in rows]
    kept = list(zip(rows, why, strict=True))
    return Due([r["id"] for r, k in kept if k is None], why.count("hold"),
               unreviewed=tuple(r["id"] for r, k in kept if k == "unreviewed"))


async def remove_drafts(con: Conn, cutoff: datetime) -> Due:
    due = await _due(con, f"""SELECT id, {_HELD_CALL.format('call_id')} AS held_back
                              FROM drafts WHERE updated_at < $1""", cutoff)
    await con.execute("DELETE FROM drafts WHERE id = ANY($1::uuid[])", due.ids)
    return due


async def remove_narratives(con: Conn, cutoff: datetime) -> Due:
    """The sealed narrative cleared, with the report's revisions (each holds it too) and
    its released excerpt (written from it)."""
    due = await _due(con, f"""
        SELECT r.id, {_HELD_PERSON.format('r.person_id')}
                     OR {_HELD_PERSON.format('i.person_id')} AS held_back
          FROM reports r LEFT JOIN intakes i ON i.id = r.intake_id
         WHERE r.created_at < $1 AND r.narrative IS NOT NULL""", cutoff)
    await con.execute("""UPDATE reports SET narrative = NULL, narrative_removed_at = now()
                         WHERE id = ANY($1::uuid[])""", due.ids)
    await con.execute("""DELETE FROM record_revisions
                         WHERE entity = 'report' AND entity_id = ANY($1::uuid[])""", due.ids)
    excerpts = await con.fetch("""DELETE FROM report_excerpts
                                  WHERE report_id = ANY($1::uuid[]) RETURNING report_id""",
                               due.ids)
    return Due(due.ids, due.held, len(excerpts))


async def remove_recordings(con: Conn, cutoff: datetime) -> Due:
    """Audio in the vault and no longer on the PBX (the vault deletes it there first):
    voicemail messages' and recorded calls'. The rows stay, without sound."""
    voicemail = await _due(con, f"""
        SELECT a.voicemail_id AS id, {_HELD_CALL.format('v.call_id')} AS held_back,
               v.reviewed_at IS NULL AS unreviewed
          FROM voicemail_audio a JOIN voicemails v ON v.id = a.voicemail_id
         WHERE v.created_at < $1 AND a.bytes > 0 AND a.removed_at IS NOT NULL""", cutoff)
    await con.execute("""UPDATE voicemail_audio SET audio = '', bytes = 0, expired_at = now()
                         WHERE voicemail_id = ANY($1::uuid[])""", voicemail.ids)
    calls = await _due(con, f"""
        SELECT r.id, {_HELD_CALL.format('r.call_id')} AS held_back FROM call_recordings r
         WHERE r.started_at < $1 AND r.audio IS NOT NULL AND r.removed_at IS NOT NULL""",
                       cutoff)
    await con.execute("""UPDATE call_recordings SET audio = NULL, expired_at = now()
                         WHERE id = ANY($1::uuid[])""", calls.ids)
    return Due(voicemail.ids + calls.ids, voicemail.held + calls.held,
               unreviewed=voicemail.unreviewed)


async def remove_voicemails(con: Conn, cutoff: datetime) -> Due:
    """Voicemails the vault is done with (no copy left on the PBX), with their audio; once
    reviewed."""
    due = await _due(con, f"""
        SELECT v.id, {_HELD_CALL.format('v.call_id')} AS held_back,
               v.reviewed_at IS NULL AS unreviewed
          FROM voicemails v JOIN voicemail_audio a ON a.voicemail_id = v.id
         WHERE v.created_at < $1 AND a.removed_at IS NOT NULL""", cutoff)
    await con.execute("DELETE FROM voicemail_audio WHERE voicemail_id = ANY($1::uuid[])", due.ids)
    await con.execute("DELETE FROM voicemails WHERE id = ANY($1::uuid[])", due.ids)
    return due


async def remove_calls(con: Conn, cutoff: datetime) -> Due:
    """Ended calls that no voicemail or draft refers to, and none of whose recordings is
    still on the PBX (the vault would lose track of the file); their timeline, lookups and
    recordings go with them (ON DELETE CASCADE), intakes and queue statistics stay without
    the link."""
    due = await _due(con, f"""
        SELECT c.id, {_HELD_CALL.format('c.id')} AS held_back FROM calls c
         WHERE c.started_at < $1 AND c.ended_at IS NOT NULL
           AND NOT EXISTS (SELECT FROM voicemails v WHERE v.call_id = c.id)
           AND NOT EXISTS (SELECT FROM drafts d WHERE d.call_id = c.id)
           AND NOT EXISTS (SELECT FROM call_recordings r
                            WHERE r.call_id = c.id AND r.removed_at IS NULL)""", cutoff)
    await con.execute("UPDATE intakes SET call_id = NULL WHERE call_id = ANY($1::uuid[])",
                      due.ids)
    await con.execute("UPDATE queue_events SET call_id = NULL WHERE call_id = ANY($1::uuid[])",
                      due.ids)
    await con.execute("DELETE FROM calls WHERE id = ANY($1::uuid[])", due.ids)
    return due


async def unreviewed_past(con: Conn, cutoff: datetime) -> int:
    """Voicemails written before the cutoff that nobody has reviewed: retention keeps them."""
    found: int = await con.fetchval(
        "SELECT count(*) FROM voicemails WHERE reviewed_at IS NULL AND created_at < $1", cutoff)
    return found


async def remove_audit_entries(con: Conn, cutoff: datetime) -> int:
    """The oldest entries before cutoff, up to the first one tied to a person on hold
    (migrations/0022 audit_log_remove_before verifies them and leaves a checkpoint)."""
    keep_from = await con.fetchval(
        f"""WITH {HELD} SELECT min(a.chain_seq) FROM audit_log a
              JOIN tied_records t ON (t.entity, t.entity_id) = (a.entity, a.entity_id)""")
    removed: int = await con.fetchval("SELECT audit_log_remove_before($1, $2)",
                                      cutoff, keep_from)
    return removed


_RUN_LOCK = int.from_bytes(b"LIFERETN", "big") - (1 << 63)  # one run at a time


async def try_run_lock(con: Conn) -> bool:
    """Held to the end of the transaction; False while another run holds it."""
    return bool(await con.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RUN_LOCK))


async def last_run(con: Conn, source: str) -> datetime | None:
    value: datetime | None = await con.fetchval(
        "SELECT max(started_at) FROM retention_runs WHERE source = $1", source)
    return value


async def record_run(con: Conn, started_at: datetime, source: str, removed: Removed) -> int:
    counts = removed.as_dict()
    names = list(counts)
    run_id: int = await con.fetchval(
        f"""INSERT INTO retention_runs (started_at, source, {", ".join(names)})
            VALUES ($1, $2, {", ".join(f"${n}" for n in range(3, len(names) + 3))})
            RETURNING id""",
        started_at, source, *counts.values())
    return run_id


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime
    source: str
    removed: Removed


async def runs(con: Conn, limit: int = 30) -> list[Run]:
    rows = await con.fetch("SELECT * FROM retention_runs ORDER BY id DESC LIMIT $1", limit)
    return [_run(r) for r in rows]


def _run(r: asyncpg.Record) -> Run:
    return Run(r["id"], r["started_at"], r["finished_at"], r["source"],
               Removed(**{name: r[name] for name in Removed().as_dict()}))


# Legal holds: the reasons sealed at place("legal_holds", column, the hold's id)


@dataclass(frozen=True)
class Hold:
    id: int
    person_id: uuid.UUID
    placed_by: str
    placed_at: datetime
    reason: str | None  # None: placed before reasons were asked (migrations/0040)
    released_by: str
    released_at: datetime | None
    release_reason: str | None


def _opened(keys: KeyRing, row: asyncpg.Record, column: str) -> str | None:
    sealed = row[column]
    return None if sealed is None else keys.open(sealed, place("legal_holds", column, row["id"]))


def _hold(keys: KeyRing, row: asyncpg.Record) -> Hold:
    return Hold(row["id"], row["person_id"], row["placed_by"], row["placed_at"],
                _opened(keys, row, "reason"), row["released_by"], row["released_at"],
                _opened(keys, row, "release_reason"))


_HOLDS = """SELECT h.id, h.person_id, p.display_name AS placed_by, h.placed_at, h.reason,
                   coalesce(r.display_name, '') AS released_by, h.released_at, h.release_reason
              FROM legal_holds h JOIN users p ON p.id = h.placed_by
              LEFT JOIN users r ON r.id = h.released_by"""


async def in_force(con: Conn, keys: KeyRing, person_id: uuid.UUID) -> list[Hold]:
    """The person's holds in force, oldest first; reasons opened."""
    rows = await con.fetch(
        f"""{_HOLDS} WHERE h.person_id = $1 AND h.released_at IS NULL
            ORDER BY h.placed_at, h.id""", person_id)
    return [_hold(keys, r) for r in rows]


async def others_in_force(con: Conn, person_id: uuid.UUID, hold_id: int) -> int:
    """How many of the person's holds besides that one are in force."""
    others: int = await con.fetchval(
        """SELECT count(*) FROM legal_holds
            WHERE person_id = $1 AND released_at IS NULL AND id <> $2""", person_id, hold_id)
    return others


async def hold(con: Conn, keys: KeyRing, hold_id: int) -> Hold | None:
    """One hold, its reasons opened."""
    row = await con.fetchrow(f"{_HOLDS} WHERE h.id = $1", hold_id)
    return None if row is None else _hold(keys, row)


async def place_hold(con: Conn, keys: KeyRing, person_id: uuid.UUID, user_id: int,
                     reason: str, form_key: uuid.UUID) -> int | None:
    """A new hold, beside any in force; its id, or None when that form placed one already.
    The reason is sealed once the row has its id (its place names it)."""
    hold_id: int | None = await con.fetchval(
        """INSERT INTO legal_holds (person_id, placed_by, form_key) VALUES ($1, $2, $3)
           ON CONFLICT (form_key) DO NOTHING RETURNING id""",
        person_id, user_id, form_key)
    if hold_id is not None:
        await con.execute("UPDATE legal_holds SET reason = $2 WHERE id = $1", hold_id,
                          keys.seal(reason, place("legal_holds", "reason", hold_id)))
    return hold_id


async def person_of_form(con: Conn, form_key: uuid.UUID) -> uuid.UUID | None:
    """The person on whom that form placed its hold."""
    person_id: uuid.UUID | None = await con.fetchval(
        "SELECT person_id FROM legal_holds WHERE form_key = $1", form_key)
    return person_id


async def release_hold(con: Conn, keys: KeyRing, hold_id: int, user_id: int,
                       reason: str) -> bool:
    """False when the hold was released already (or is no more)."""
    released = await con.fetchval(
        """UPDATE legal_holds SET released_by = $2, released_at = now(), release_reason = $3
           WHERE id = $1 AND released_at IS NULL RETURNING id""",
        hold_id, user_id, keys.seal(reason, place("legal_holds", "release_reason", hold_id)))
    return released is not None


async def holds(con: Conn, keys: KeyRing, limit: int = 200) -> list[Hold]:
    """Holds in force first, then the released ones, newest first; reasons opened."""
    rows = await con.fetch(
        f"""{_HOLDS} ORDER BY h.released_at IS NOT NULL, coalesce(h.released_at, h.placed_at) DESC
            LIMIT $1""", limit)
    return [_hold(keys, r) for r in rows]
