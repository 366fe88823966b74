"""Signal tones as prompt files (prompts/tones/*.wav): the voicemail beep, the operator's
cut-off warning, feature-code confirmations. Files, not Asterisk's `tone:` playbacks, so
each has a definite end that the app can wait for. An admin's replacement is kept.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000
# name -> (frequency Hz or 0 for silence, seconds), played in order
TONES: dict[str, tuple[tuple[float, float], ...]] = {
    "beep": ((1000, 0.5),),
    "warning": ((1400, 0.25), (0, 0.15), (1400, 0.25), (0, 0.15), (1400, 0.25)),
    "confirm": ((880, 0.2), (0, 0.1), (1320, 0.3)),
    "refuse": ((480, 0.5), (0, 0.3), (480, 0.5)),
}
LANGUAGE = "tones"  # the folder, used where prompts have a language


def samples(parts: tuple[tuple[float, float], ...], amplitude: int = 8000) -> bytes:
    out = bytearray()
    for hz, seconds in parts:
        for i in range(int(RATE * seconds)):
            value = amplitude * math.sin(2 * math.pi * hz * i / RATE) if hz else 0.0
            out += struct.pack("<h", int(value))
    return bytes(out)


def write_wav(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data)


def write(prompts_dir: Path) -> int:
    """Write the tones that are missing; return how many were written."""
    written = 0
    for name, parts in TONES.items():
        path = prompts_dir / LANGUAGE / f"{name}.wav"
        if not path.exists():
            write_wav(path, samples(parts))
            written += 1
    return written
