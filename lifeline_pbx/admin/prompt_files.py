"""The prompt recordings as the app sees them (config prompts_local_dir, else prompts_dir):
which exist, which languages have all of theirs, and the file behind one prompt.

When the folder cannot be seen from here (the app runs apart from Asterisk and nothing is
mounted), every catalogue language is taken as complete, as prompts/library.py trusts
that every prompt exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lifeline_pbx import prompts
from lifeline_pbx.config import Config
from lifeline_pbx.prompts.library import scan

Found = frozenset[tuple[str, str]]


@cache
def language_names() -> dict[str, str]:
    """Code -> the language's name as written in it, for every catalogue language."""
    return {code: language.display_name
            for code, language in prompts.load_catalogue().items()}


@dataclass(frozen=True)
class PromptFiles:
    local_dir: Path | None

    @classmethod
    def of(cls, cfg: Config) -> PromptFiles:
        return cls.at(cfg.prompts_local_dir or cfg.prompts_dir)

    @classmethod
    def at(cls, folder: str) -> PromptFiles:
        """The folder when this process can see it (else: nothing seen, all trusted)."""
        return cls(Path(folder) if folder and Path(folder).is_dir() else None)

    def found(self) -> Found | None:
        """(language, prompt name) of every recording; None when the folder is not seen."""
        return None if self.local_dir is None else scan(self.local_dir)

    def complete_languages(self, found: Found | None) -> frozenset[str]:
        """Catalogue languages with every prompt a caller may hear: only those go on a menu."""
        needed = set(prompts.concrete_names())
        return frozenset(code for code in prompts.LANGUAGES
                         if found is None or needed <= {n for lang, n in found if lang == code})

    def path(self, language: str, name: str) -> Path | None:
        """The WAV file of one prompt, if it exists here (names checked: no path tricks)."""
        if self.local_dir is None:
            return None
        try:
            prompts.media_uri("/", language, name)
        except ValueError:
            return None
        file = self.local_dir / language / f"{name}.wav"
        return file if file.is_file() else None
