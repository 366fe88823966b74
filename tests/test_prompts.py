"""The prompt catalogue: complete in every language, variants expanded, fallback order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifeline_pbx import prompts
from lifeline_pbx.prompts import PromptCatalogueError, choose_prompt, media_uri

AVAILABLE = frozenset(
    {
        ("en", "greeting"),
        ("es", "greeting"),
        ("en", "triage-1"),
        ("fr", "triage-1"),
        ("ht", "goodbye"),
    }
)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, prompts.Language]:
    return prompts.load_catalogue()


@pytest.fixture(scope="module")
def rendered(catalogue: prompts.Catalogue) -> dict[tuple[str, str], str]:
    return prompts.rendered_prompts(catalogue)


@pytest.mark.parametrize(
    ("name", "language", "default", "expected"),
    [
        ("greeting", "es", "en", ("es", "greeting")),  # the caller's language
        ("greeting", "fr", "es", ("es", "greeting")),  # else the line's default
        ("greeting", "fr", "pt", ("en", "greeting")),  # else English
        ("triage-1", "fr", "es", ("fr", "triage-1")),
        ("triage-1", "ht", "cmn", ("en", "triage-1")),
        ("goodbye", "es", "en", None),  # nowhere to fall back to
        ("goodbye", "es", "ht", ("ht", "goodbye")),
        ("no-such-prompt", "en", "en", None),
    ],
)
def test_choose_prompt(
    name: str, language: str, default: str, expected: tuple[str, str] | None
) -> None:
    assert choose_prompt(name, language, default, AVAILABLE) == expected


@pytest.mark.parametrize(
    ("prompts_dir", "language", "name", "expected"),
    [
        (
            "/var/lib/lifeline-pbx/prompts",
            "es",
            "greeting",
            "sound:/var/lib/lifeline-pbx/prompts/es/greeting",
        ),
        ("/srv/prompts/", "cmn", "queue-wait-12", "sound:/srv/prompts/cmn/queue-wait-12"),
    ],
)
def test_media_uri(prompts_dir: str, language: str, name: str, expected: str) -> None:
    assert media_uri(prompts_dir, language, name) == expected


@pytest.mark.parametrize(
    ("language", "name"), [("..", "greeting"), ("en", "../../etc/x"), ("en", "")]
)
def test_media_uri_refuses_paths(language: str, name: str) -> None:
    with pytest.raises(ValueError):
        media_uri("/p", language, name)


def test_every_shipped_language_is_loaded(catalogue: prompts.Catalogue) -> None:
    shipped = {path.stem for path in prompts.PROMPTS_DIR.glob("*.toml")}
    assert shipped == set(prompts.LANGUAGES) == set(catalogue)
    for code, language in catalogue.items():
        assert language.code == code
        assert language.display_name.strip() and language.voice.strip()


@pytest.mark.parametrize("code", prompts.LANGUAGES)
def test_every_language_has_every_prompt(catalogue: prompts.Catalogue, code: str) -> None:
    assert set(catalogue[code].texts) == set(prompts.PROMPT_NAMES)


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("language-choice", 9),
        ("triage", 9),
        ("queue-position", 20),
        ("queue-wait", 60),
        ("goodbye", 1),
        ("next-open-day", 9),
        ("next-open-time", 96),
    ],
)
def test_variants_expand(rendered: dict[tuple[str, str], str], name: str, count: int) -> None:
    for code in prompts.LANGUAGES:
        names = {n for (lang, n) in rendered if lang == code and prompts.base_name(n) == name}
        assert names == set(prompts.variant_names(name))
        assert len(names) == count


def test_every_language_renders_every_concrete_name(rendered: dict[tuple[str, str], str]) -> None:
    expected = {(code, name) for code in prompts.LANGUAGES for name in prompts.concrete_names()}
    assert set(rendered) == expected


def test_texts_are_filled_in_and_not_empty(rendered: dict[tuple[str, str], str]) -> None:
    for key, text in rendered.items():
        assert text.strip(), key
        assert "{" not in text and "}" not in text, key


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            ("en", "triage-3"),
            "If someone is in danger now, press 3.",
        ),
        (("en", "next-open-time-930"), "at 9:30."),
        (("en", "next-open-time-0"), "at 0:00."),
        (("en", "next-open-day-0"), "We open again on Monday,"),
        (("en", "next-open-day-8"), "We open again tomorrow,"),
        (("en", "language-choice-2"), "For English, press 2."),
        (("en", "queue-position-7"), "You are number 7 in line."),
        (("en", "queue-wait-12"), "The expected wait is about 12 minutes."),
        (("en", "queue-wait-1"), "The expected wait is about 1 minute."),  # an override
        (("fr", "queue-wait-1"), "L'attente est d'environ une minute."),
    ],
)
def test_rendered_text(
    rendered: dict[tuple[str, str], str], key: tuple[str, str], expected: str
) -> None:
    assert rendered[key] == expected


@pytest.mark.parametrize("code", prompts.LANGUAGES)
def test_variant_values_are_spoken(rendered: dict[tuple[str, str], str], code: str) -> None:
    for digit in range(1, 10):
        assert str(digit) in rendered[(code, f"language-choice-{digit}")]
        assert str(digit) in rendered[(code, f"triage-{digit}")]


@pytest.mark.parametrize("code", prompts.LANGUAGES)
def test_every_day_of_the_next_opening_is_named(catalogue: prompts.Catalogue,
                                                rendered: dict[tuple[str, str], str],
                                                code: str) -> None:
    """A day's name is not its number: each language writes all nine (weekdays, today,
    tomorrow) in [overrides], each a different text."""
    days = prompts.variant_names("next-open-day")
    assert set(days) <= set(catalogue[code].overrides)
    assert len({rendered[(code, day)] for day in days}) == len(days)


def _write(directory: Path, body: str) -> Path:
    path = directory / "xx.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _complete_body(**changes: str) -> str:
    texts = {name: "Text." for name in prompts.PROMPT_NAMES}
    texts.update({name: f"Say {{{v.placeholder}}}." for name, v in prompts.VARIANTS.items()})
    texts.update(changes)
    lines = "\n".join(f'{name} = "{text}"' for name, text in texts.items())
    return f'display_name = "X"\nvoice = "en"\n[prompts]\n{lines}\n'


def test_load_language_accepts_a_complete_file(tmp_path: Path) -> None:
    language = prompts.load_language(_write(tmp_path, _complete_body()))
    assert language.code == "xx" and language.overrides == {}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_complete_body().replace('goodbye = "Text."\n', ""), "missing prompts ['goodbye']"),
        (_complete_body() + 'extra = "Hi."\n', "unknown prompts ['extra']"),
        (_complete_body(triage="Press now."), "placeholders []"),
        (_complete_body(goodbye="Bye {digit}."), "placeholders ['digit']"),
        (_complete_body(greeting=" "), "is empty"),
        (_complete_body() + '[overrides]\ntriage-10 = "No."\n', "unknown overrides ['triage-10']"),
        ('voice = "en"\n[prompts]\n', "'display_name' must be a non-empty string"),
        ("display_name = ", "xx.toml"),
    ],
)
def test_load_language_rejects(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(PromptCatalogueError, match=re.escape(problem)):
        prompts.load_language(_write(tmp_path, body))


def test_load_catalogue_rejects_unknown_language() -> None:
    with pytest.raises(PromptCatalogueError, match="unknown languages"):
        prompts.load_catalogue(languages=["en", "tlh"])
