"""Which prompt file to play: the caller's language, else the line's, else English.

The app looks at the prompts folder when it can see it (prompts_local_dir: the same disk
as Asterisk, or a mount of it); when it cannot, it trusts that every prompt exists. The
scan is taken again whenever a prompt changes (prompts/watch.py): a recording in a new
language plays from the next call on, with nothing restarted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lifeline_pbx import prompts

log = logging.getLogger(__name__)


def scan(local_dir: Path) -> frozenset[tuple[str, str]]:
    return frozenset(
        (path.parent.name, path.stem) for path in local_dir.glob("*/*.wav") if path.is_file()
    )


class PromptLibrary:
    def __init__(self, asterisk_dir: str, local_dir: Path | None) -> None:
        self.asterisk_dir = asterisk_dir
        self.local_dir = local_dir if local_dir is not None and local_dir.is_dir() else None
        self.available: frozenset[tuple[str, str]] | None = None
        self.refresh()

    def refresh(self) -> None:
        """Look at the folder again (blocking: a glob of a few hundred files)."""
        if self.local_dir is not None:
            self.available = scan(self.local_dir)
            log.info("prompts found count=%d", len(self.available))

    def uri(self, language: str, name: str, default_language: str) -> str:
        if self.available is None:
            return prompts.media_uri(self.asterisk_dir, language, name)
        chosen = prompts.choose_prompt(name, language, default_language, self.available)
        if chosen is None:
            log.warning("prompt missing in every fallback language name=%s", name)
            chosen = (language, name)  # it fails to play, and the call takes the apology path
        return prompts.media_uri(self.asterisk_dir, *chosen)
