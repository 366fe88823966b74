"""The README's "Running it for real" commands, run as written (in-process, through cli.main)
against a fresh empty database: from `lifeline migrate` to a line the engine routes to its
queue. A command the README gets wrong fails here.

Two substitutions, both for the test's own environment: the prompts folder is the test's
(not /var/lib), and `lifeline db app-role --new-password` is given `--password-file` with
the password the other tests use (the lifeline_app role is one per server, shared with the
tests running beside this one: a random one would lock them out). `lifeline serve` runs
forever and is not in the command blocks; tests/test_admin_first_number_browser.py calls a
number set up the same way (in the browser) with the app running.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shlex
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from lifeline_pbx import cli
from lifeline_pbx.calls.lines import LineDirectory, LineInfo
from tests.audio import make_tone
from tests.pg_fixtures import TEST_APP_PASSWORD

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Running it for real: from an empty database to a first working number"
PROMPTS_AS_WRITTEN = "/var/lib/lifeline-pbx/prompts"
DID = "15550100301"


def readme_commands() -> list[list[str]]:
    """Every command of the section's shell blocks, as the shell would split it."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text[start:end], re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if argv := shlex.split(line, comments=True):
                commands.append(argv)
    return commands


def test_the_section_goes_from_migrate_to_a_line() -> None:
    commands = [" ".join(argv[:4]) for argv in readme_commands()]
    assert commands[:3] == ["lifeline migrate", "lifeline db app-role --new-password",
                            "lifeline user add coordinator"]
    for needed in ("lifeline facility add", "lifeline queue add Spanish",
                   "lifeline operator add", "lifeline line add", "lifeline line close"):
        assert any(c.startswith(needed) for c in commands), needed


def _sql(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        con = await asyncpg.connect(dsn)
        try:
            return list(await con.fetch(query, *args))
        finally:
            await con.close()

    return asyncio.run(fetch())


@pytest.mark.long
def test_the_readmes_commands_make_a_first_working_number(
        empty_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "prompts"
    monkeypatch.chdir(tmp_path)
    make_tone(tmp_path / "greeting.mp3", 1.5, 500)  # the recording the README uploads
    password_file = tmp_path / "app-password"
    password_file.write_text(TEST_APP_PASSWORD)
    for name, value in {
        "ADMIN_DATABASE_URL": empty_dsn, "PROMPTS_DIR": str(prompts),
        "ARI_URL": "http://127.0.0.1:9", "ARI_USER": "unused", "ARI_PASSWORD": "unused",
        "DATA_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
    }.items():
        monkeypatch.setenv(f"LIFELINE_{name}", value)
    monkeypatch.delenv("LIFELINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIFELINE_CONFIG", raising=False)

    printed: dict[str, str] = {}
    for argv in readme_commands():
        assert argv[0] == "lifeline", argv
        args = [arg.replace(PROMPTS_AS_WRITTEN, str(prompts)) for arg in argv[1:]]
        if args == ["db", "app-role", "--new-password"]:  # a new password: the tests' own
            args = ["db", "app-role", "--password-file", str(password_file)]
        try:
            cli.main(args)
        except SystemExit as exc:
            refused = capsys.readouterr()
            pytest.fail(f"`{shlex.join(argv)}` exited {exc.code}: {refused.out}{refused.err}")
        out = capsys.readouterr().out
        printed[" ".join(argv[1:3])] = out
        if args[:2] == ["db", "app-role"]:  # the README: "prints the app's DSN: set it"
            monkeypatch.setenv("LIFELINE_DATABASE_URL", out.strip().splitlines()[-1])
    app_dsn = os.environ["LIFELINE_DATABASE_URL"]
    assert app_dsn.startswith("postgresql://lifeline_app:")

    assert "password: " in printed["user add"] and "shown once" in printed["user add"]
    assert "password:" in printed["operator add"]
    assert (prompts / "es" / "greeting.wav").exists() and (prompts / "en" / "greeting.wav").exists()
    assert [tuple(r) for r in _sql(app_dsn, "SELECT username, role FROM users")] == [
        ("coordinator", "admin")]

    # The line, as the engine reads it: its facility, queue and Spanish-first menu.
    async def engine_view() -> LineInfo | None:
        async with asyncpg.create_pool(app_dsn, min_size=1, max_size=2) as pool:
            directory = LineDirectory(pool)
            return await directory.find(DID)

    found = asyncio.run(engine_view())
    assert found is not None, "the engine does not know the README's number"
    line, hours = found
    spanish = _sql(app_dsn, "SELECT id FROM queues WHERE name = 'Spanish'")[0][0]
    assert (line.facility_name, line.queue_id, line.default_language, line.languages) == (
        "Stewart Detention Center", spanish, "es", (("1", "es"), ("2", "en")))
    assert date(2030, 12, 25) in hours.holidays
    served = _sql(app_dsn, """SELECT o.sip_username, o.languages FROM operators o
                                JOIN operator_queues q ON q.operator_id = o.id
                               WHERE q.queue_id = $1""", spanish)
    assert [tuple(r) for r in served] == [("ana", ["es", "en"])]

    recorded = _sql(app_dsn, "SELECT language, name, source FROM prompt_recordings")
    assert [tuple(r) for r in recorded] == [("ixl", "greeting", "upload")]
    assert "greeting" not in printed["prompt coverage"].split("lacks:")[0]
    audited = {(r["entity"], r["action"]) for r in _sql(
        app_dsn, "SELECT entity, action FROM audit_log WHERE user_id IS NULL")}
    assert {("facility", "create"), ("queue", "create"), ("operator", "create"),
            ("line", "create"), ("line", "update"), ("language", "create"),
            ("prompt", "create")} <= audited, audited
