"""Whether a message Asterisk says it recorded is on its disk (calls/message_kept.py)."""

from __future__ import annotations

import pytest

from lifeline_pbx.calls.message_kept import kept

SECOND = 16_000
HEADER = 44


@pytest.mark.parametrize(("seconds", "file_bytes", "expected"), [
    (12, None, False),  # a folder Asterisk cannot write to: no file at all
    (0, None, False),
    (12, 0, False),  # a full disk: the file opened, nothing written
    (12, HEADER, False),  # its header alone
    (12, HEADER + SECOND // 10 - 1, False),
    (12, HEADER + SECOND // 10, True),  # a tenth of a second: kept
    (12, HEADER + 3 * SECOND, True),  # silence trimmed, or cut short by the disk: kept
    (12, HEADER + 12 * SECOND, True),
    (0, 0, False),  # not even the header: nothing was written
    (0, HEADER, True),  # under a second: nothing to tell apart
    (1, HEADER, False),
])
def test_a_message_is_kept_when_its_file_holds_sound(
    seconds: int, file_bytes: int | None, expected: bool,
) -> None:
    assert kept(seconds, file_bytes) is expected
