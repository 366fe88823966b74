"""What protecting the case record costs: password hashing, sealing, saving and finding.

Run: .venv/bin/python -m bench.case_record   (starts a private PostgreSQL, prints figures;
BENCH_SAVES=100 for a quick run)

Figures are per operation on this machine; the database runs on the same box.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from multidict import MultiDict

from devstack.postgres import Cluster
from lifeline_pbx import crypto, demo
from lifeline_pbx.accounts import passwords
from lifeline_pbx.cases import anumber, forms, intake_save, person_work, pick_lists

KEYS = crypto.key_ring((("b1", os.urandom(32)),), os.urandom(32))
NARRATIVE = "The caller reports being denied insulin for several days. " * 30  # ~1.8 KB


def timed(n: int, work: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return out


async def atimed(n: int, work: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        await work(i)
        out.append(time.perf_counter() - start)
    return out


def show(what: str, samples: list[float], unit: str = "ms") -> None:
    scale = {"ms": 1e3, "us": 1e6}[unit]
    cuts = statistics.quantiles(samples, n=100)
    print(f"{what:52} n={len(samples):5d}  median {statistics.median(samples) * scale:8.2f} {unit}"
          f"  p99 {cuts[98] * scale:8.2f} {unit}")


def intake_form(i: int, call_id: uuid.UUID, choices: forms.Choices,
                facility: int) -> forms.IntakeForm:
    data = MultiDict({
        "call_id": str(call_id), "facility_id": str(facility), "language": "es",
        "a_number": f"A{100_000_000 + i:09d}", "person_names": f"Bench Person {i}",
        "person_facility": str(facility), "needs_medical": "on",
        "report_category": "medical_neglect", "report_severity": "high",
        "report_affected": "person", "report_narrative": NARRATIVE,
        "followup_what": "Call the medical unit", "followup_due": "2099-01-01",
    })
    return forms.parse_intake(data, choices)


async def database_figures(dsn: str, saves: int) -> None:
    con = await asyncpg.connect(dsn)
    try:
        user_id = await con.fetchval("SELECT id FROM users WHERE username = 'operator1'")
        facility = await con.fetchval("SELECT min(id) FROM facilities")
        choices = await pick_lists.choices(con)
        calls = [uuid.uuid4() for _ in range(saves)]
        await con.executemany(
            """INSERT INTO calls (id, channel_id, channel_name, did, facility_id, caller_number,
                                  caller_name, started_at)
               VALUES ($1, 'c', 'c', '1', $2, '', '', now())""",
            [(c, facility) for c in calls])

        async def save(i: int) -> None:
            form = intake_form(i, calls[i], choices, facility)
            await intake_save.save_intake(con, KEYS, user_id, form)

        show(f"save intake: person+report+follow-up+audit ({saves})", await atimed(saves, save))

        async def find(i: int) -> None:
            normal = anumber.normalise(f"{100_000_000 + (i * 7919) % saves:09d}")
            assert await person_work.lookup(con, KEYS, normal, user_id) is not None

        show(f"find by A-number + history, {saves} people in table", await atimed(saves, find))
    finally:
        await con.close()


async def main() -> None:
    saves = int(os.environ.get("BENCH_SAVES", "1000"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    show("Argon2id hash (19 MiB, t=2, p=1)", timed(20, lambda: passwords.hash_password("x" * 16)))
    stored = passwords.hash_password("x" * 16)
    show("Argon2id verify", timed(20, lambda: passwords.verify(stored, "x" * 16)))
    sealed = KEYS.seal(NARRATIVE, "reports.narrative.1")
    show("seal a 1.8 KB narrative (AES-256-GCM)",
         timed(5000, lambda: KEYS.seal(NARRATIVE, "reports.narrative.1")), "us")
    show("open it", timed(5000, lambda: KEYS.open(sealed, "reports.narrative.1")), "us")
    show("A-number lookup key (HMAC-SHA256)", timed(5000, lambda: KEYS.lookup("012345678")), "us")
    cluster = Cluster()
    cluster.start()
    try:
        cluster.create_database("bench")
        await demo.install(cluster.dsn("bench"))
        await database_figures(cluster.dsn("bench"), saves)
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
