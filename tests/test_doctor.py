"""`lifeline doctor`'s decisions over gathered facts, without a database or an Asterisk."""

from __future__ import annotations

import base64
import dataclasses
import grp
import os
import pwd
import re
from pathlib import Path

import pytest

from lifeline_pbx.asterisk_config import SHIPPED_SOURCES
from lifeline_pbx.doctor import asterisk, database, prompts, settings
from lifeline_pbx.doctor.report import Check, report
from lifeline_pbx.migrate import Applied, Migration

KEY_A, KEY_B, LOOKUP = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))


def failures(results: list[Check]) -> list[Check]:
    return [c for c in results if not c.ok]


SETTINGS_OK = settings.Facts(
    problem="", data_keys=(("2026a", KEY_A), ("2025", KEY_B)), lookup_key=LOOKUP,
    settings_file=settings.PathFacts("/etc/lifeline/settings.toml", True, 0o100600),
    prompts=prompts.Facts("/var/lib/lifeline-pbx/prompts", "prompts_dir", True, True,
                          (prompts.Entry(".", 0o40755, 0, 0),)),
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
    "no prompts folder": ({"prompts": prompts.Facts("/srv/p", "prompts_dir", False)},
                          "prompts folder /srv/p is here: prompts_dir names it but it does "
                          "not exist"),
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


# A key that did not load: a database holding sealed values needs the keys that sealed them
# (after a restore, those of the backup's manifest), never a new one.
LOAD_FIX_CASES: dict[str, tuple[str, dict[str, int] | None, tuple[str, ...], tuple[str, ...]]] = {
    "data keys, a restored database": (
        "data_keys", {"demo1": 6, "k0": 2}, ("sealed under demo1, k0", "data_key_ids",
                                             "a new key cannot open them"), ("keys new",)),
    "data keys, nothing sealed yet": ("data_keys", {}, ("`lifeline keys new`",),
                                      ("data_key_ids",)),
    "data keys, the database not reached": (
        "data_keys", None, ("the keys the database was sealed with", "data_key_ids",
                            "only for a new, empty database"), ()),
    "lookup key, people recorded": ("lookup_key", {"demo1": 6}, (
        "the lookup_key the records were written with",), ("keys new",)),
    "lookup key, nothing sealed yet": ("lookup_key", {}, ("`lifeline keys new`",), ()),
    "a secret given as a file": ("LIFELINE_DATA_KEYS_FILE", {"demo1": 6}, (
        "LIFELINE_DATA_KEYS, or LIFELINE_DATA_KEYS_FILE naming a file",), ("keys new",)),
    "another setting": ("ari_url", None, ("LIFELINE_<NAME>",), ("keys new",)),
}


@pytest.mark.parametrize("name", LOAD_FIX_CASES)
def test_the_fix_for_a_key_that_does_not_load_names_the_keys_in_use(name: str) -> None:
    setting, sealed, says, never = LOAD_FIX_CASES[name]
    fix = settings.load_fix(setting, sealed)
    assert all(part in fix for part in says), fix
    assert not any(part in fix for part in never), fix


SERVICE = dict(service_uids=frozenset({0, 998}), service_gids=frozenset({0, 997}),
               service="lifeline:lifeline")


def folder(*entries: prompts.Entry) -> prompts.Facts:
    return prompts.Facts("/p", "prompts_dir", True, True, (
        prompts.Entry(".", 0o40755, 998, 997), *entries), **SERVICE)  # type: ignore[arg-type]


PROMPT_CASES: dict[str, tuple[prompts.Facts, str | None, str]] = {
    "sound": (folder(prompts.Entry("en", 0o40755, 998, 997),
                     prompts.Entry("en/greeting.wav", 0o100644, 0, 0)), None, ""),
    "the service's group may write": (folder(prompts.Entry("en", 0o42775, 998, 997)),
                                      None, ""),
    "missing": (prompts.Facts("/p", "prompts_local_dir", False),
                "the prompts folder /p is here: prompts_local_dir names it but it does not "
                "exist", "lifeline prompts --out /p"),
    "a file, not a folder": (prompts.Facts("/p", "prompts_dir", True, False),
                             "prompts_dir names it but it is not a directory", ""),
    "a language anyone may write into": (
        folder(prompts.Entry("en", 0o40777, 998, 997)),
        "anyone may write: en (0777)", "chmod -R o-w /p"),
    "a prompt anyone may overwrite": (
        folder(prompts.Entry("es/greeting.wav", 0o100666, 998, 997)),
        "anyone may write: es/greeting.wav (0666)", "chmod -R o-w /p"),
    "owned by nobody": (
        dataclasses.replace(folder(), entries=(prompts.Entry(".", 0o40755, 65534, 65534),)),
        "owned by another user than the service's: . (uid 65534)",
        "chown -R lifeline:lifeline /p"),
    "another group may write": (folder(prompts.Entry("moh", 0o40775, 998, 50)),
                                "another group may write: moh (gid 50)",
                                "chown -R lifeline:lifeline /p"),
    "many files": (folder(*(prompts.Entry(f"en/{n}.wav", 0o100666, 998, 997)
                            for n in range(5))),
                   "en/0.wav (0666), en/1.wav (0666), en/2.wav (0666) and 2 more", ""),
}


@pytest.mark.parametrize("name", PROMPT_CASES)
def test_the_prompts_folder_is_here_and_only_the_service_changes_it(name: str) -> None:
    facts, failing, fix = PROMPT_CASES[name]
    failed = failures(prompts.checks(facts))
    if failing is None:
        assert failed == []
    else:
        assert len(failed) == 1 and failing in f"{failed[0].name}: {failed[0].detail}", failed
        assert fix in failed[0].fix


ENV = {"LIFELINE_DATABASE_URL": "postgresql://lifeline_app@db/lifeline",
       "LIFELINE_ARI_URL": "http://127.0.0.1:8088", "LIFELINE_ARI_USER": "lifeline",
       "LIFELINE_ARI_PASSWORD": "secret",
       "LIFELINE_DATA_KEYS": "k1:" + base64.b64encode(KEY_A).decode(),
       "LIFELINE_LOOKUP_KEY": base64.b64encode(LOOKUP).decode()}


def prompts_report(environ: dict[str, str]) -> list[str]:
    facts, cfg = settings.gather(None, environ)
    assert cfg is not None and facts.prompts is not None, facts.problem
    return [line for line in report(prompts.checks(facts.prompts)).splitlines()
            if line.startswith("FAIL")]


def test_the_prompts_folder_serve_reads_is_checked_to_its_files(tmp_path: Path) -> None:
    root = tmp_path / "prompts"
    env = {**ENV, "LIFELINE_PROMPTS_DIR": str(root)}
    assert prompts_report(env) == [f"FAIL  the prompts folder {root} is here: prompts_dir "
                                   "names it but it does not exist: the app cannot tell which "
                                   "prompts are recorded, and prompt uploads are refused"]
    (root / "en").mkdir(parents=True)
    (root / "en" / "greeting.wav").write_bytes(b"RIFF")
    for path, mode in ((root, 0o755), (root / "en", 0o755), (root / "en" / "greeting.wav",
                                                               0o644)):
        path.chmod(mode)
    assert prompts_report(env) == []

    (root / "en").chmod(0o777)
    (failed,) = prompts_report(env)
    assert "anyone may write: en (0777)" in failed
    (root / "en").chmod(0o755)
    (root / "en" / "greeting.wav").chmod(0o666)
    (failed,) = prompts_report(env)
    assert "anyone may write: en/greeting.wav (0666)" in failed

    # prompts_local_dir, when set, is the folder the app reads (prompts_dir is Asterisk's)
    assert prompts_report({**env, "LIFELINE_PROMPTS_DIR": "/nowhere/asterisk/prompts",
                           "LIFELINE_PROMPTS_LOCAL_DIR": str(root)}) == [failed]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_prompts_owned_by_another_user_are_named(tmp_path: Path) -> None:
    root = tmp_path / "prompts"
    (root / "es").mkdir(parents=True)
    (root / "es" / "greeting.wav").write_bytes(b"RIFF")
    root.chmod(0o755)
    (root / "es").chmod(0o755)
    env = {**ENV, "LIFELINE_PROMPTS_DIR": str(root)}
    assert prompts_report(env) == []
    os.chown(root / "es" / "greeting.wav", 65534, 65534)
    (failed,) = prompts_report(env)
    assert "owned by another user than the service's: es/greeting.wav (uid 65534)" in failed
    # the settings file's owner is the service's user: doctor run as root for it
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("")
    os.chown(settings_file, 65534, 65534)
    assert prompts_report({**env, "LIFELINE_CONFIG": str(settings_file)}) == []


ROOT, LIFELINE, STRANGER = prompts.Owner(0, 0), prompts.Owner(998, 997), prompts.Owner(1000, 50)
USERS = (ROOT, LIFELINE, STRANGER, prompts.Owner(65534, 65534))
# who doctor runs as, the settings file's owner -> the service's uids and whom a chown names
SERVICE_CASES: dict[str, tuple[prompts.Owner, prompts.Owner | None, prompts.Owner,
                               set[int], prompts.Owner]] = {
    "the README's install: run as root, settings root:lifeline, folder lifeline's": (
        ROOT, prompts.Owner(0, 997), LIFELINE, {0, 998}, prompts.Owner(998, 997)),
    "the same, the folder root's: it goes to the group's user, whom the app runs as": (
        ROOT, prompts.Owner(0, 997), ROOT, {0, 998}, prompts.Owner(998, 997)),
    "the same, the folder a stranger's": (
        ROOT, prompts.Owner(0, 997), STRANGER, {0, 998}, prompts.Owner(998, 997)),
    "settings the service's own": (
        ROOT, LIFELINE, STRANGER, {0, 998}, LIFELINE),
    "run as the service, no settings file": (
        LIFELINE, None, STRANGER, {0, 998}, LIFELINE),
    "settings root:root: only root": (
        ROOT, ROOT, STRANGER, {0}, ROOT),
    "a group several users have first: no guess, root keeps it": (
        ROOT, prompts.Owner(0, 65534), STRANGER, {0, 65534, 4}, prompts.Owner(0, 65534)),
    "a group several users have first: the folder's owner among them keeps it": (
        ROOT, prompts.Owner(0, 65534), prompts.Owner(4, 65534), {0, 65534, 4},
        prompts.Owner(4, 65534)),
}


@pytest.mark.parametrize("name", SERVICE_CASES)
def test_the_service_is_whoever_the_settings_file_is_for(name: str) -> None:
    runs_as, settings_file, folder_owner, uids, chown = SERVICE_CASES[name]
    found = prompts.service(runs_as, settings_file, (*USERS, prompts.Owner(4, 65534)),
                            folder_owner)
    assert found.uids == uids and found.owner == chown


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_the_readme_install_passes_and_its_fix_keeps_the_folder_the_apps(
    tmp_path: Path
) -> None:
    # The README: settings root:lifeline 0640, prompts lifeline's, doctor run as root;
    # nobody (primary group nogroup) is lifeline here.
    nobody = pwd.getpwnam("nobody")
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("")
    settings_file.chmod(0o640)
    os.chown(settings_file, 0, nobody.pw_gid)
    root = tmp_path / "prompts"
    (root / "en").mkdir(parents=True)
    (root / "en" / "greeting.wav").write_bytes(b"RIFF")
    for path in (root, root / "en", root / "en" / "greeting.wav"):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    env = {**ENV, "LIFELINE_PROMPTS_DIR": str(root), "LIFELINE_CONFIG": str(settings_file)}
    assert prompts_report(env) == []

    os.chown(root / "en" / "greeting.wav", 1000, 1000)  # another user's
    facts = settings.gather(None, env)[0].prompts
    assert facts is not None
    (failed,) = failures(prompts.checks(facts))
    assert "owned by another user than the service's: en/greeting.wav (uid 1000)" in failed.detail
    assert failed.fix == f"chown -R nobody:{grp.getgrgid(nobody.pw_gid).gr_name} {root}"


def migration(version: int) -> Migration:
    return Migration(version, f"{version:04d}_m.sql", "", f"sum{version}")


def applied(version: int) -> Applied:
    return Applied(version, f"{version:04d}_m.sql", f"sum{version}")


FILES = tuple(migration(v) for v in (1, 2, 18))
# facts -> what the check says when it fails (None: sound), and whether the schema is behind
# (the other checks' tables may not be there: they are not run)
SCHEMA_CASES: dict[str, tuple[database.SchemaFacts, str | None, bool]] = {
    "up to date": (database.SchemaFacts(FILES, tuple(applied(v) for v in (1, 2, 18))), None,
                   False),
    "an upgrade without migrate": (database.SchemaFacts(FILES, (applied(1), applied(2))),
                                   "1 migration(s) not applied: 0018_m.sql", True),
    "a changed migration": (database.SchemaFacts(FILES, (applied(1), Applied(2, "0002_m.sql",
                                                                             "other"))),
                            "0002_m.sql was changed after it was applied", False),
    "a schema from a newer lifeline": (database.SchemaFacts(FILES[:2], tuple(
        applied(v) for v in (1, 2, 18))), "0018_m.sql is recorded as applied but is missing",
        False),
    "unreadable before 0018": (database.SchemaFacts(FILES, None, "InsufficientPrivilegeError"),
                               "may not read schema_migrations (InsufficientPrivilegeError)",
                               True),
}


@pytest.mark.parametrize("name", SCHEMA_CASES)
def test_the_schema_is_up_to_date(name: str) -> None:
    facts, failing, behind = SCHEMA_CASES[name]
    (check,) = database.schema_checks(facts)
    assert check.ok == (failing is None)
    if failing is not None:
        assert failing in check.detail and check.fix
    assert database.behind(facts) == behind


KEYS_OK = database.KeyFacts(configured=("2026a", "2025"), in_use={"2026a": 40, "2025": 3},
                            opens={"2026a": True, "2025": True}, lookup_finds=True,
                            person_key="2026a")
KEY_CASES: dict[str, tuple[dict[str, object], str | None]] = {
    "sound": ({}, None),
    "an empty database": ({"in_use": {}, "opens": {}, "lookup_finds": None, "person_key": ""},
                          None),
    "an old key dropped before rotation": (
        {"configured": ("2026a",), "opens": {"2026a": True}},
        "values sealed under 2025 (3) do not open: data_keys lacks them"),
    "another key under the same id": ({"opens": {"2026a": True, "2025": False}},
                                      "under the id 2025 is another key"),
    "another lookup key": ({"lookup_finds": False}, "repeat callers are not found"),
    "the lookup key not checked": ({"lookup_finds": None, "person_key": "2024"},
                                   "not checked: the A-numbers are sealed under 2024"),
}


def test_a_missing_data_key_is_looked_for_where_the_backup_says() -> None:
    (missing, *_) = database.key_checks(dataclasses.replace(KEYS_OK, configured=("2026a",)))
    assert "data_key_ids" in missing.fix and "keys new" not in missing.fix


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
