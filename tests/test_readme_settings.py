"""README's settings table says it has every setting: it does (every field of Config)."""

from __future__ import annotations

import dataclasses
import re

from lifeline_pbx.config import Config
from lifeline_pbx.paths import HOME

SECTION = "### Settings"


def settings_in_readme() -> set[str]:
    """The names in the first column of the table under "Settings"."""
    text = (HOME / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n#", len(SECTION))]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([a-z_]+)`", row)}


def test_the_readme_settings_table_has_every_setting() -> None:
    fields = {f.name for f in dataclasses.fields(Config)}
    assert sorted(fields - settings_in_readme()) == []
    assert sorted(settings_in_readme() - fields) == []  # and nothing that is not one
