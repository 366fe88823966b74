"""deploy/systemd/: the units systemd would load, their commands where the install puts
them, Asterisk started as devstack starts it, and the daily backup's job against a real
PostgreSQL (it keeps the newest N backups and deletes nothing when a backup fails)."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from devstack import asterisk
from lifeline_pbx import config
from lifeline_pbx.paths import HOME

UNITS = HOME / "deploy" / "systemd"
INSTALLED = Path("/opt/lifeline-pbx")  # the clone, with its venv in venv/ (README)
VENV_BIN = Path(sys.executable).parent


def unit(name: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in (UNITS / name).read_text().splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            current[key] = value
    return sections


def here(command: str) -> Path:
    """Where an installed command's file is in this checkout and its virtualenv."""
    path = Path(command)
    if path.is_relative_to(INSTALLED / "venv"):
        return VENV_BIN / path.relative_to(INSTALLED / "venv" / "bin")
    return HOME / path.relative_to(INSTALLED)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_reads_every_unit_without_a_complaint() -> None:
    """Only the commands are missing on this machine (they are where the install puts them,
    checked below); an unknown key, a bad value or a missing section would be named."""
    names = sorted(p.name for p in UNITS.iterdir() if p.suffix in (".service", ".timer"))
    assert names == ["lifeline-asterisk.service", "lifeline-backup.service",
                     "lifeline-backup.timer", "lifeline.service"]
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=UNITS,
                            capture_output=True, text=True, check=False)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if "is not executable: No such file or directory" not in line]
    assert complaints == []


@pytest.mark.parametrize("name", ["lifeline.service", "lifeline-backup.service"])
def test_the_commands_are_where_the_install_puts_them(name: str) -> None:
    command = shlex.split(unit(name)["Service"]["ExecStart"])[0]
    assert os.access(here(command), os.X_OK), command


def test_asterisk_starts_as_devstack_starts_it() -> None:
    service = unit("lifeline-asterisk.service")["Service"]
    root = Path(service["RootDirectory"])
    # RootDirectory= then ExecStart= is `chroot ROOT ExecStart...`
    assert ["chroot", str(root), *shlex.split(service["ExecStart"])] == asterisk.Runtime(
        asterisk.SERVICE_ROOT, "").command(*asterisk.FOREGROUND, "-C", asterisk.SERVICE_CONF)
    assert root == asterisk.SERVICE_ROOT
    assert (service["User"], service["Restart"]) == ("lifeline-asterisk", "always")


def install_blocks() -> list[str]:
    """The code blocks of README's "Installing on one server" steps."""
    text = (HOME / "README.md").read_text()
    section = text[text.index("## Installing on one server"):text.index("**With Docker**")]
    return re.findall(r"```(?:sh|toml)\n(.*?)```", section, re.DOTALL)


def test_the_readme_builds_the_root_the_unit_runs() -> None:
    """The install's steps build, fill and name the root lifeline-asterisk.service runs
    (not the one in /var/cache that the demo and the tests share); each block that uses
    $ROOT sets it first (a step may be run in a new shell)."""
    root = unit("lifeline-asterisk.service")["Service"]["RootDirectory"]
    blocks = install_blocks()
    assert any(f"./dev.sh asterisk-root {root}" in block for block in blocks)
    using = [block for block in blocks if "$ROOT" in block]
    assert len(using) >= 3  # the root's config, the prompts, its security updates
    for block in using:
        assert block.index(f"ROOT={root}\n") < block.index("$ROOT"), block
    settings = tomllib.loads(next(b for b in blocks if "prompts_local_dir" in b))
    assert settings["prompts_local_dir"] == root + settings["prompts_dir"]
    assert not any("/var/cache" in block for block in blocks)


def test_the_app_runs_as_its_own_user_with_the_settings_file() -> None:
    """The settings file the unit names is the one the README's steps write and give
    every command (as the app reads it: config.ENV_PREFIX + CONFIG)."""
    app = unit("lifeline.service")
    assert app["Service"]["User"] == "lifeline" and app["Service"]["Restart"] == "always"
    variable = f"{config.ENV_PREFIX}CONFIG"
    exported = re.findall(rf"^ *export ({variable}=\S+)", "".join(install_blocks()), re.M)
    assert exported == [app["Service"]["Environment"]]
    assert "postgresql.service" in app["Unit"]["After"].split()
    assert unit("lifeline-backup.timer")["Timer"]["Persistent"] == "true"


def _backup(folder: Path, admin_dsn: str, keep: int) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")},
           "LIFELINE_ADMIN_DATABASE_URL": admin_dsn, "LIFELINE_BACKUP_DIR": str(folder),
           "LIFELINE_BACKUP_KEEP": str(keep), "LIFELINE_BIN": str(VENV_BIN / "lifeline")}
    return subprocess.run([here(shlex.split(unit("lifeline-backup.service")["Service"][
        "ExecStart"])[0])], env=env, capture_output=True, text=True, check=False, timeout=120)


async def test_the_daily_backup_keeps_the_newest_and_nothing_else(
        admin_dsn: str, tmp_path: Path) -> None:
    await asyncio.to_thread(_daily_backups, tmp_path, admin_dsn)


def _daily_backups(folder: Path, admin_dsn: str) -> None:
    older = ["2020-01-01T030000Z", "2020-01-02T030000Z", "2020-01-03T030000Z"]
    for name in older:
        (folder / name).mkdir()
        (folder / name / "manifest.json").write_text("{}")
    others = ["2019-12-31T030000Z", "copied by hand"]  # no manifest: never deleted
    for name in others:
        (folder / name).mkdir()

    def names() -> set[str]:
        return {p.name for p in folder.iterdir()}

    failed = _backup(folder, "postgresql://nobody@127.0.0.1:1/x", 2)
    assert failed.returncode != 0
    assert names() == {*older, *others}  # a failed backup deletes nothing, leaves nothing

    done = _backup(folder, admin_dsn, 2)
    assert done.returncode == 0, done.stderr
    made = names() - {*older, *others}
    assert len(made) == 1 and (folder / made.copy().pop() / "manifest.json").exists()
    assert names() == {older[-1], *made, *others}
