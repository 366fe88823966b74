"""The catalogue of voice prompts: the text of every prompt in every language, and which
recording to play.

The texts live in `prompts/<language>.toml` at the repo root, one file per language:

    display_name = "English"      # the language's name, written in that language
    voice = "en-us"               # the espeak-ng voice that reads the texts

    [prompts]                     # exactly the keys of PROMPT_NAMES
    greeting = "You have reached ..."
    language-choice = "For English, press {digit}."

    [overrides]                   # optional: the text of one concrete variant, for grammar
    queue-wait-1 = "The expected wait is about 1 minute."

Prompts with a placeholder ({digit}, {position}, {minutes}) are rendered once per value
(see VARIANTS), as `<name>-<value>`: `triage-3`, `queue-wait-12`. Nothing here touches the
disk except `load_catalogue`; `synthesis` turns the texts into audio files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lifeline_pbx.errors import LifelineError
from lifeline_pbx.paths import HOME

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "ht", "pt", "cmn")
FALLBACK_LANGUAGE = "en"
PROMPTS_DIR = HOME / "prompts"

PROMPT_NAMES: tuple[str, ...] = (
    "greeting",
    "not-in-service",
    "technical-difficulty",
    "goodbye",
    "language-choice",
    "invalid-choice",
    "confidentiality",
    "recording-notice",
    "triage",
    "please-hold",
    "queue-position",
    "queue-wait",
    "voicemail-closed",
    "voicemail-busy",
    "voicemail-thanks",
    "accept-call",
    "confidentiality-short",
    "recording-short",
    "next-open-day",
    "next-open-time",
    "voicemail-offer",
    "operator-lost",
)


def clock(hhmm: int) -> str:
    """930 -> "9:30": how a time is written for the synthesiser to read it."""
    return f"{hhmm // 100}:{hhmm % 100:02d}"


@dataclass(frozen=True)
class Variant:
    """A prompt rendered once per value of its placeholder."""

    placeholder: str
    values: Sequence[int]
    spoken: Callable[[int], str] = str  # the value as written into the text


# The next opening's time, to the quarter hour (calls/hours.spoken_opening): 0 to 2345.
QUARTER_HOURS = tuple(hour * 100 + minute for hour in range(24) for minute in (0, 15, 30, 45))


VARIANTS: Mapping[str, Variant] = {
    "language-choice": Variant("digit", range(1, 10)),
    "triage": Variant("digit", range(1, 10)),
    "queue-position": Variant("position", range(1, 21)),
    "queue-wait": Variant("minutes", range(1, 61)),
    # 0-6 the weekdays, 7 today, 8 tomorrow: every language gives each one's text in
    # [overrides] (a day's name is not the number).
    "next-open-day": Variant("day", range(9)),
    "next-open-time": Variant("time", QUARTER_HOURS, clock),
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SAFE_PART = re.compile(r"[a-z0-9][a-z0-9-]*")


class PromptCatalogueError(LifelineError):
    """A prompts/<language>.toml file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class Language:
    """One language of the catalogue: its prompt texts and the voice that reads them."""

    code: str
    display_name: str
    voice: str
    texts: Mapping[str, str]
    overrides: Mapping[str, str] = field(default_factory=dict)


Catalogue = Mapping[str, Language]


def variant_names(name: str) -> tuple[str, ...]:
    """The concrete prompt names a base name stands for: itself, or one per variant value."""
    variant = VARIANTS.get(name)
    if variant is None:
        return (name,)
    return tuple(f"{name}-{value}" for value in variant.values)


def concrete_names() -> tuple[str, ...]:
    """Every prompt name a recording exists for, variants expanded."""
    return tuple(concrete for name in PROMPT_NAMES for concrete in variant_names(name))


def base_name(concrete: str) -> str:
    """The PROMPT_NAMES entry a concrete name was rendered from (`triage-3` -> `triage`)."""
    for name in PROMPT_NAMES:
        if concrete == name or concrete in variant_names(name):
            return name
    raise KeyError(concrete)


def load_catalogue(
    directory: Path = PROMPTS_DIR, languages: Iterable[str] | None = None
) -> dict[str, Language]:
    """Read and check `<directory>/<code>.toml` for each language (default: all LANGUAGES)."""
    codes = LANGUAGES if languages is None else tuple(languages)
    unknown = sorted(set(codes) - set(LANGUAGES))
    if unknown:
        raise PromptCatalogueError(f"unknown languages {unknown}; known: {list(LANGUAGES)}")
    return {code: load_language(directory / f"{code}.toml") for code in codes}


def load_language(path: Path) -> Language:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PromptCatalogueError(f"{path}: {exc}") from exc
    language = Language(
        code=path.stem,
        display_name=_string(data, "display_name", path),
        voice=_string(data, "voice", path),
        texts=_table(data, "prompts", path),
        overrides=_table(data, "overrides", path, required=False),
    )
    check_language(language, str(path))
    return language


def _string(data: Mapping[str, object], key: str, path: Path) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PromptCatalogueError(f"{path}: {key!r} must be a non-empty string")
    return value


def _table(
    data: Mapping[str, object], key: str, path: Path, *, required: bool = True
) -> dict[str, str]:
    table = data.get(key, None if required else {})
    if not isinstance(table, dict):
        raise PromptCatalogueError(f"{path}: [{key}] table missing")
    texts: dict[str, str] = {}
    for name, text in table.items():
        if not isinstance(text, str):
            raise PromptCatalogueError(f"{path}: [{key}] {name!r} must be a string")
        texts[name] = text
    return texts


def check_language(language: Language, where: str) -> None:
    """Every prompt present and non-empty, no strays, and exactly the expected placeholders."""
    missing = [name for name in PROMPT_NAMES if name not in language.texts]
    stray = sorted(set(language.texts) - set(PROMPT_NAMES))
    stray_overrides = sorted(set(language.overrides) - set(concrete_names()))
    if missing or stray or stray_overrides:
        raise PromptCatalogueError(
            f"{where}: missing prompts {missing}, unknown prompts {stray}, "
            f"unknown overrides {stray_overrides}"
        )
    for name, text in language.texts.items():
        variant = VARIANTS.get(name)
        _check_text(where, name, text, {variant.placeholder} if variant else set())
    for name, text in language.overrides.items():
        _check_text(where, name, text, set())


def _check_text(where: str, name: str, text: str, placeholders: set[str]) -> None:
    if not text.strip():
        raise PromptCatalogueError(f"{where}: prompt {name!r} is empty")
    found = set(_PLACEHOLDER.findall(text))
    if found != placeholders:
        raise PromptCatalogueError(
            f"{where}: prompt {name!r} has placeholders {sorted(found)}, "
            f"expected {sorted(placeholders)}"
        )


def rendered_prompts(catalogue: Catalogue) -> dict[tuple[str, str], str]:
    """(language, concrete prompt name) -> the text to speak, every variant expanded."""
    rendered: dict[tuple[str, str], str] = {}
    for code, language in catalogue.items():
        for name, text in language.texts.items():
            rendered.update(
                ((code, concrete), spoken)
                for concrete, spoken in _render(name, text, language.overrides).items()
            )
    return rendered


def shipped_texts() -> dict[tuple[str, str], str]:
    """What every file synthesised from the shipped catalogue says (reads PROMPTS_DIR)."""
    return rendered_prompts(load_catalogue())


def _render(name: str, text: str, overrides: Mapping[str, str]) -> dict[str, str]:
    variant = VARIANTS.get(name)
    if variant is None:
        return {name: overrides.get(name, text)}
    token = "{" + variant.placeholder + "}"
    return {
        concrete: overrides.get(concrete, text.replace(token, variant.spoken(value)))
        for concrete, value in zip(variant_names(name), variant.values, strict=True)
    }


def choose_prompt(
    name: str,
    language: str,
    default_language: str,
    available: frozenset[tuple[str, str]],
) -> tuple[str, str] | None:
    """The (language, name) to play: the caller's language, else the line's, else English."""
    for candidate in (language, default_language, FALLBACK_LANGUAGE):
        if (candidate, name) in available:
            return (candidate, name)
    return None


def media_uri(prompts_dir: str, language: str, name: str) -> str:
    """The ARI `media` value for a prompt file (an absolute path, no extension)."""
    for part in (language, name):
        if not _SAFE_PART.fullmatch(part):
            raise ValueError(f"not a prompt language or name: {part!r}")
    return f"sound:{prompts_dir.rstrip('/')}/{language}/{name}"
