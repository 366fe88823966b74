"""Every log record of the whole test run is kept, and searched for the identifiers of the
test people at the end: a name, A-number, date of birth or narrative in a log line fails
the run, whichever test caused it.

Tests that type such data call `sensitive(...)` with it; `leaks()` searches what was
logged so far (the browser test checks it at its end as well).

Every record is also kept as the JSON line log_format = "json" would write
(lifeline_pbx/logs.py): each must parse, and its values are searched once decoded (JSON
escapes quotes and control characters, which a search of the raw line would miss).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from lifeline_pbx.logs import JsonFormatter

_SENSITIVE: set[str] = set()
_FROM_WORKERS: list[str] = []  # leaks found by pytest-xdist workers, for the controller
ARTIFACT = Path(__file__).resolve().parent.parent / "test-artifacts" / "suite.log"


class _Keeper(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.json_lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self._json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
            self.json_lines.append(self._json.format(record))
        except Exception:  # a broken record must not break the test run
            self.handleError(record)


_KEEPER = _Keeper()


def sensitive(*values: str) -> None:
    _SENSITIVE.update(v for v in values if len(v) >= 4)


def forget(*values: str) -> None:
    """For a test of this check itself: stop searching for values it logged on purpose."""
    _SENSITIVE.difference_update(values)


def leaks(extra_text: str = "") -> list[str]:
    """Lines of the log (and of extra_text, e.g. an Asterisk log) that hold an identifier,
    in the text format or the JSON one; a JSON line that does not parse is listed too."""
    lines = _KEEPER.lines + extra_text.splitlines()
    found = [line for line in lines if _holds(line)]
    for line in _KEEPER.json_lines:
        try:
            decoded = json.loads(line)
            if "\n" in line:
                raise ValueError("a line break inside a JSON log line")
        except ValueError:
            found.append(f"not one JSON object: {line}")
            continue
        if not isinstance(decoded, dict) or _holds("\n".join(map(str, decoded.values()))):
            found.append(line)
    return found


def _holds(text: str) -> bool:
    return any(value in text for value in _SENSITIVE)


def _write(path: Path) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(_KEEPER.lines) + "\n")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """A pytest-xdist worker finished: keep what its log search found."""
    output: dict[str, object] = getattr(node, "workeroutput", {})
    found = output.get("privacy_leaks", [])
    assert isinstance(found, list)
    _FROM_WORKERS.extend(str(line) for line in found)


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(_KEEPER)
    root.setLevel(logging.DEBUG)
    logging.getLogger("asyncio").setLevel(logging.INFO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = leaks()
    output: dict[str, object] | None = getattr(session.config, "workeroutput", None)
    if output is not None:  # a pytest-xdist worker: its controller reports for all of them
        worker = session.config.workerinput["workerid"]  # type: ignore[attr-defined]
        _write(ARTIFACT.with_name(f"suite-{worker}.log"))
        output["privacy_leaks"] = found
        return
    _write(ARTIFACT)
    found += _FROM_WORKERS
    if found:
        print(f"\nPRIVACY: {len(found)} log line(s) hold a test person's identifiers:")
        for line in found[:20]:
            print("  " + line[:300])
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
