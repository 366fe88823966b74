"""Render asterisk-conf/ and dialplan/ into a directory Asterisk reads.

The same renderer serves production (`lifeline asterisk-config`), the demo stack and the
tests, so what the tests run is what ships. Placeholders are words between @ signs;
Asterisk's own syntax never uses that form, so no escaping is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from lifeline_pbx.errors import ConfigError
from lifeline_pbx.paths import HOME

SHIPPED_SOURCES = (HOME / "asterisk-conf", HOME / "dialplan")
PLACEHOLDER = re.compile(r"@([a-z_]+)@")


def render_text(text: str, values: Mapping[str, str], source: str = "<text>") -> str:
    missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise ConfigError(missing[0], f"no value to render {source}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_tree(
    sources: Sequence[Path], out_dir: Path, values: Mapping[str, str]
) -> list[Path]:
    """Write every *.conf of the sources into out_dir; a later source overrides an earlier one."""
    chosen: dict[str, Path] = {}
    for source in sources:
        for path in sorted(source.glob("*.conf")):
            chosen[path.name] = path
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in sorted(chosen.items()):
        target = out_dir / name
        target.write_text(render_text(path.read_text(), values, str(path)))
        written.append(target)
    return written


def directories(base: str) -> dict[str, str]:
    """Asterisk's directories for an instance whose private files live under base."""
    return {
        "astetcdir": f"{base}/etc",
        "astvarlibdir": f"{base}/lib",
        "astspooldir": f"{base}/spool",
        "astrundir": f"{base}/run",
        "astlogdir": f"{base}/log",
    }
