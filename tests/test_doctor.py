"""`lifeline doctor`'s decisions over gathered facts, without a database or an Asterisk."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lifeline_pbx.asterisk_config import SHIPPED_SOURCES
from lifeline_pbx.doctor import asterisk, database, settings
from lifeline_pbx.doctor.report import Check, report
from lifeline_pbx.migrate import Applied, Migration

KEY_A, KEY_B, LOOKUP = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))


def failures(results: list[Check]) -> list[Check]:
    return [c for c in results if not c.ok]


SETTINGS_OK = settings.Facts(
    problem="", data_keys=(("2026a", KEY_A), ("2025", KEY_B)), lookup_key=LOOKUP,
    settings_file=settings.PathFacts("/etc/lifeline/settings.toml", True, False, 0o100600),
    prompts=settings.PathFacts("/var/lib/lifeline-pbx/prompts", True, True, 0o40755),
)
SETTINGS_CASES: dict[str, tuple[dict[str, object], str | None]] = {
    "sound": ({}, None),
    "group may read": ({"settings_file": dataclasses.replace(
        SETTINGS_OK.settings_file, mode=0o100640)}, None),  # type: ignore[type-var]
    "from the environment": ({"settings_file": None}, None),
    "a bad setting": ({"problem": "setting 'lookup_key': a key must be 32 bytes, got 3"},
                      "the settings load: setting 'lookup_key': a key must be 32 bytes"),
    "others may read": ({"settings_file": dataclasses.replace(
        SETTINGS_OK.settings_file, mode=0o100644)},  # type: ignore[type-var]
        "settings file /etc/lifeline/settings.toml: its mode is 0644"),
    "group may write": ({"settings_file": dataclasses.replace(
        SETTINGS_OK.settings_file, mode=0o100660)},  # type: ignore[type-var]
        "its mode is 0660"),
    "a data key reused as lookup key": ({"lookup_key": KEY_B},
                                        "the same key is used as 2025 and lookup_key"),
    "two data keys alike": ({"data_keys": (("a", KEY_A), ("b", KEY_A))},
                            "the same key is used as a and b"),
    "a placeholder key": ({"data_keys": (("zero", bytes(32)),)},
                          "too few different bytes to be random (a placeholder?): zero"),
    "prompts writable by anyone": ({"prompts": dataclasses.replace(
        SETTINGS_OK.prompts, mode=0o40777)},  # type: ignore[type-var]
        "anyone may write into it (mode 0777)"),
    "prompts on another machine": ({"prompts": settings.PathFacts("/srv/p", False)}, None),
    "prompts named local but absent": ({"prompts": settings.PathFacts("/srv/p", False),
                                        "prompts_named_local": True},
                                       "prompts_local_dir names it but it does not exist"),
}


@pytest.mark.parametrize("name", SETTINGS_CASES)
def test_settings_and_files(name: str) -> None:
    change, failing = SETTINGS_CASES[name]
    results = settings.checks(dataclasses.replace(SETTINGS_OK, **change))  # type: ignore[arg-type]
    failed = [line for line in report(results).splitlines() if line.startswith("FAIL")]
    if failing is None:
        assert failed == []
    else:
        assert len(failed) == 1 and failing in failed[0], failed


def test_settings_that_do_not_load_stop_the_key_checks() -> None:
    results = settings.checks(settings.Facts("setting 'ari_url': missing"))
    assert [c.name for c in results] == ["the settings load"]


def migration(version: int) -> Migration:
    return Migration(version, f"{version:04d}_m.sql", "", f"sum{version}")


def applied(version: int) -> Applied:
    return Applied(version, f"{version:04d}_m.sql", f"sum{version}")


FILES = tuple(migration(v) for v in (1, 2, 18))
SCHEMA_CASES = {
    "up to date": (database.SchemaFacts(FILES, tuple(applied(v) for v in (1, 2, 18))), None),
    "an upgrade without migrate": (database.SchemaFacts(FILES, (applied(1), applied(2))),
                                   "1 migration(s) not applied: 0018_m.sql"),
    "a changed migration": (database.SchemaFacts(FILES, (applied(1), Applied(2, "0002_m.sql",
                                                                             "other"))),
                            "0002_m.sql was changed after it was applied"),
    "a schema from a newer lifeline": (database.SchemaFacts(FILES[:2], tuple(
        applied(v) for v in (1, 2, 18))), "0018_m.sql is recorded as applied but is missing"),
    "unreadable before 0018": (database.SchemaFacts(FILES, None, "InsufficientPrivilegeError"),
                               "may not read schema_migrations (InsufficientPrivilegeError)"),
}


@pytest.mark.parametrize("name", SCHEMA_CASES)
def test_the_schema_is_up_to_date(name: str) -> None:
    facts, failing = SCHEMA_CASES[name]
    (check,) = database.schema_checks(facts)
    assert check.ok == (failing is None)
    if failing is not None:
        assert failing in check.detail and check.fix


KEYS_OK = database.KeyFacts(configured=("2026a", "2025"), in_use={"2026a": 40, "2025": 3},
                            opens={"2026a": True, "2025": True}, lookup_finds=True)
KEY_CASES: dict[str, tuple[dict[str, object], str | None]] = {
    "sound": ({}, None),
    "an empty database": ({"in_use": {}, "opens": {}, "lookup_finds": None}, None),
    "an old key dropped before rotation": (
        {"configured": ("2026a",), "opens": {"2026a": True}},
        "values sealed under 2025 (3) do not open: data_keys lacks them"),
    "another key under the same id": ({"opens": {"2026a": True, "2025": False}},
                                      "under the id 2025 is another key"),
    "another lookup key": ({"lookup_finds": False}, "repeat callers are not found"),
}


@pytest.mark.parametrize("name", KEY_CASES)
def test_the_keys_open_what_the_database_holds(name: str) -> None:
    change, failing = KEY_CASES[name]
    results = database.key_checks(dataclasses.replace(KEYS_OK, **change))  # type: ignore[arg-type]
    failed = failures(results)
    if failing is None:
        assert failed == []
    else:
        assert len(failed) == 1 and failing in failed[0].detail, failed


RUNNING = frozenset(asterisk.REQUIRED_MODULES) | {"app_echo.so"}
ARI_CASES = {
    "sound": (asterisk.Facts("http://127.0.0.1:8088", 200, running=RUNNING), None),
    "not running": (asterisk.Facts("http://127.0.0.1:8088", 0, "unreachable: "
                                   "ClientConnectorError"), "not reached"),
    "a wrong password": (asterisk.Facts("http://127.0.0.1:8088", 401, "Unauthorized"),
                         "the login is refused (401)"),
    "the wrong URL": (asterisk.Facts("http://127.0.0.1:8088/ari", 404, "Not Found"),
                      "it answered 404"),
    "a module missing": (asterisk.Facts("http://127.0.0.1:8088", 200, running=RUNNING - {
        "res_stasis_recording.so", "res_sorcery_astdb.so"}),
        "not running: res_stasis_recording.so, res_sorcery_astdb.so"),
}


@pytest.mark.parametrize("name", ARI_CASES)
def test_asterisk_answers_and_runs_the_modules(name: str) -> None:
    facts, failing = ARI_CASES[name]
    failed = failures(asterisk.checks(facts))
    if failing is None:
        assert failed == []
    else:
        assert len(failed) == 1 and failing in failed[0].detail, failed


def test_the_shipped_modules_conf_loads_every_module_the_doctor_asks_for() -> None:
    text = next(d / "modules.conf" for d in SHIPPED_SOURCES
                if (d / "modules.conf").exists()).read_text()
    loaded = set(re.findall(r"^load\s*=>\s*(\S+)", text, re.MULTILINE))
    assert set(asterisk.REQUIRED_MODULES) <= loaded, set(asterisk.REQUIRED_MODULES) - loaded


def test_the_report_says_how_to_fix_what_failed() -> None:
    text = report([Check("a", True), Check("b", False, "broken", "mend it"), Check("c", False,
                                                                                  "gone")])
    assert text.splitlines() == ["ok    a", "FAIL  b: broken", "      fix: mend it",
                                 "FAIL  c: gone"]
