"""`lifeline language list|add|edit` and `lifeline prompt coverage|upload|revert`, run
in-process through cli.main against PostgreSQL and a prompts folder: the admin pages' checks
and units of work for scripts, audited with no user, bad input refused with exit status 2,
a message, and nothing saved."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from lifeline_pbx import prompts
from lifeline_pbx.prompts import tones
from tests import cli_run
from tests.audio import make_tone

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A prompts folder where English and Spanish have every prompt (as the synthesis would
    leave it: their languages are synthesised)."""
    short = tones.samples(((440, 0.05),))
    for language in ("en", "es"):
        for name in prompts.concrete_names():
            tones.write_wav(tmp_path / "prompts" / language / f"{name}.wav", short)
    return tmp_path / "prompts"


@pytest.fixture
def lifeline(app_dsn: str, folder: Path) -> Run:
    """`lifeline ...` with the settings a real install has (these commands read them all)."""
    env = {f"LIFELINE_{name}": value for name, value in {
        "DATABASE_URL": app_dsn, "PROMPTS_DIR": str(folder), "ARI_URL": "http://127.0.0.1:9",
        "ARI_USER": "unused", "ARI_PASSWORD": "unused",
        "DATA_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
    }.items()}
    return lambda *argv, **more: cli_run.lifeline_here(*argv, env={**env, **more})


def _sql(dsn: str, query: str) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        con = await asyncpg.connect(dsn)
        try:
            return list(await con.fetch(query))
        finally:
            await con.close()

    return asyncio.run(fetch())


def _audited(dsn: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in _sql(
        dsn, "SELECT user_id, action, entity, entity_id, fields FROM audit_log "
             "WHERE entity IN ('language', 'prompt') ORDER BY id")]


def test_languages_listed_added_and_edited(lifeline: Run, app_dsn: str) -> None:
    code, out = lifeline("language", "list")
    assert code == 0
    listed = {line.split()[0]: line for line in out.splitlines()}
    assert "Spanish" in listed["es"] and "synthesised" in listed["es"]
    assert "Para español, oprima {digit}." in listed["es"]

    code, out = lifeline("language", "add", "ixl", "Ixil", "Tx'ixpu Ixil, {digit}.")
    assert (code, out) == (0, "added language ixl\n")
    code, out = lifeline("language", "list")
    ixil = next(line for line in out.splitlines() if line.startswith("ixl "))
    assert "Ixil" in ixil and "recordings" in ixil and "Tx'ixpu Ixil, {digit}." in ixil

    code, out = lifeline("language", "edit", "ixl", "--name", "Ixil Maya")
    assert (code, out) == (0, "changed name\n")
    code, out = lifeline("language", "edit", "ixl", "--menu-label", "Tx'ixpu Ixil, {digit}.")
    assert (code, out) == (0, "nothing changed\n")
    row = _sql(app_dsn, "SELECT name, menu_label, synthesised FROM languages "
                        "WHERE code = 'ixl'")[0]
    assert tuple(row) == ("Ixil Maya", "Tx'ixpu Ixil, {digit}.", False)
    assert _audited(app_dsn) == [
        (None, "create", "language", "ixl", ["code", "menu_label", "name"]),
        (None, "update", "language", "ixl", ["name"])]


@pytest.mark.parametrize(("argv", "said"), [
    (("language", "add", "Q!", "Q", "q {digit}"), "code"),
    (("language", "add", "es", "Another", "x {digit}"), "taken"),
    (("language", "add", "mam", "Mam2", "no digit here"), "{digit}"),
    (("language", "add", "mam", "", "Mam {digit}"), "name"),
    (("language", "add", "ixl", "k'iche'", "x {digit}"), "name"),
    (("language", "edit", "es", "--menu-label", "{digit} {digit}"), "{digit} once"),
    (("language", "edit", "zzz", "--name", "Nobody"), "language"),
])
def test_bad_languages_are_refused_and_nothing_saved(
        lifeline: Run, app_dsn: str, argv: tuple[str, ...], said: str) -> None:
    before = _sql(app_dsn, "SELECT * FROM languages ORDER BY code")
    code, out = lifeline(*argv)
    assert code == 2 and out.startswith("lifeline: ") and said in out, out
    assert "Traceback" not in out
    assert _sql(app_dsn, "SELECT * FROM languages ORDER BY code") == before
    assert _audited(app_dsn) == []


def test_prompts_covered_uploaded_and_reverted(
        lifeline: Run, app_dsn: str, folder: Path, tmp_path: Path) -> None:
    assert lifeline("language", "add", "ixl", "Ixil", "Tx'ixpu Ixil, {digit}.")[0] == 0
    code, out = lifeline("prompt", "coverage")
    assert code == 0
    covered = {line.split()[0]: line for line in out.splitlines()}
    assert "menu-ready" in covered["es"] and "missing 0" in covered["es"]
    assert "not for a menu, lacks: " in covered["ixl"] and "greeting" in covered["ixl"]
    assert "recorded 0" in covered["ixl"]
    code, out = lifeline("prompt", "coverage", "ixl")
    assert code == 0 and out.splitlines() == [covered["ixl"]]

    mp3 = tmp_path / "greeting.mp3"
    make_tone(mp3, 1.2, 900)
    code, out = lifeline("prompt", "upload", "ixl", "greeting", str(mp3))
    assert (code, out) == (0, "ixl/greeting: recorded (mp3, 1.2 s)\n")
    row = _sql(app_dsn, "SELECT audio, source, recorded_by FROM prompt_recordings")[0]
    assert (row["source"], row["recorded_by"]) == ("upload", None)
    assert (folder / "ixl" / "greeting.wav").read_bytes() == row["audio"]
    code, out = lifeline("prompt", "coverage", "ixl")
    assert "recorded 1" in out and "greeting," not in out

    code, out = lifeline("prompt", "revert", "ixl", "greeting")
    assert (code, out) == (0, "ixl/greeting: missing\n")
    assert not (folder / "ixl" / "greeting.wav").exists()
    assert not _sql(app_dsn, "SELECT 1 FROM prompt_recordings")

    # A synthesised language's prompt goes back to the synthesised one (espeak-ng, for real).
    assert lifeline("prompt", "upload", "es", "greeting", str(mp3))[0] == 0
    code, out = lifeline("prompt", "revert", "es", "greeting")
    assert (code, out) == (0, "es/greeting: synthesised\n")
    synthesised = folder / "es" / "greeting.wav"
    assert synthesised.stat().st_size > 8000  # a spoken sentence, not the 0.05 s test tone
    fields = ["audio", "duration_ms", "original", "original_format", "source"]
    assert _audited(app_dsn)[1:] == [
        (None, "create", "prompt", "ixl/greeting", fields),
        (None, "delete", "prompt", "ixl/greeting", fields),
        (None, "create", "prompt", "es/greeting", fields),
        (None, "delete", "prompt", "es/greeting", fields)]


def test_bad_uploads_and_reverts_are_refused_and_nothing_saved(
        lifeline: Run, app_dsn: str, folder: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("not a sound at all")
    tone = tmp_path / "tone.ogg"
    make_tone(tone, 1.0, 700)
    before = sorted(p.relative_to(folder) for p in folder.glob("*/*.wav"))
    for argv, said in [
        (("prompt", "upload", "es", "greeting", str(text)), "not a sound file"),
        (("prompt", "upload", "es", "greeting", str(tmp_path / "none.wav")), "cannot read"),
        (("prompt", "upload", "es", "Not a name", str(tone)), "prompt"),
        (("prompt", "upload", "zz", "greeting", str(tone)), "no language"),
        (("prompt", "revert", "es", "greeting"), "no recording"),
    ]:
        code, out = lifeline(*argv)
        assert code == 2 and out.startswith("lifeline: ") and said in out, (argv, out)
        assert "Traceback" not in out
    code, out = lifeline("prompt", "upload", "es", "greeting", str(tone),
                         LIFELINE_PROMPTS_DIR=str(tmp_path / "elsewhere"))
    assert code == 2 and "prompts" in out, out
    assert not _sql(app_dsn, "SELECT 1 FROM prompt_recordings")
    assert _audited(app_dsn) == []
    assert sorted(p.relative_to(folder) for p in folder.glob("*/*.wav")) == before
