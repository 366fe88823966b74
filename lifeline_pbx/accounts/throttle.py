"""Login throttling: too many failures for one account, or from one address, lock it a while.

The decision is pure (`wait_seconds`); the counts come from login_attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lifeline_pbx.db import Conn

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures within WINDOW before the account is held
PER_ADDRESS = 20  # failures within WINDOW before the address is held


@dataclass(frozen=True)
class Failures:
    count: int
    oldest: datetime | None  # the oldest failure within the window


def wait_seconds(account: Failures, address: Failures, now: datetime) -> int:
    """0 to allow a try, else how long until the oldest counted failure leaves the window."""
    waits = [
        (f.oldest + WINDOW - now).total_seconds()
        for f, limit in ((account, PER_ACCOUNT), (address, PER_ADDRESS))
        if f.count >= limit and f.oldest is not None
    ]
    return max(0, int(max(waits, default=0)) + (1 if waits else 0))


async def failures(con: Conn, username: str, address: str) -> tuple[Failures, Failures]:
    row = await con.fetchrow(
        """SELECT count(*) FILTER (WHERE username = $1) AS account,
                  min(at) FILTER (WHERE username = $1) AS account_oldest,
                  count(*) FILTER (WHERE address = $2) AS address,
                  min(at) FILTER (WHERE address = $2) AS address_oldest
           FROM login_attempts
           WHERE NOT succeeded AND at > now() - $3::interval AND (username = $1 OR address = $2)""",
        username, address, WINDOW,
    )
    assert row is not None
    return (Failures(row["account"], row["account_oldest"]),
            Failures(row["address"], row["address_oldest"]))


async def note(con: Conn, username: str, address: str, succeeded: bool) -> None:
    await con.execute(
        "INSERT INTO login_attempts (username, address, succeeded) VALUES ($1, $2, $3)",
        username, address, succeeded,
    )
    if succeeded:  # a success clears the account's count, not the address's
        await con.execute(
            "DELETE FROM login_attempts WHERE username = $1 AND NOT succeeded", username)


KEEP = timedelta(days=30)  # sign-in history kept for review, then dropped


async def delete_old(con: Conn) -> int:
    status = await con.execute("DELETE FROM login_attempts WHERE at < now() - $1::interval", KEEP)
    return int(status.split()[-1])
