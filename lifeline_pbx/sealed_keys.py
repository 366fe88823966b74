"""Which data keys the sealed values in the database were sealed with: ids and counts only.

A backup's manifest names them (the keys to keep beside it) and `lifeline doctor` checks
that every one is configured. The key id sits in clear in each sealed value (crypto.py:
format byte, id length, id), so this reads no key and opens nothing.
"""

from __future__ import annotations

from lifeline_pbx.db import Conn
from lifeline_pbx.rotation import SEALED

# Every sealed column, voicemail audio included (empty audio: Asterisk had none).
COLUMNS: tuple[tuple[str, str], ...] = (
    *((table, column) for table, columns in SEALED.items() for column in columns),
    ("voicemail_audio", "audio"),
)


def _query(columns: tuple[tuple[str, str], ...]) -> str:
    parts = [
        f"""SELECT convert_from(substring({column} FROM 3 FOR get_byte({column}, 1)), 'UTF8')
                   AS key_id FROM {table} WHERE octet_length({column}) > 2"""
        for table, column in columns
    ]
    return ("SELECT key_id, count(*) AS values FROM (" + " UNION ALL ".join(parts)
            + ") sealed GROUP BY key_id ORDER BY key_id")


async def in_use(con: Conn) -> dict[str, int]:
    """Key id -> how many sealed values name it."""
    return {row["key_id"]: row["values"] for row in await con.fetch(_query(COLUMNS))}
