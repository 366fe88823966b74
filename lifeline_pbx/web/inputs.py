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


def json_depth(value: object) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (iterative: no recursion).

    Checked after parsing: a scan of the text before it would cost a Python loop over up
    to 256 KB per request (0.4 s of the event loop that carries the calls), while the
    parser itself stops at about 1,000 levels with a RecursionError, caught by the reader.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
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
