"""What a facility may be: pure checks of the facility form and of a CSV import.

Each parser returns the values to save or raises Invalid naming each field (or, for a CSV
file, each line) that cannot be taken. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from lifeline_pbx.admin.forms import name_problem, text
from lifeline_pbx.errors import Invalid

MAX_TEXT = 200
MAX_ADDRESS = 500
MAX_NOTES = 2000
MAX_IMPORT_ROWS = 1000
CSV_COLUMNS = ("name", "city", "state", "contractor")  # and optionally timezone
CSV_FIELD = "file"

# U.S. states and territories by postal code, with the time zone most of each keeps; a
# facility elsewhere in a state with two (El Paso, TX; the Florida panhandle) is corrected
# on its page.
STATE_ZONES: Mapping[str, str] = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/Kentucky/Louisville",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "GU": "Pacific/Guam", "VI": "America/St_Thomas",
    "MP": "Pacific/Saipan", "AS": "Pacific/Pago_Pago",
}

Form = Mapping[str, Any]


@dataclass(frozen=True)
class FacilityFields:
    """What an admin sets on a facility (the fields audited by these names)."""

    name: str
    city: str
    state: str
    address: str
    contractor: str
    timezone: str
    notes: str


@cache
def zones() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted (the form's suggestions)."""
    return tuple(sorted(available_timezones()))


def zone_problem(name: str) -> str | None:
    if name not in zones():
        return (f"'{name[:64]}' is not a time zone: use an IANA name such as "
                "'America/Chicago'.")
    return None


def state_problem(state: str) -> str | None:
    if state not in STATE_ZONES:
        return "Give the state's two-letter postal code, e.g. GA or TX."
    return None


def _short_problem(value: str, what: str, limit: int, *, multiline: bool = False) -> str | None:
    if len(value) > limit:
        return f"The {what} can have at most {limit} characters."
    if not multiline and not value.isprintable():
        return f"The {what} cannot contain line breaks or control characters."
    if multiline and any(not c.isprintable() and c not in "\r\n\t" for c in value):
        return f"The {what} cannot contain control characters."
    return None


def check(values: Mapping[str, str]) -> tuple[FacilityFields | None, dict[str, str]]:
    """The facility from its fields as typed (already stripped), or the problems by field.
    A blank time zone is the state's usual one."""
    state = values.get("state", "").upper()
    zone = values.get("timezone", "") or STATE_ZONES.get(state, "")
    problems = {
        "name": name_problem(values.get("name", ""), "name"),
        "city": _short_problem(values.get("city", ""), "city", MAX_TEXT),
        "state": state_problem(state),
        "address": _short_problem(values.get("address", ""), "address", MAX_ADDRESS),
        "contractor": _short_problem(values.get("contractor", ""), "contractor", MAX_TEXT),
        "timezone": zone_problem(zone) if zone else None,  # blank: the state is wrong
        "notes": _short_problem(values.get("notes", ""), "notes", MAX_NOTES, multiline=True),
    }
    errors = {field: problem for field, problem in problems.items() if problem}
    if errors:
        return None, errors
    return FacilityFields(values.get("name", ""), values.get("city", ""), state,
                          values.get("address", ""), values.get("contractor", ""), zone,
                          values.get("notes", "")), {}


def parse_facility(form: Form) -> FacilityFields:
    values = {name: text(form, name) for name in FacilityFields.__dataclass_fields__}
    fields, errors = check(values)
    if fields is None:
        raise Invalid(errors)
    return fields


@dataclass(frozen=True)
class ImportRow:
    line: int  # in the file, the header being line 1
    fields: FacilityFields


def parse_csv(content: str) -> list[ImportRow]:
    """Every row of a CSV file with a header naming at least CSV_COLUMNS (any order; a
    `timezone` column is optional), or Invalid listing every bad line by its number: a
    file with one bad row is refused whole."""
    reader = csv.reader(io.StringIO(content.removeprefix("\ufeff")))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except (StopIteration, csv.Error):
        raise Invalid("The file is empty: its first line must name the columns "
                      f"{', '.join(CSV_COLUMNS)}.", CSV_FIELD) from None
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise Invalid(f"Line 1 must name the columns {', '.join(CSV_COLUMNS)}; missing: "
                      f"{', '.join(missing)}.", CSV_FIELD)
    known = FacilityFields.__dataclass_fields__
    unknown = [column for column in header if column not in known]
    if unknown:  # its values would be dropped without a word
        raise Invalid(f"Line 1 names columns a facility does not have: {', '.join(unknown)} "
                      f"(it has {', '.join(known)}). Remove or rename them.", CSV_FIELD)
    rows: list[ImportRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(problems) >= MAX_IMPORT_ROWS:
                problems.append(f"line {line}: at most {MAX_IMPORT_ROWS} facilities at once")
                break
            values = {column: (cells[i].strip() if i < len(cells) else "")
                      for i, column in enumerate(header)}
            fields, errors = check(values)
            if fields is not None and fields.name.lower() in seen:
                errors = {"name": f"the name is also on line {seen[fields.name.lower()]}."}
            if fields is None or errors:
                problems.append(f"line {line}: " + " ".join(
                    f"{field}: {problem}" for field, problem in errors.items()))
                continue
            seen[fields.name.lower()] = line
            rows.append(ImportRow(line, fields))
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not readable as CSV ({exc})")
    if problems:
        raise Invalid(refusal(problems), CSV_FIELD)
    if not rows:
        raise Invalid("The file has no facilities under its header line.", CSV_FIELD)
    return rows


def refusal(problems: list[str]) -> str:
    return "Nothing was imported. Fix these lines and send the file again: " + "; ".join(
        problems)
