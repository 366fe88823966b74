"""Where this site may send a browser: only to its own paths.

A target is judged the way a browser will read it: control characters removed first
(browsers drop tabs and line breaks inside a URL, so '/<TAB>/host' becomes '//host'),
then parsed. Anything that could name another host, or that does not survive aiohttp's
own rewriting of the Location header unchanged, falls back to a fixed local path.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

from yarl import URL

MAX_TARGET = 2000  # characters; longer targets are not ours


def _without_controls(raw: str) -> str:
    # 'C*' categories: control (incl. TAB, LF, CR, NUL), format (zero-width, bidi), others.
    return "".join(ch for ch in raw if not unicodedata.category(ch).startswith("C"))


def local_target(raw: str | None, fallback: str = "/") -> str:
    """`raw` if it is a path (with its query and fragment) on this site, else `fallback`."""
    if not raw or len(raw) > MAX_TARGET:
        return fallback
    cleaned = _without_controls(raw).strip()
    # Our own paths are ASCII once percent-encoded; a space or backslash is never needed
    # and some browsers read '\' as '/'.
    if (not cleaned.isascii() or cleaned.startswith("//")
            or any(ch.isspace() or ch == "\\" for ch in cleaned)):
        return fallback
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. an unbalanced '[' read as an IPv6 host
        return fallback
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return fallback
    decoded = unquote(parts.path)
    if decoded.startswith("//") or "\\" in decoded or _without_controls(decoded) != decoded:
        return fallback
    target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    # aiohttp re-encodes a Location through yarl: what leaves must be what was checked.
    try:
        return target if str(URL(target)) == target else fallback
    except ValueError:
        return fallback


def is_local(location: str) -> bool:
    return bool(location) and local_target(location, fallback="") == location
