"""Which prompts a language has (recorded, synthesised, missing), and the rule that keeps a
language without its prompts off a line's menu: the pure function, and the database's
trigger that holds every writer of line_languages to the same rule."""

from __future__ import annotations

import asyncpg
import pytest

from lifeline_pbx import prompts
from lifeline_pbx.cases.forms import CALLER_LANGUAGES
from lifeline_pbx.prompts import coverage, store
from lifeline_pbx.prompts.coverage import Known, State
from tests.pg_fixtures import connect

STATES = {
    "a recording wins over everything": (dict(recorded=True, on_disk=False, synthesised=True),
                                         State.RECORDED),
    "synthesised language, file there": (dict(recorded=False, on_disk=True, synthesised=True),
                                         State.SYNTHESISED),
    "synthesised language, folder unseen": (dict(recorded=False, on_disk=None,
                                                 synthesised=True), State.SYNTHESISED),
    "synthesised language, file deleted": (dict(recorded=False, on_disk=False,
                                                synthesised=True), State.MISSING),
    "recorded-only language, nothing": (dict(recorded=False, on_disk=None, synthesised=False),
                                        State.MISSING),
    "a stray file is not a recording": (dict(recorded=False, on_disk=True, synthesised=False),
                                        State.MISSING),
}


@pytest.mark.parametrize("given,expected", STATES.values(), ids=STATES.keys())
def test_state(given: dict[str, bool | None], expected: State) -> None:
    assert coverage.state(recorded=bool(given["recorded"]), on_disk=given["on_disk"],
                          synthesised=bool(given["synthesised"])) is expected


ALL_BUT_GREETING = frozenset(coverage.required("2", "9")) - {"greeting"}
MISSING = {
    "synthesised: nothing missing": (Known(True, frozenset(), None), "2", ()),
    "nothing recorded: every required prompt": (
        Known(False, frozenset(), None), "2", coverage.required("2", "9")),
    "all but the greeting": (Known(False, ALL_BUT_GREETING, None), "2", ("greeting",)),
    "recorded for digit 2, asked at digit 3": (
        Known(False, frozenset(coverage.required("2", "9")), None), "3", ("language-choice-3",)),
    "a line's only language says no menu entry": (
        Known(False, frozenset(coverage.required(None, "9")), None), None, ()),
}


@pytest.mark.parametrize("known,digit,expected", MISSING.values(), ids=MISSING.keys())
def test_missing_for(known: Known, digit: str | None, expected: tuple[str, ...]) -> None:
    assert coverage.missing_for(known, digit, "9") == expected


EVERY = frozenset(prompts.concrete_names())
READY = {
    "synthesised, folder unseen": (Known(True, frozenset(), None), True),
    "synthesised, every file": (Known(True, frozenset(), EVERY), True),
    "synthesised, a file deleted": (Known(True, frozenset(), EVERY - {"goodbye"}), False),
    "recorded for one key and one triage key": (
        Known(False, frozenset(coverage.required("4", "7")), None), True),
    "no menu entry for any key": (
        Known(False, frozenset(coverage.required(None, "7")), None), False),
    "no triage question for any key": (
        Known(False, frozenset(coverage.required("4", "7")) - {"triage-7"}, None), False),
    "nothing recorded": (Known(False, frozenset(), None), False),
}


@pytest.mark.parametrize("known,expected", READY.values(), ids=READY.keys())
def test_menu_ready(known: Known, expected: bool) -> None:
    """What a line's form offers: a language that could sit at some key of some menu."""
    assert coverage.menu_ready(known) is expected


def test_required_is_every_unnumbered_prompt_and_the_lines_digits() -> None:
    needed = coverage.required("4", "7")
    assert set(needed) <= set(prompts.concrete_names())
    assert "language-choice-4" in needed and "triage-7" in needed
    assert not [n for n in needed if prompts.base_name(n) in coverage.NUMBERED]


def test_table_covers_every_prompt_and_language() -> None:
    rows = coverage.table({"es": Known(True, frozenset({"greeting"}), frozenset()),
                           "quc": Known(False, frozenset(), None)})
    assert [row.name for row in rows] == list(prompts.PROMPT_NAMES)
    greeting = rows[0].cells
    assert greeting["es"] == (("greeting", State.RECORDED),)
    assert greeting["quc"] == (("greeting", State.MISSING),)
    waits = next(row for row in rows if row.name == "queue-wait").cells["es"]
    assert len(waits) == 60 and coverage.counts(waits)[State.MISSING] == 60


# The same rule in the database


async def test_the_table_marks_the_catalogues_languages_synthesised(app_dsn: str) -> None:
    """prompts.LANGUAGES are the catalogue's files (prompts/<code>.toml); the table, the one
    list of languages, marks the same ones as synthesised."""
    async with connect(app_dsn) as con:
        marked = await con.fetch("SELECT code FROM languages WHERE synthesised")
    assert {r["code"] for r in marked} == set(prompts.LANGUAGES)


async def test_every_language_an_intake_records_is_in_the_table(app_dsn: str) -> None:
    """The intake's list stays in code (docs/decisions.md) but speaks the table's codes."""
    async with connect(app_dsn) as con:
        codes = {r["code"] for r in await con.fetch("SELECT code FROM languages")}
    assert {code for code, _ in CALLER_LANGUAGES} - codes == {"other"}


async def test_database_rule_matches_the_pure_one(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        for digit, triage in (("1", "9"), ("4", "0")):
            in_sql = await con.fetchval("SELECT prompts_required($1, $2)", digit, triage)
            assert tuple(in_sql) == coverage.required(digit, triage)


async def _missing(con: asyncpg.Connection, language: str, digit: str, triage: str
                   ) -> list[str]:
    return list(await con.fetchval("SELECT prompts_missing($1, $2, $3)", language, digit,
                                   triage))


async def _record(con: asyncpg.Connection, language: str, names: tuple[str, ...]) -> None:
    await con.executemany(
        """INSERT INTO prompt_recordings (language, name, audio, original, original_format,
                                          duration_ms, source)
           VALUES ($1, $2, 'RIFF', 'RIFF', 'wav', 1000, 'upload')""",
        [(language, name) for name in names])


async def test_a_language_without_prompts_cannot_go_on_a_menu(app_dsn: str) -> None:
    async with connect(app_dsn) as con:
        line = await con.fetchrow("SELECT id, triage_digit FROM lines ORDER BY id LIMIT 1")
        assert line is not None
        add = ("INSERT INTO line_languages (line_id, position, language, digit) "
               "VALUES ($1, 9, $2, '8')")
        assert await _missing(con, "quc", "8", line["triage_digit"]) == list(
            coverage.required("8", line["triage_digit"]))
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await con.execute(add, line["id"], "quc")
        assert refused.value.constraint_name == store.MENU_CONSTRAINT
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await con.execute(add, line["id"], "xx")
        needed = coverage.required("8", line["triage_digit"])
        await _record(con, "quc", needed[:-1])
        with pytest.raises(asyncpg.CheckViolationError):  # one still missing
            await con.execute(add, line["id"], "quc")
        await _record(con, "quc", needed[-1:])
        assert await _missing(con, "quc", "8", line["triage_digit"]) == []
        await con.execute(add, line["id"], "quc")
        # Now the menu needs them: neither the recording nor a new triage digit may break it.
        with pytest.raises(asyncpg.CheckViolationError) as kept:
            await con.execute("DELETE FROM prompt_recordings WHERE language = 'quc' "
                              "AND name = 'greeting'")
        assert kept.value.constraint_name == store.NEEDED_CONSTRAINT
        with pytest.raises(asyncpg.CheckViolationError):
            await con.execute("UPDATE lines SET triage_digit = '0' WHERE id = $1", line["id"])
        # A synthesised language goes on without recordings.
        await con.execute("DELETE FROM line_languages WHERE line_id = $1 AND language = 'pt'",
                          line["id"])
        await con.execute(add.replace("9, $2, '8'", "10, $2, '7'"), line["id"], "pt")
