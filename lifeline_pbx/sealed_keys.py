"""Which data keys the sealed values in the database were sealed with: ids and counts only.

A backup's manifest names them (the keys to keep beside it) and `lifeline doctor` checks
that every one is configured. The key id sits in clear in each sealed value (crypto.py:
format byte, id length, id), so this reads no key and opens nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from lifeline_pbx.crypto import place
from lifeline_pbx.db import Conn
from lifeline_pbx.rotation import AUDIO, SEALED, row_id

# Every sealed column, recorded audio included (none: missing on the PBX, or expired).
COLUMNS: tuple[tuple[str, str], ...] = (
    *((table, column) for table, columns in SEALED.items() for column in columns),
    *((table, "audio") for table in AUDIO),
)


def _query(columns: tuple[tuple[str, str], ...]) -> str:
    # From each value's first bytes only (the id is at most 255): get_byte on the whole
    # value reads all of it, megabytes of audio a row, where a slice reads one TOAST chunk.
    parts = [
        f"""SELECT convert_from(substring(head FROM 3 FOR get_byte(head, 1)), 'UTF8') AS key_id
              FROM (SELECT substring({column} FROM 1 FOR 257) AS head FROM {table}
                     WHERE octet_length({column}) > 2) {table}_{column}"""
        for table, column in columns
    ]
    return ("SELECT key_id, count(*) AS values FROM (" + " UNION ALL ".join(parts)
            + ") sealed GROUP BY key_id ORDER BY key_id")


async def in_use(con: Conn) -> dict[str, int]:
    """Key id -> how many sealed values name it."""
    return {row["key_id"]: row["values"] for row in await con.fetch(_query(COLUMNS))}


def missing(in_use: Mapping[str, int], configured: Collection[str]) -> list[str]:
    """The key ids sealed values name (key id -> how many) and data_keys lacks, in order:
    what `lifeline serve`'s start and doctor both say cannot be opened."""
    return sorted(set(in_use) - set(configured))


@dataclass(frozen=True)
class Sample:
    """One sealed value under a key id, with its place (to try opening it)."""

    key_id: str
    place: str
    value: bytes


async def samples(con: Conn) -> list[Sample]:
    """A sealed value for each key id in each sealed column (not the audio: megabytes)."""
    found = []
    for table, column in COLUMNS:
        if table in AUDIO:
            continue
        rows = await con.fetch(
            f"""SELECT DISTINCT ON (key_id) key_id, id::text AS row_id, value FROM (
                    SELECT convert_from(substring({column} FROM 3 FOR get_byte({column}, 1)),
                                        'UTF8') AS key_id, {row_id(table)} AS id,
                           {column} AS value
                      FROM {table} WHERE octet_length({column}) > 2) sealed
                ORDER BY key_id""")
        found += [Sample(r["key_id"], place(table, column, r["row_id"]), bytes(r["value"]))
                  for r in rows]
    return found


async def a_person(con: Conn, key_ids: list[str]) -> tuple[str, bytes, bytes] | None:
    """A person's place, sealed A-number and lookup hash: does the lookup key find them?
    One whose A-number is sealed under one of key_ids, if there is one."""
    row = await con.fetchrow(
        """SELECT id::text AS id, a_number, a_number_key FROM persons
            WHERE merged_into IS NULL
            ORDER BY CASE WHEN octet_length(a_number) > 2 THEN convert_from(substring(
                     a_number FROM 3 FOR get_byte(a_number, 1)), 'UTF8') END = ANY($1)
                     DESC NULLS LAST
            LIMIT 1""", key_ids)
    if row is None:
        return None
    return (place("persons", "a_number", row["id"]), bytes(row["a_number"]),
            bytes(row["a_number_key"]))
