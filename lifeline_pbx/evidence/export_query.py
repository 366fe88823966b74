"""The anonymised export's form as the address gives it: a period in whole months, any
number of facilities and categories, the threshold. Checked here, refused with a message
naming the field (a 422), never a server error."""

from __future__ import annotations

from dataclasses import dataclass

from multidict import MultiMapping

from lifeline_pbx.errors import Invalid
from lifeline_pbx.evidence.export_rules import (
    THRESHOLD_DEFAULT,
    Month,
    parse_month,
    threshold,
)
from lifeline_pbx.web.filters import MAX_VALUE

SHAPES = ("cells", "reports")
FORMATS = ("csv", "json")
MAX_CHOSEN = 500  # facilities or categories named in one export


@dataclass(frozen=True)
class ExportQuery:
    since: Month | None = None  # first month included
    until: Month | None = None  # last month included
    facility_ids: tuple[int, ...] = ()  # none: every facility
    categories: tuple[str, ...] = ()  # none: every category
    threshold: int = THRESHOLD_DEFAULT

    def audit_fields(self, shape: str, fmt: str, *, cells: int, suppressed: int,
                     rows: int, excerpts: int) -> list[str]:
        """What the audit entry records: the filters and the counts, never content."""
        return [f"shape={shape}", f"format={fmt}", f"since={self.since or ''}",
                f"until={self.until or ''}",
                "facilities=" + ",".join(map(str, self.facility_ids)),
                "categories=" + ",".join(self.categories), f"threshold={self.threshold}",
                f"cells={cells}", f"cells_suppressed={suppressed}", f"rows={rows}",
                f"excerpts={excerpts}"]


def _ids(values: list[str]) -> tuple[int, ...]:
    found = set()
    for value in values:
        value = value.strip()
        if not value:
            continue
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            raise Invalid("facility: choose facilities from the list.", "facility")
        found.add(int(value))
    return tuple(sorted(found))


def parse(query: MultiMapping[str]) -> ExportQuery:
    for name, value in query.items():
        if len(value) > MAX_VALUE:
            raise Invalid(f"{name}: at most {MAX_VALUE} characters.", name)
    facilities, categories = query.getall("facility", []), query.getall("category", [])
    if max(len(facilities), len(categories)) > MAX_CHOSEN:
        raise Invalid(f"Choose at most {MAX_CHOSEN} facilities and {MAX_CHOSEN} categories.")
    since = parse_month(query.get("since", ""), "since")
    until = parse_month(query.get("until", ""), "until")
    if since and until and until < since:
        raise Invalid("until: the last month comes before the first.", "until")
    return ExportQuery(
        since=since, until=until, facility_ids=_ids(facilities),
        categories=tuple(sorted({c.strip() for c in categories if c.strip()})),
        threshold=threshold(query.get("threshold", "")))
