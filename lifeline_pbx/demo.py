"""Demo data: two facilities with their lines and one operator. Loading it twice is harmless.

The facility names are made up; the DIDs are in the 555 range reserved for fiction. Each
facility keeps its state's time zone, as the facility form gives it.
"""

from __future__ import annotations

import functools

import asyncpg

from lifeline_pbx.accounts import passwords
from lifeline_pbx.admin.facility_rules import STATE_ZONES
from lifeline_pbx.operators.sip_credentials import sip_md5_cred

DEMO_OPERATOR = ("Demo Operator", "operator1", "lifeline-demo-1", ["en", "es"])
DEMO_QUEUE = "Hotline"
# Web accounts: (username, display name, role, password, SIP account). The admin sets up an
# authenticator app at first sign-in, as every admin must.
DEMO_USERS = (
    ("operator1", "Demo Operator", "operator", "lifeline-demo-operator", "operator1"),
    ("supervisor1", "Demo Supervisor", "supervisor", "lifeline-demo-supervisor", None),
    ("admin1", "Demo Admin", "admin", "lifeline-demo-admin", None),
)
DEMO_PARTNERS = (("Demo Legal Aid", "legal"), ("Demo Medical Network", "medical"))
DEMO_FACILITIES = (
    # facility, city, state, contractor, [(did, line name, default language, menu)]
    ("Demo County Processing Center", "Lumpkin", "GA", "Demo Corrections Inc.",
     [("15550100101", "Demo County general line", "en", ("en", "es", "ht", "fr"))]),
    ("Example Valley ICE Processing Center", "Otay Mesa", "CA", "Example Detention LLC",
     [("15550100201", "Example Valley Spanish line", "es", ("es", "en", "pt", "cmn"))]),
)


async def install(dsn: str) -> None:
    """Bring the schema up to date, then load the demo data (the demo stack, the tests)."""
    from lifeline_pbx.migrate import MIGRATIONS_DIR, migrate

    await migrate(dsn, MIGRATIONS_DIR)
    con = await asyncpg.connect(dsn)
    try:
        await load(con)
    finally:
        await con.close()


async def load(con: asyncpg.Connection) -> None:
    async with con.transaction():
        queue_id = await con.fetchval(
            """INSERT INTO queues (name) VALUES ($1)
               ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id""",
            DEMO_QUEUE,
        )
        for name, city, state, contractor, lines in DEMO_FACILITIES:
            facility_id = await con.fetchval(
                """INSERT INTO facilities (name, city, state, contractor, timezone)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (name) DO UPDATE SET city = excluded.city,
                       timezone = excluded.timezone
                   RETURNING id""",
                name, city, state, contractor, STATE_ZONES[state],
            )
            for did, line_name, language, menu in lines:
                line_id = await con.fetchval(
                    """INSERT INTO lines (did, facility_id, name, default_language, queue_id)
                       VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (did) DO UPDATE SET queue_id = excluded.queue_id
                       RETURNING id""",
                    did, facility_id, line_name, language, queue_id,
                )
                await con.executemany(
                    """INSERT INTO line_languages (line_id, position, language, digit)
                       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
                    [(line_id, i, lang, str(i)) for i, lang in enumerate(menu, 1)],
                )
        display, username, password, languages = DEMO_OPERATOR
        operator_id = await con.fetchval(
            """INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (sip_username) DO UPDATE SET display_name = excluded.display_name
               RETURNING id""",
            display, username, sip_md5_cred(username, password), languages,
        )
        await con.execute(
            "INSERT INTO operator_queues VALUES ($1, $2) ON CONFLICT DO NOTHING",
            operator_id, queue_id,
        )
        await _load_users(con)
        # The demo operator starts logged in and ready, so a first call reaches them.
        await con.execute(
            """INSERT INTO operator_status (operator_id, logged_in) VALUES ($1, true)
               ON CONFLICT (operator_id) DO NOTHING""",
            operator_id,
        )


@functools.cache
def _password_hash(password: str) -> str:
    return passwords.hash_password(password)


async def _load_users(con: asyncpg.Connection) -> None:
    for username, display, role, password, operator in DEMO_USERS:
        await con.execute(
            """INSERT INTO users (username, display_name, role, password_hash, operator_id)
               VALUES ($1, $2, $3, $4, (SELECT id FROM operators WHERE sip_username = $5))
               ON CONFLICT (username) DO NOTHING""",
            username, display, role, _password_hash(password), operator,
        )
    await con.executemany(
        "INSERT INTO partners (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        DEMO_PARTNERS,
    )
