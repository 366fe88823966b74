"""The demo data against a real PostgreSQL: each facility in its own state's time zone, also
where an earlier load left the default (America/New_York) on a facility in California."""

from __future__ import annotations

from lifeline_pbx import demo
from tests.pg_fixtures import connect

ZONES = {"Demo County Processing Center": "America/New_York",  # Lumpkin, GA
         "Example Valley ICE Processing Center": "America/Los_Angeles"}  # Otay Mesa, CA


async def test_each_demo_facility_is_in_its_states_time_zone(admin_dsn: str) -> None:
    assert {name for name, *_ in demo.DEMO_FACILITIES} == set(ZONES)
    async with connect(admin_dsn) as con:
        rows = await con.fetch("SELECT name, timezone FROM facilities")
        assert {r["name"]: r["timezone"] for r in rows} == ZONES
        await con.execute("UPDATE facilities SET timezone = 'America/New_York'")
        await demo.load(con)  # loading again puts each right
        rows = await con.fetch("SELECT name, timezone FROM facilities")
        assert {r["name"]: r["timezone"] for r in rows} == ZONES
