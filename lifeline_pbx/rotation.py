"""`lifeline keys rotate`: reseal every sealed field under the first data key, and recompute
the A-number lookup hashes and the people's search tokens under the current lookup key.

Runs in batches, one transaction each, while the hotline keeps running: a row is readable
under the old or the new key at every moment, as long as both keys are configured.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import asyncpg

from lifeline_pbx import crypto
from lifeline_pbx.cases import search_tokens, token_store
from lifeline_pbx.db import Conn

log = logging.getLogger(__name__)
BATCH = 500

# table -> sealed columns. Row ids are the `id` column (or the one ROW_IDS names); places
# are crypto.place(table, col, row id).
SEALED: dict[str, tuple[str, ...]] = {
    "users": ("totp_secret",),
    "persons": ("a_number", "names", "date_of_birth"),
    "intakes": ("needs_note", "family_contact"),
    "follow_up_notes": ("body",),
    "reports": ("narrative",),
    "report_excerpts": ("excerpt",),
    "follow_ups": ("what",),
    "drafts": ("body",),
    "record_revisions": ("content",),
    "person_proposals": ("content",),
    "outbound_legs": ("number",),
    "legal_holds": ("reason", "release_reason"),
    "voicemails": ("review_note",),
}
ROW_IDS = {"report_excerpts": "report_id"}
INTEGER_IDS = {"users", "legal_holds"}  # the others' row ids are uuids


def row_id(table: str) -> str:
    """The column that identifies a row of a sealed table (its places name it)."""
    return ROW_IDS.get(table, "id")


@dataclass
class Counts:
    rows: int = 0
    resealed: int = 0
    rehashed: int = 0


AUDIO_BATCH = 10  # recorded audio is megabytes a row
# The sealed audio tables, with the column their places name (crypto.place(table, 'audio',
# that column)); a row without sound (missing, expired) holds none to reseal.
AUDIO = {"voicemail_audio": "voicemail_id", "call_recordings": "id"}


def summary(counts: dict[str, Counts], primary: str) -> list[str]:
    """What `lifeline keys rotate` prints: a table aligned on the longest table name, then
    what to do with the old keys (backups made before the rotation still need them)."""
    tables = {t: c for t, c in counts.items() if t != "person_search_tokens"}
    width = max(len(t) for t in [*tables, "table"])
    lines = [f"{'table':{width}}  {'rows':>7}  {'resealed':>8}"]
    lines += [f"{table:{width}}  {c.rows:7d}  {c.resealed:8d}"
              + (f"  ({c.rehashed} lookup hashes)" if table == "persons" else "")
              for table, c in tables.items()]
    tokens = counts.get("person_search_tokens")
    if tokens is not None:
        lines.append(f"search tokens: {tokens.rows} people, {tokens.rehashed} rebuilt")
    lines.append(f"every sealed field is now under key {primary!r}: remove the older keys "
                 "from data_keys and restart")
    lines.append("keep the older keys offline for as long as you keep a backup made before "
                 "this rotation (it needs them); take a new backup now (lifeline backup)")
    return lines


async def rotate(con: Conn, keys: crypto.KeyRing) -> dict[str, Counts]:
    counts = {table: await _table(con, keys, table, columns) for table, columns in SEALED.items()}
    counts.update({table: await _audio(con, keys, table) for table in AUDIO})
    counts["person_search_tokens"] = await _search_tokens(con, keys)
    return counts


async def _search_tokens(con: Conn, keys: crypto.KeyRing) -> Counts:
    """Each unmerged person's tokens made again under the current key (old ones removed);
    merged records keep none. `rehashed` counts the people whose tokens changed."""
    counts = Counts()
    await con.execute("""DELETE FROM person_search_tokens t USING persons p
                         WHERE p.id = t.person_id AND p.merged_into IS NOT NULL""")
    last = uuid.UUID(int=0)
    while True:
        async with con.transaction():
            rows = await con.fetch(
                f"""SELECT p.id, p.names, p.date_of_birth,
                           coalesce((SELECT array_agg(t.token) FROM person_search_tokens t
                                     WHERE t.person_id = p.id), '{{}}') AS tokens
                    FROM persons p WHERE p.id > $1 AND p.merged_into IS NULL
                    ORDER BY p.id LIMIT {BATCH} FOR UPDATE OF p""",
                last,
            )
            for row in rows:
                pid = row["id"]
                names = keys.open_json(row["names"], crypto.place("persons", "names", pid))
                dob = None if row["date_of_birth"] is None else dt.date.fromisoformat(
                    keys.open(row["date_of_birth"], crypto.place("persons", "date_of_birth",
                                                                 pid)))
                if search_tokens.person_tokens(keys, names, dob) != set(map(bytes,
                                                                           row["tokens"])):
                    await token_store.set_tokens(con, keys, pid, names, dob)
                    counts.rehashed += 1
        if not rows:
            return counts
        last = rows[-1]["id"]
        counts.rows += len(rows)


async def _audio(con: Conn, keys: crypto.KeyRing, table: str) -> Counts:
    counts = Counts()
    key = AUDIO[table]
    last = uuid.UUID(int=0)
    while True:
        async with con.transaction():
            rows = await con.fetch(
                f"""SELECT {key} AS id, audio FROM {table}
                    WHERE {key} > $1 AND bytes > 0 AND audio IS NOT NULL
                    ORDER BY {key} LIMIT {AUDIO_BATCH} FOR UPDATE""",
                last,
            )
            for row in rows:
                sealed, row_id = bytes(row["audio"]), row["id"]
                if keys.key_id(sealed) == keys.primary:
                    continue
                where = crypto.place(table, "audio", row_id)
                await con.execute(f"UPDATE {table} SET audio = $2 WHERE {key} = $1",
                                  row_id, keys.seal_bytes(keys.open_bytes(sealed, where), where))
                counts.resealed += 1
        if not rows:
            return counts
        last = rows[-1]["id"]
        counts.rows += len(rows)


async def _table(con: Conn, keys: crypto.KeyRing, table: str, columns: tuple[str, ...]) -> Counts:
    counts = Counts()
    last: object = 0 if table in INTEGER_IDS else uuid.UUID(int=0)
    while True:
        async with con.transaction():
            key = row_id(table)
            rows = await con.fetch(
                f"""SELECT {key} AS id, {", ".join(columns)} FROM {table} WHERE {key} > $1
                    ORDER BY {key} LIMIT {BATCH} FOR UPDATE""",
                last,
            )
            for row in rows:
                await _row(con, keys, table, columns, row, counts)
        if not rows:
            return counts
        last = rows[-1]["id"]
        counts.rows += len(rows)


async def _row(con: Conn, keys: crypto.KeyRing, table: str, columns: tuple[str, ...],
               row: asyncpg.Record, counts: Counts) -> None:
    rid = row["id"]
    changes: dict[str, bytes] = {}
    for col in columns:
        sealed = row[col]
        if sealed is None:
            continue
        place = crypto.place(table, col, rid)
        plain = keys.open(bytes(sealed), place)
        if keys.key_id(bytes(sealed)) != keys.primary:
            changes[col] = keys.seal(plain, place)
        if table == "persons" and col == "a_number":
            lookup = keys.lookup(plain)
            await con.execute("UPDATE persons SET a_number_key = $2 WHERE id = $1 "
                              "AND a_number_key IS DISTINCT FROM $2", rid, lookup)
            counts.rehashed += 1
    if changes:
        sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(changes, 2))
        await con.execute(f"UPDATE {table} SET {sets} WHERE {row_id(table)} = $1", rid,
                          *changes.values())
        counts.resealed += 1
