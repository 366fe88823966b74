"""What a recording holds, measured: how strongly a frequency sounds in it (Goertzel)."""

from __future__ import annotations

import math
import struct
from pathlib import Path

WAV_HEADER = 44  # what Asterisk writes before the samples


def tone_level(path: Path, hz: float, window: float = 0.05) -> float:
    """The largest share (0..1) of a window's energy at `hz`, over the whole recording.

    Reads the samples as they are on disk, so a recording still being written can be
    watched (its header gives the length only once it is closed).
    """
    if not path.exists():
        return 0.0
    rate = 8000
    data = path.read_bytes()[WAV_HEADER:]
    samples = struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2])
    size = int(rate * window)
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    best = 0.0
    for start in range(0, len(samples) - size, size):
        chunk = samples[start : start + size]
        energy = sum(x * x for x in chunk)
        if energy < size * 100:  # silence
            continue
        s1 = s2 = 0.0
        for x in chunk:
            s1, s2 = x + coeff * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        best = max(best, power / (energy * size / 2))
    return best
