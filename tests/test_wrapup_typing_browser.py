"""When the console asks for "More time" by itself (web/static/wrapup_typing.js): a pure
rule, run from its file in a real browser, table-driven."""

from __future__ import annotations

import math
from pathlib import Path

from tests.browser import Browsing

RULE = Path(__file__).resolve().parent.parent / "web" / "static" / "wrapup_typing.js"
NEVER = math.inf

# (seconds left, seconds since the last keystroke, presses left) -> what the console does
TABLE = [
    (30.0, 0.5, 3, ""),       # not about to end yet
    (10.5, 0.5, 3, ""),
    (10.0, 0.5, 3, "ask"),    # about to end, typing: more time
    (2.0, 4.9, 1, "ask"),
    (2.0, 5.0, 1, "ask"),
    (2.0, 5.1, 1, ""),        # stopped typing: the wrap-up ends (the form is held)
    (2.0, NEVER, 3, ""),      # nothing typed
    (0.0, 0.5, 3, ""),        # over: too late to ask
    (-1.0, 0.5, 3, ""),
    (8.0, 0.5, 0, "warn"),    # no presses left: say when it ends
    (8.0, 59.0, 0, "warn"),
    (8.0, 61.0, 0, ""),
    (12.0, 0.5, 0, ""),
    (8.0, NEVER, 0, ""),
]


async def test_when_the_console_asks_for_more_time_by_itself(browsing: Browsing) -> None:
    page = await browsing.page()
    await page.add_script_tag(path=str(RULE))
    got = await page.evaluate(
        """(rows) => rows.map(([left, ago, more]) =>
             window.lifelineWrapupTyping(left, ago === null ? Infinity : ago, more))""",
        [[left, None if ago == NEVER else ago, more] for left, ago, more, _ in TABLE])
    assert got == [want for *_, want in TABLE]
    browsing.check_clean()
