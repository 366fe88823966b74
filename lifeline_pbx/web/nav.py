"""Which link of the top bar is the page's own (its aria-current): the part of the app its
address is in. A voicemail's intake form belongs to Voicemail, where it was opened from;
New intake is the standalone form. Pure."""

from __future__ import annotations

from collections.abc import Mapping

# (address prefix, the link's href), the longer of two overlapping prefixes first.
_PARTS = (
    ("/console", "/console"), ("/follow-ups", "/follow-ups"),
    ("/supervisor/queues", "/supervisor/queues"), ("/reports", "/reports"),
    ("/voicemail", "/voicemail"), ("/people", "/people"), ("/legal-holds", "/legal-holds"),
    ("/calls", "/calls"), ("/statistics", "/statistics"),
    ("/evidence/export", "/evidence/export"), ("/evidence", "/evidence"),
    ("/admin", "/admin/users"),
)


def current(path: str, query: Mapping[str, str]) -> str | None:
    """The href of the top bar's link for this address, if one is its."""
    if path == "/intake":
        return "/voicemail" if query.get("voicemail") else "/intake"
    return next((href for prefix, href in _PARTS if path.startswith(prefix)), None)
