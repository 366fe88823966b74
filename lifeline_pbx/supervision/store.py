"""What the live queue view reads from PostgreSQL that the distributor's picture lacks."""

from __future__ import annotations

from dataclasses import dataclass, field

from lifeline_pbx.db import Conn

_QUEUE_NAMES_SQL = "SELECT id, name FROM queues"
_LINE_NAMES_SQL = "SELECT did, name FROM lines"
_PAUSE_REASONS_SQL = """
    SELECT o.sip_username, s.pause_reason FROM operator_status s
    JOIN operators o ON o.id = s.operator_id
    WHERE s.paused AND s.pause_reason <> ''
"""


@dataclass(frozen=True)
class Labels:
    queue_names: dict[int, str]
    pause_reasons: dict[str, str]  # by SIP username, for paused operators
    line_names: dict[str, str] = field(default_factory=dict)  # by DID


async def labels(con: Conn) -> Labels:
    names = await con.fetch(_QUEUE_NAMES_SQL)
    reasons = await con.fetch(_PAUSE_REASONS_SQL)
    lines = await con.fetch(_LINE_NAMES_SQL)
    return Labels(
        queue_names={r["id"]: r["name"] for r in names},
        pause_reasons={r["sip_username"]: r["pause_reason"] for r in reasons},
        line_names={r["did"]: r["name"] for r in lines},
    )
