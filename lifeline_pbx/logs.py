"""The process's log on stderr: text lines, or one JSON object per line for a log shipper.

JSON (log_format = "json", or LIFELINE_LOG_FORMAT=json) carries time, level, logger and
message, the key=value pairs the message holds (`call=...`, `status=200`) as fields of
their own (a value that is wholly an integer or a decimal number as a number), and the
traceback if any. It says nothing the text line does not: the same
privacy rule holds (no name, A-number, narrative, password or secret in a log line).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_PAIR = re.compile(r"(?<!\S)([a-z][a-z0-9_]*)=([^\s=]\S*)")
_OWN = frozenset({"time", "level", "logger", "message", "exception"})
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:e[-+]?[0-9]+)?")
# Names that may be all digits but are never quantities: Asterisk's channel ids look like
# numbers (1712345678.42), lines and SIP accounts may be digits. A field keeps one type.
_NAMES = frozenset({"call", "channel", "leg", "bridge", "line", "trunk", "operator", "queue"})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for key, value in fields(message).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def fields(message: str) -> dict[str, str | int | float]:
    """The key=value pairs of a log message; the first of a key wins, ours are kept."""
    found: dict[str, str | int | float] = {}
    for key, value in _PAIR.findall(message):
        if key not in _OWN and key not in found:
            found[key] = typed(key, value)
    return found


def typed(key: str, value: str) -> str | int | float:
    """A value that is wholly an integer or a decimal number, as that number (not a name that
    looks like one); anything else as it is."""
    if key in _NAMES:
        return value
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT)


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler these functions install and reformat (others are left alone)."""


def install(log_format: str = "text") -> None:
    """At start: a stderr handler on the root logger, unless it has handlers already."""
    logging.basicConfig(level=logging.INFO, handlers=[ConsoleHandler()])
    use(log_format)


def use(log_format: str, level: str | None = None) -> None:
    """Once the settings are read: their format (and level) for the rest of the run."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, ConsoleHandler):
            handler.setFormatter(formatter(log_format))
    if level is not None:
        root.setLevel(level)
