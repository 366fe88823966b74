"""SQL for sign-in attempts (login_attempts, kept as evidence) and their throttling
counters (login_counters). The decisions are throttle.py's; this module makes them atomic.

`reserve` locks the attempt's counter rows (INSERT ... ON CONFLICT DO UPDATE takes the row
lock and returns the row), decides, counts the attempt and records it, in one short
transaction before any password hash runs: of N simultaneous guesses, no more are checked
than the counters allow. `settle` records the result once the hash has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from lifeline_pbx.accounts import throttle
from lifeline_pbx.db import Conn

Step = Literal["password", "code"]
KEEP = timedelta(days=30)  # sign-in history kept for review, then dropped


@dataclass(frozen=True)
class Ticket:
    attempt_id: int
    verdict: throttle.Verdict
    username: str
    counted: tuple[tuple[throttle.Kind, str], ...]  # the counters it was counted on


def counters_for(
    username: str, address: str, device_id: int | None
) -> tuple[tuple[throttle.Kind, str], ...]:
    if device_id is not None:
        return (("device", str(device_id)),)
    return (("account", username), ("address", throttle.address_key(address)))


async def _locked_counter(con: Conn, kind: throttle.Kind, key: str) -> throttle.Counter:
    row = await con.fetchrow(
        """INSERT INTO login_counters (kind, key) VALUES ($1, $2)
           ON CONFLICT (kind, key) DO UPDATE SET kind = EXCLUDED.kind
           RETURNING failures, last_attempt_at""",
        kind, key,
    )
    assert row is not None
    return throttle.Counter(row["failures"], row["last_attempt_at"])


async def reserve(
    con: Conn, username: str, address: str, device_id: int | None, step: Step
) -> Ticket:
    """Decide and, if allowed, count the attempt as a failure until it is settled."""
    counted = counters_for(username, address, device_id)
    async with con.transaction():
        # Always locked in the order of `counted` (account before address): no deadlock.
        counters = [(kind, await _locked_counter(con, kind, key)) for kind, key in counted]
        now = datetime.now(UTC)
        verdict = throttle.decide(counters, now)
        if verdict.allowed:
            for (kind, key), (_, counter) in zip(counted, counters, strict=True):
                new = throttle.reserved(kind, counter, now)
                await con.execute(
                    """UPDATE login_counters SET failures = $3, last_attempt_at = $4
                       WHERE kind = $1 AND key = $2""",
                    kind, key, new.failures, new.last_attempt_at,
                )
        attempt_id: int = await con.fetchval(
            """INSERT INTO login_attempts (at, username, address, step, known_device, outcome)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            now, username, address, step, device_id is not None,
            "checking" if verdict.allowed else "held",
        )
    return Ticket(attempt_id, verdict, username, counted)


_CHANGE_SQL = {
    "undo": """UPDATE login_counters SET failures = greatest(failures - 1, 0)
               WHERE kind = $1 AND key = $2""",
    "reset": "UPDATE login_counters SET failures = 0 WHERE kind = $1 AND key = $2",
}


async def settle(con: Conn, ticket: Ticket, result: throttle.Result) -> None:
    # One not checked is recorded as held: refused before the code was checked, as the
    # throttle's refusals are (login_attempts.outcome has no value of its own for it).
    await con.execute("UPDATE login_attempts SET outcome = $2 WHERE id = $1",
                      ticket.attempt_id, "held" if result == "unchecked" else result)
    for kind, key, change in throttle.changes(ticket.counted, ticket.username, result):
        if change != "keep":
            await con.execute(_CHANGE_SQL[change], kind, key)


async def unlock(con: Conn, username: str) -> bool:
    """Clear the failures of the account and of its known devices; False if there were none."""
    status = await con.execute(
        """UPDATE login_counters SET failures = 0
           WHERE failures > 0 AND ((kind = 'account' AND key = $1) OR (kind = 'device' AND key IN
               (SELECT d.id::text FROM known_devices d JOIN users u ON u.id = d.user_id
                WHERE u.username = $1)))""",
        username,
    )
    return int(status.split()[-1]) > 0


async def account_failures(con: Conn) -> dict[str, int]:
    """Users' consecutive failed sign-ins, for the admin's users page (none: not listed)."""
    rows = await con.fetch(
        """SELECT c.key, c.failures FROM login_counters c JOIN users u ON u.username = c.key
           WHERE c.kind = 'account' AND c.failures > 0""")
    return {r["key"]: r["failures"] for r in rows}


async def delete_old(con: Conn) -> int:
    """Attempts older than KEEP, and counters idle as long, except a user's account lock."""
    status = await con.execute("DELETE FROM login_attempts WHERE at < now() - $1::interval", KEEP)
    await con.execute(
        """DELETE FROM login_counters c
           WHERE coalesce(c.last_attempt_at, '-infinity') < now() - $1::interval
             AND NOT (c.kind = 'account' AND c.failures >= $2
                      AND EXISTS (SELECT 1 FROM users u WHERE u.username = c.key))""",
        KEEP, throttle.ACCOUNT.lock_at,
    )
    return int(status.split()[-1])
