"""`lifeline restore --clean`'s decisions, without a database: may it replace the data,
must it ask, and what it tells the sysadmin first; and restore's next steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lifeline_pbx.backup import replacing
from lifeline_pbx.backup.commands import next_steps
from lifeline_pbx.backup.manifest import FileEntry, Manifest
from lifeline_pbx.backup.replacing import Newer, Target
from lifeline_pbx.db_roles import AppRole

BACKUP = Manifest(
    created_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC), app_version="0.1.0",
    schema_version=17, schema_migration="0017_audit_chain_at_commit.sql",
    server_version="15.14", data_key_ids=("t1",), files=(FileEntry("database.dump", 1, "00"),),
    row_counts={"calls": 1200, "persons": 40, "audit_log": 9000, "login_attempts": 3,
                "facilities": 4, "languages": 4, "retired_table": 2})


def target(relations: int = 60, app_connections: int = 0) -> Target:
    return Target(database="lifeline", relations=relations, app_connections=app_connections,
                  row_counts={"calls": 1234, "persons": 41, "audit_log": 9100,
                              "login_attempts": 3, "facilities": 5, "languages": 4,
                              "prompt_phone_requests": 2},
                  newer=(Newer("calls", 34, datetime(2026, 3, 3, 9, 12, tzinfo=UTC)),
                         Newer("intakes", 0, None)))


DECISIONS = {
    # (relations, app connections, --yes, at a terminal): verdict, words of the refusal
    "an empty database": ((0, 0, False, False), "restore", ""),
    "the app connected": ((60, 3, True, True), "refuse", "(3 connections as lifeline_app)"),
    "one app connection": ((60, 1, False, True), "refuse", "(1 connection as lifeline_app)"),
    "--yes": ((60, 0, True, False), "restore", ""),
    "at a terminal": ((60, 0, False, True), "ask", ""),
    "a script without --yes": ((60, 0, False, False), "refuse", "or add --yes"),
}


@pytest.mark.parametrize("name", DECISIONS)
def test_a_clean_restore_goes_ahead_only_with_the_app_stopped_and_a_yes(name: str) -> None:
    (relations, connections, yes, interactive), verdict, words = DECISIONS[name]
    got, why = replacing.decide(target(relations, connections), yes=yes, interactive=interactive)
    assert got == verdict
    assert words in why and ("nothing was restored" in why) == (verdict == "refuse")


def test_the_typed_name_must_be_the_database_s() -> None:
    assert replacing.confirmed("lifeline\n", "lifeline")
    assert not replacing.confirmed("yes\n", "lifeline")
    assert not replacing.confirmed("\n", "lifeline")


def test_the_summary_sets_what_is_there_against_the_backup() -> None:
    lines = replacing.summary(target(), BACKUP)
    assert lines[0] == ("restore --clean replaces the data of the database lifeline with the "
                        "backup of 2026-03-02 14:00 UTC:")
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if len(line.split()) == 3}
    assert list(rows.items()) == [  # the main tables, then every other that differs
        ("calls", ["1,234", "1,200"]), ("persons", ["41", "40"]),
        ("audit_log", ["9,100", "9,000"]), ("facilities", ["5", "4"]),
        ("prompt_phone_requests", ["2", "-"]), ("retired_table", ["-", "2"])]
    assert ("  calls made since the backup, lost by the restore: 34, the newest at "
            "2026-03-03 09:12 UTC") in lines
    assert "  intakes made since the backup, lost by the restore: 0" in lines


NEXT = {
    "a new server": (AppRole(False, False), "lifeline db app-role --new-password (lifeline_app "
                     "is new on this server"),
    "made, never given a password": (AppRole(True, False), "lifeline db app-role "
                                     "--new-password"),
    "with a password": (AppRole(True, True), "its password is unchanged, keep database_url"),
    "the admin cannot tell": (AppRole(True, None), "unchanged (if it has none yet: lifeline db "
                              "app-role --new-password)"),
}


@pytest.mark.parametrize("name", NEXT)
def test_the_next_steps_change_the_app_s_password_only_on_a_new_server(name: str) -> None:
    role, words = NEXT[name]
    said = next_steps(BACKUP, role)
    assert words in said and "configure the data keys t1 and the lookup key" in said
    assert ("--new-password" in said) == (not role.has_password)
