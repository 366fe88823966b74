"""`lifeline queue ...` and `lifeline operator add --queues/--user, set, link` against
PostgreSQL: the admin pages' units of work for scripts, refusing bad input with the field's
label and saving nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests import cli_run


@pytest.fixture
def lifeline(app_dsn: str) -> Any:
    return lambda *argv: cli_run.lifeline_here(*argv, env={"LIFELINE_DATABASE_URL": app_dsn})


def _sql(dsn: str, query: str) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        con = await asyncpg.connect(dsn)
        try:
            return list(await con.fetch(query))
        finally:
            await con.close()

    return asyncio.run(fetch())


def test_queues_and_operators_from_the_command_line(lifeline: Any, app_dsn: str) -> None:
    code, out = lifeline("queue", "add", "Spanish", "--ring-time", "12", "--accept-by-key",
                         "--operators", "operator1")
    assert code == 0 and "added queue Spanish" in out and "1 operator(s)" in out
    code, out = lifeline("queue", "set", "spanish", "--ring-time", "9", "--no-accept-by-key")
    assert code == 0 and out.strip() == (
        "queue Spanish: changed ring_timeout_seconds, accept_by_key")
    row = _sql(app_dsn, "SELECT * FROM queues WHERE name = 'Spanish'")[0]
    assert (row["ring_timeout_seconds"], row["accept_by_key"]) == (9, False)

    code, out = lifeline("operator", "add", "--name", "Ana", "--username", "ana",
                         "--languages", "es", "--queues", "Spanish,Hotline")
    assert code == 0 and "serving 2 queue(s)" in out and "password:" in out
    code, out = lifeline("operator", "set", "ana", "--queues", "Spanish", "--languages", "es,en")
    assert code == 0 and out.strip() == "operator ana: changed languages, queues"
    code, out = lifeline("operator", "link", "ana", "supervisor1")
    assert code == 0
    code, out = lifeline("operator", "list")
    assert "ana        enabled  es,en      Spanish          supervisor1  Ana\n" in out
    code, out = lifeline("queue", "list")
    assert "Spanish: ring 9s" in out and "operators: operator1,ana" in out
    audit = [(r["entity"], r["action"], list(r["fields"])) for r in _sql(
        app_dsn, "SELECT entity, action, fields FROM audit_log ORDER BY id")]
    assert audit[-3:] == [("operator", "create", ["display_name", "languages", "queues",
                                                   "sip_secret", "sip_username"]),
                          ("operator", "update", ["languages", "queues"]),
                          ("user", "update", ["operator"])]

    before = _sql(app_dsn, "SELECT * FROM queues ORDER BY id")
    for argv, message in [
        (("queue", "add", "Bad", "--ring-time", "500"), "Ring time (seconds): give a whole"),
        (("queue", "add", "hotline"), "A queue named 'hotline' exists"),
        (("queue", "add", "X", "--operators", "nobody"), "no operator 'nobody'"),
        (("queue", "set", "Nowhere", "--ring-time", "9"), "no queue named 'Nowhere'"),
        (("queue", "delete", "Hotline"), "send their callers to it"),
        (("operator", "add", "--name", "B", "--username", "bob", "--languages", "en",
          "--queues", "Nowhere"), "no queue named 'Nowhere'"),
        (("operator", "set", "ana", "--languages", "xx"), "Unknown language 'xx'"),
        (("operator", "link", "ana", "operator1"), "takes calls on another SIP account"),
    ]:
        code, out = lifeline(*argv)
        assert code == 2 and message in out, (argv, out)
    assert _sql(app_dsn, "SELECT * FROM queues ORDER BY id") == before
    assert not _sql(app_dsn, "SELECT 1 FROM operators WHERE sip_username = 'bob'")
    assert lifeline("queue", "add", "Mistake")[0] == 0
    assert lifeline("queue", "delete", "Mistake") == (0, "deleted queue Mistake\n")


def test_an_operator_speaks_any_language_of_the_table(lifeline: Any, app_dsn: str) -> None:
    """K'iche' (in the table, never synthesised) from the start; Akateko once added (as
    the languages admin adds it: a row of the table; the web test adds it in the page)."""
    code, out = lifeline("operator", "add", "--name", "Ana", "--username", "ana",
                         "--languages", "quc,es")
    assert code == 0 and "languages quc, es" in out
    code, out = lifeline("operator", "set", "ana", "--languages", "knj")
    assert code == 2 and "Unknown language 'knj'" in out
    code, out = lifeline("operator", "add", "--name", "Bob", "--username", "bob",
                         "--languages", "knj")
    assert code == 2 and "Unknown language 'knj'" in out
    _sql(app_dsn, """INSERT INTO languages (code, name, menu_label, position)
                     VALUES ('knj', 'Akateko', 'Akateko {digit}.', 15)""")
    code, out = lifeline("operator", "set", "ana", "--languages", "KNJ,quc")
    assert code == 0 and out.strip() == "operator ana: changed languages"
    assert lifeline("operator", "add", "--name", "Bob", "--username", "bob",
                    "--languages", "knj")[0] == 0
    rows = _sql(app_dsn, "SELECT sip_username, languages FROM operators "
                         "WHERE sip_username IN ('ana', 'bob') ORDER BY 1")
    assert [(r[0], list(r[1])) for r in rows] == [("ana", ["knj", "quc"]), ("bob", ["knj"])]
