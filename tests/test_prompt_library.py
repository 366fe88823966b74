"""Which file plays: the caller's language, else the line's, else English; never nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline_pbx.prompts.library import PromptLibrary

FILES = ("es/greeting", "en/greeting", "en/goodbye", "ht/greeting", "tones/beep")
CASES = {
    "the caller's language": (("ht", "greeting", "es"), "ht/greeting"),
    "missing: the line's default": (("fr", "greeting", "es"), "es/greeting"),
    "missing in both: English": (("fr", "goodbye", "es"), "en/goodbye"),
    "tones are found by their folder": (("tones", "beep", "es"), "tones/beep"),
}


@pytest.mark.parametrize("ask,played", CASES.values(), ids=CASES.keys())
def test_fallback(tmp_path: Path, ask: tuple[str, str, str], played: str) -> None:
    for name in FILES:
        (tmp_path / f"{name}.wav").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{name}.wav").write_bytes(b"RIFF")
    library = PromptLibrary("/var/lib/lifeline-pbx/prompts", tmp_path)
    assert library.uri(*ask) == f"sound:/var/lib/lifeline-pbx/prompts/{played}"


def test_unseen_folder_trusts_every_prompt(tmp_path: Path) -> None:
    library = PromptLibrary("/prompts", tmp_path / "not-mounted-here")
    assert library.uri("pt", "greeting", "en") == "sound:/prompts/pt/greeting"
