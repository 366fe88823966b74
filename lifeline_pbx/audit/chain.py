"""The audit log's hash chain, recomputed here rather than trusted from the database.

The encoding is migrations/0008's audit_entry_hash: a version line, then every value as
"<UTF-8 length>:<value>" (chain number, id, time in microseconds since 1970, user id or
nothing, action, entity, entity id, the number of fields, each field); the entry's hash is
SHA-256 of the previous entry's hash followed by that encoding. The first entry follows 32
zero bytes; once retention has removed the oldest entries, the first entry kept follows the
last checkpoint (migrations/0022: the chain number and hash of the last entry removed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from lifeline_pbx.db import Conn

GENESIS = bytes(32)
UNCHAINED = 0  # the chain number shown for an entry never linked into the chain
_VERSION = b"lifeline-audit-v1\n"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHAIN_LOCK_KEY = int.from_bytes(b"LIFEAUDT", "big")  # the advisory lock the trigger takes


@dataclass(frozen=True)
class Entry:
    seq: int
    id: int
    at: datetime
    user_id: int | None
    action: str
    entity: str
    entity_id: str
    fields: tuple[str, ...]
    prev_hash: bytes
    entry_hash: bytes


@dataclass(frozen=True)
class Checkpoint:
    """Where the chain starts after retention removed entries 1..seq: the hash of entry seq."""

    seq: int
    entry_hash: bytes
    made_at: datetime


@dataclass(frozen=True)
class Verdict:
    """How far the chain held: `verified` entries in order (after `checkpoint`, if entries
    were removed), then `broken` (None if none)."""

    verified: int
    last_good: Entry | None
    broken: Entry | None = None
    reason: str = ""
    checkpoint: Checkpoint | None = None


def _value(text: str) -> bytes:
    data = text.encode()
    return str(len(data)).encode() + b":" + data


def entry_hash(prev_hash: bytes, entry: Entry) -> bytes:
    micros = (entry.at - _EPOCH) // timedelta(microseconds=1)
    values = [
        str(entry.seq), str(entry.id), str(micros),
        "" if entry.user_id is None else str(entry.user_id),
        entry.action, entry.entity, entry.entity_id, str(len(entry.fields)), *entry.fields,
    ]
    return hashlib.sha256(prev_hash + _VERSION + b"".join(map(_value, values))).digest()


def problem(before: Entry | Checkpoint | None, entry: Entry) -> str:
    """What is wrong with entry, given the entry before it in the chain (a checkpoint: the
    last one retention removed; None: it is the first); "" when nothing is."""
    if entry.seq == UNCHAINED:
        return "it was never linked into the chain (written with the chain's trigger off)"
    expected = 1 if before is None else before.seq + 1
    if entry.seq > expected:
        missing = str(expected) if entry.seq == expected + 1 else f"{expected}-{entry.seq - 1}"
        return f"entry {missing} before it is missing (deleted)"
    if entry.seq < expected:
        return f"its chain number repeats or goes back (expected {expected})"
    if entry.prev_hash != (GENESIS if before is None else before.entry_hash):
        if before is None:
            return "it is the first entry but does not start the chain"
        if isinstance(before, Checkpoint):
            return f"it does not follow the retention checkpoint (entry {before.seq})"
        return f"entry {before.seq} before it was changed or replaced"
    if entry.entry_hash != entry_hash(entry.prev_hash, entry):
        return "its contents do not match its hash (changed after it was written)"
    return ""


# Entries are linked as their transaction commits (migrations/0017); one that a committed
# transaction left without a link comes last, and is named.
_ENTRIES = f"""
SELECT coalesce(chain_seq, {UNCHAINED}) AS chain_seq, id, at, user_id, action, entity,
       entity_id, fields, coalesce(prev_hash, ''::bytea) AS prev_hash,
       coalesce(entry_hash, ''::bytea) AS entry_hash
  FROM audit_log ORDER BY audit_log.chain_seq NULLS LAST, id
"""


_CHECKPOINT = """SELECT through_seq, through_hash, made_at FROM audit_checkpoints
                  ORDER BY through_seq DESC LIMIT 1"""


def _entry(row: asyncpg.Record) -> Entry:
    return Entry(row["chain_seq"], row["id"], row["at"], row["user_id"], row["action"],
                 row["entity"], row["entity_id"], tuple(row["fields"]), bytes(row["prev_hash"]),
                 bytes(row["entry_hash"]))


async def verify(con: Conn) -> Verdict:
    """Walk the whole chain in one snapshot, from the last checkpoint; stop at the first
    broken entry."""
    verified = 0
    async with con.transaction(isolation="repeatable_read", readonly=True):
        row = await con.fetchrow(_CHECKPOINT)
        start = None if row is None else Checkpoint(
            row["through_seq"], bytes(row["through_hash"]), row["made_at"])
        before: Entry | Checkpoint | None = start
        last: Entry | None = None
        async for row in con.cursor(_ENTRIES, prefetch=1000):
            entry = _entry(row)
            reason = problem(before, entry)
            if reason:
                return Verdict(verified, last, entry, reason, start)
            before = last = entry
            verified += 1
    return Verdict(verified, last, checkpoint=start)


def describe(verdict: Verdict) -> str:
    """One line for the operator; an intact chain ends with the last hash, worth writing
    down elsewhere now and then: only such a copy shows that the newest entries were cut."""
    removed = "" if verdict.checkpoint is None else (
        f" (entries 1-{verdict.checkpoint.seq} removed by retention; the chain starts from "
        f"their checkpoint, hash {verdict.checkpoint.entry_hash.hex()})")
    if verdict.broken is not None:
        entry = verdict.broken
        name = "unlinked entry" if entry.seq == UNCHAINED else f"entry {entry.seq}"
        return (f"audit log: {name} (id {entry.id}, written "
                f"{entry.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC) is broken: {verdict.reason}; "
                f"{verdict.verified} entries before it verified{removed}")
    if verdict.last_good is None:
        return "audit log: empty, nothing to verify" + removed
    last = verdict.last_good
    return (f"audit log: {verdict.verified} entries verified; the last is entry {last.seq}, "
            f"hash {last.entry_hash.hex()}{removed}")
