"""The test relay (tests/ari_relay.py) reads WebSocket frames to find a request to hold:
whole frames only, unmasked as a client masks them (RFC 6455, section 5.2)."""

from __future__ import annotations

import pytest

from tests.ari_relay import _frame

MASK = bytes([0x12, 0x34, 0x56, 0x78])


def frame(payload: bytes, masked: bool = True) -> bytes:
    if len(payload) < 126:
        head = bytes([0x81, (0x80 if masked else 0) | len(payload)])
    else:
        head = bytes([0x81, (0x80 if masked else 0) | 126]) + len(payload).to_bytes(2, "big")
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


SHORT = b'{"uri": "channels", "value": "PJSIP/op-a"}'
LONG = b'{"value": "PJSIP/op-a"}' + b" " * 300


@pytest.mark.parametrize(("data", "found"), [
    (frame(SHORT), (len(frame(SHORT)), SHORT)),
    (frame(SHORT, masked=False), (len(frame(SHORT, masked=False)), SHORT)),
    (frame(LONG), (len(frame(LONG)), LONG)),  # a 16-bit length
    (frame(SHORT) + frame(LONG), (len(frame(SHORT)), SHORT)),  # the first of two
    (frame(SHORT)[:-1], None),  # its payload not all there yet
    (frame(LONG)[:3], None),  # its length not all there yet
    (frame(SHORT)[:4], None),  # its mask not all there yet
    (b"\x81", None),
])
def test_a_frame_is_read_whole_and_unmasked(data: bytes,
                                            found: tuple[int, bytes] | None) -> None:
    assert _frame(data) == found
