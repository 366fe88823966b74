"""Reading one field at a time from a submitted form, collecting a message per bad field.

A Reader wraps the form's multidict; each method returns a clean value (or a safe
default) and records a message under the field's name when the input is refused, so a
whole form is checked in one pass and every problem is shown at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import TypeAlias

from multidict import MultiMapping

# Limits on text fields, in characters.
SHORT = 200  # names, country, family name, relation
PHONE = 40
NOTE = 2_000  # needs note, family message, follow-up
NARRATIVE = 20_000
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


# What aiohttp's forms (as strings) and multidict.MultiDict in tests offer.
FormData: TypeAlias = MultiMapping[str]


def _printable(text: str) -> bool:
    """No control characters except newlines and tabs (typed text, not binary)."""
    return all(ch.isprintable() or ch in "\n\t" for ch in text)


class Reader:
    def __init__(self, data: FormData, today: dt.date | None = None) -> None:
        self.data = data
        self.errors: dict[str, str] = {}
        self.today = today or dt.date.today()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def raw(self, name: str) -> str:
        value = self.data.get(name, "")
        return value if isinstance(value, str) else ""

    def text(self, name: str, label: str, limit: int, *, required: bool = False,
             multiline: bool = False) -> str:
        value = self.raw(name).replace("\r\n", "\n").strip()
        if len(value) > limit:
            self.fail(name, f"{label} is too long: at most {limit:,} characters "
                            f"(this has {len(value):,}).")
            return ""
        if not _printable(value) or (not multiline and "\n" in value):
            self.fail(name, f"{label} contains characters that cannot be stored.")
            return ""
        if required and not value:
            self.fail(name, f"Enter {label.lower()}.")
        return value

    def lines(self, name: str, label: str, limit: int, most: int) -> tuple[str, ...]:
        """One entry per line, blank lines dropped, duplicates (ignoring case) once."""
        block = self.text(name, label, limit * most, multiline=True)
        entries = [line.strip() for line in block.split("\n") if line.strip()]
        if len(entries) > most:
            self.fail(name, f"{label}: at most {most} lines.")
        elif any(len(entry) > limit for entry in entries):
            self.fail(name, f"{label}: each line at most {limit} characters.")
        unique: dict[str, str] = {}
        for entry in entries:
            unique.setdefault(entry.casefold(), entry)
        return tuple(unique.values())

    def date(self, name: str, label: str, *, not_after_today: bool = False) -> dt.date | None:
        value = self.raw(name).strip()
        if not value:
            return None
        try:
            day = dt.date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.fail(name, f"{label}: give a date as YYYY-MM-DD.")
        elif not EARLIEST <= day <= LATEST:
            self.fail(name, f"{label}: {value} is out of range.")
        elif not_after_today and day > self.today:
            self.fail(name, f"{label} cannot be in the future.")
        else:
            return day
        return None

    def choice(self, name: str, label: str, allowed: Sequence[str], *,
               required: bool = True, default: str = "") -> str:
        value = self.raw(name).strip() or default
        if not value and not required:
            return ""
        if value not in allowed:
            self.fail(name, f"Choose {label.lower()}.")
            return ""
        return value

    def ident(self, name: str, label: str, allowed: Collection[int], *,
              required: bool = False) -> int | None:
        value = self.raw(name).strip()
        if not value:
            if required:
                self.fail(name, f"Choose {label.lower()}.")
            return None
        if not value.isascii() or not value.isdigit() or int(value) not in allowed:
            self.fail(name, f"Choose {label.lower()} from the list.")
            return None
        return int(value)

    def idents(self, name: str, label: str, allowed: Collection[int]) -> tuple[int, ...]:
        chosen: list[int] = []
        for value in self.data.getall(name, []):
            if not value.isascii() or not value.isdigit() or int(value) not in allowed:
                self.fail(name, f"{label}: unknown choice.")
                return ()
            chosen.append(int(value))
        return tuple(dict.fromkeys(chosen))

    def several(self, name: str, label: str, allowed: Collection[str]) -> tuple[str, ...]:
        """Ticked boxes (or a multiple select): each value from allowed, each once."""
        chosen = [v for v in self.data.getall(name, []) if isinstance(v, str)]
        if any(value not in allowed for value in chosen):
            self.fail(name, f"{label}: unknown choice.")
            return ()
        return tuple(dict.fromkeys(chosen))

    def flag(self, name: str) -> bool:
        return self.raw(name) in ("on", "true", "1", "yes")

    def uuid(self, name: str, label: str, *, required: bool = False) -> uuid.UUID | None:
        value = self.raw(name).strip()
        if not value:
            if required:
                self.fail(name, f"{label} is missing.")
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.fail(name, f"{label} is not valid.")
            return None
