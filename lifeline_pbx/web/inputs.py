"""What no request may carry, anywhere: pure checks on the URL and on decoded values.

PostgreSQL refuses a NUL character in text, and a lone surrogate cannot be encoded as
UTF-8 at all; either would only fail deep in a view, after other work was done. So they
are refused at the edge, with a message, before anything is read or written.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

MAX_JSON_DEPTH = 32  # our JSON bodies are two levels deep; nothing needs more


def text_problem(value: str, what: str) -> str | None:
    """Why this decoded text is refused, or None."""
    if "\x00" in value:
        return f"{what} contains a NUL character (\\0), which is never valid here."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{what} is not valid UTF-8 text."
    return None


def bytes_problem(raw: bytes, what: str) -> str | None:
    """Why these (already percent-decoded) bytes are refused, or None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"{what} is not valid UTF-8 text."
    return text_problem(text, what)


def url_problem(raw_path: str) -> str | None:
    """The path and query string as sent (percent-encoded), decoded strictly."""
    return bytes_problem(unquote_to_bytes(raw_path), "The address")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in this JSON text (brackets in strings ignored).

    Checked before parsing: the parser recurses once per level and would raise
    RecursionError on a body of 100,000 '['.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep; skip the scan
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _strings(value: object) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included (iterative: no recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def json_problem(value: object) -> str | None:
    for text in _strings(value):
        if problem := text_problem(text, "The JSON body"):
            return problem
    return None
