"""Which prompts a language has, decided without I/O: recorded, synthesised or missing.

A prompt of a language is *recorded* when an admin uploaded or phoned in a recording for it
(the database holds it), *synthesised* when the app made it from the catalogue's text (the
language is one of prompts/<code>.toml), else *missing*: a caller choosing that language
then hears that prompt in the line's default language, or in English.

A language can go on a line's menu only when none of the prompts a caller who picks it
hears in it is missing (`required`); the database enforces the same rule (migrations/0021,
prompts_required), so every writer of line_languages is held to it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from lifeline_pbx import prompts


class State(Enum):
    RECORDED = "recorded"
    SYNTHESISED = "synthesised"
    MISSING = "missing"


# Prompts a caller never hears in a chosen language but through a number (the numbered
# queue announcements, the next opening a closed line tells in its default language): they
# fall back to the line's default language when missing.
NUMBERED = frozenset({"queue-position", "queue-wait", "next-open-day", "next-open-time"})
# Prompts with one variant per digit: only the variant of the line's digit is required.
BY_DIGIT = ("language-choice", "triage")
# Prompts added after admins could record languages of their own: a language without one
# stays on its menus (the database's prompts_required does not list them), and its callers
# hear it in the line's default language, or in English.
LATER = frozenset({"operator-lost"})
UNNUMBERED: tuple[str, ...] = tuple(n for n in prompts.PROMPT_NAMES
                                    if n not in prompts.VARIANTS and n not in LATER)


DIGITS = tuple(str(value) for value in prompts.VARIANTS["language-choice"].values)


def required(digit: str | None, triage_digit: str) -> tuple[str, ...]:
    """The prompts a language needs to sit at `digit` of a menu whose triage key is
    `triage_digit` (the same list as the database's prompts_required). `digit` None: the
    line's only language, with no menu entry to say."""
    entry = () if digit is None else (f"language-choice-{digit}",)
    return (*UNNUMBERED, *entry, f"triage-{triage_digit}")


def state(*, recorded: bool, on_disk: bool | None, synthesised: bool) -> State:
    """One prompt of one language. `on_disk` is None when this process cannot see the
    prompts folder: a synthesised language is then trusted to have its files."""
    if recorded:
        return State.RECORDED
    if synthesised and on_disk is not False:
        return State.SYNTHESISED
    return State.MISSING


@dataclass(frozen=True)
class Known:
    """What is known about one language's prompts: where they come from, and what exists."""

    synthesised: bool  # the catalogue has its texts and a voice
    recorded: frozenset[str]  # concrete names with a recording in the database
    on_disk: frozenset[str] | None  # concrete names with a file Asterisk can play


def of(known: Known, name: str) -> State:
    on_disk = None if known.on_disk is None else name in known.on_disk
    return state(recorded=name in known.recorded, on_disk=on_disk,
                 synthesised=known.synthesised)


def missing(known: Known, names: Iterable[str]) -> tuple[str, ...]:
    """The names among `names` that the language lacks, in their order."""
    return tuple(name for name in names if of(known, name) is State.MISSING)


def missing_for(known: Known, digit: str | None = "1", triage_digit: str = "9"
                ) -> tuple[str, ...]:
    """What keeps the language off a line's menu at `digit` (empty: it may go on)."""
    return missing(known, required(digit, triage_digit))


def menu_ready(known: Known) -> bool:
    """Whether the language could sit on some menu: every prompt without a number, and the
    menu entry and the triage question for at least one key each (what a line's form
    offers; the line's own keys are checked when it is saved)."""
    def has(name: str) -> bool:
        return of(known, name) is not State.MISSING

    return (all(has(name) for name in UNNUMBERED)
            and any(has(f"language-choice-{d}") for d in DIGITS)
            and any(has(f"triage-{d}") for d in DIGITS))


@dataclass(frozen=True)
class Row:
    """One prompt (its base name) across the languages: the state of each variant."""

    name: str
    cells: Mapping[str, tuple[tuple[str, State], ...]]  # language -> (concrete name, state)


def table(languages: Mapping[str, Known]) -> list[Row]:
    """Every prompt of the catalogue x every language, variants listed under their prompt."""
    return [
        Row(base, {code: tuple((name, of(known, name)) for name in prompts.variant_names(base))
                   for code, known in languages.items()})
        for base in prompts.PROMPT_NAMES
    ]


def counts(cells: Collection[tuple[str, State]]) -> dict[State, int]:
    """How many variants are in each state (for a cell that stands for several)."""
    found = {kind: 0 for kind in State}
    for _name, kind in cells:
        found[kind] += 1
    return found
