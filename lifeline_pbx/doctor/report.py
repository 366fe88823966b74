"""One check's outcome, and the report that lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""  # what is wrong (shown when not ok)
    fix: str = ""  # how to put it right


def report(results: Sequence[Check]) -> str:
    lines = []
    for c in results:
        if c.ok:
            lines.append(f"ok    {c.name}")
            continue
        lines.append(f"FAIL  {c.name}: {c.detail}")
        if c.fix:
            lines.append(f"      fix: {c.fix}")
    return "\n".join(lines)
