"""What a recording holds, measured: how strongly a frequency sounds in it (Goertzel)."""

from __future__ import annotations

import math
import subprocess
import sys
from array import array
from pathlib import Path

WAV_HEADER = 44  # what Asterisk writes before the samples
RATE = 8000  # what recordings are measured at (a call's audio is 8 kHz)
RAW_RATES = {".sln16": 16000}  # Asterisk's raw formats the peers record in
# tone_level of a tone heard over SIP. A gap in a 50 ms window lowers a pure tone's share
# (10 ms: 0.8, 20 ms: 0.6), and a loaded machine leaves gaps: 0.79999 was seen for a
# 0.6 s prompt. Another prompt's tone scores under 0.2.
HEARD = 0.5


def pcm(path: Path) -> array[int]:
    """A recording's 16-bit samples at RATE, as far as they are on disk (a recording still
    being written can be watched: a WAV header gives the length only once it is closed).
    A WAV file of Asterisk's is 8 kHz after its header; a raw one is taken every n-th
    sample down to 8 kHz (it was resampled up from a call's 8 kHz audio: nothing above
    4 kHz in it to fold back)."""
    data = path.read_bytes()
    step = RAW_RATES[path.suffix] // RATE if path.suffix in RAW_RATES else 1
    if step == 1:
        data = data[WAV_HEADER:]
    values = array("h", data[: len(data) // 2 * 2])
    if sys.byteorder != "little":
        values.byteswap()
    return values[::step]


def seconds(path: Path) -> float:
    """How much audio a recording holds so far."""
    return len(pcm(path)) / RATE


def tone_level(path: Path, hz: float, window: float = 0.05) -> float:
    """The largest share (0..1) of a window's energy at `hz`, over the whole recording
    (as far as it is on disk)."""
    if not path.exists():
        return 0.0
    samples = pcm(path)
    size = int(RATE * window)
    coeff = 2 * math.cos(2 * math.pi * hz / RATE)
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


def tone_span(path: Path, hz: float, threshold: float = 0.5, window: float = 0.02) -> float:
    """Seconds from the first to the last window where `hz` holds over `threshold` of the
    energy (0 when it never does)."""
    hits = _windows_holding(path, hz, threshold, window)
    return (hits[-1] - hits[0] + 1) * window if hits else 0.0


def tone_start(path: Path, hz: float, threshold: float = 0.5, window: float = 0.02) -> float:
    """Seconds into the recording where `hz` first holds (inf when it never does): what
    was heard in which order."""
    hits = _windows_holding(path, hz, threshold, window)
    return hits[0] * window if hits else math.inf


def _windows_holding(path: Path, hz: float, threshold: float, window: float) -> list[int]:
    samples = pcm(path)
    size = int(RATE * window)
    coeff = 2 * math.cos(2 * math.pi * hz / RATE)
    hits = []
    for index, start in enumerate(range(0, len(samples) - size, size)):
        chunk = samples[start : start + size]
        energy = sum(x * x for x in chunk)
        if energy < size * 100:
            continue
        s1 = s2 = 0.0
        for x in chunk:
            s1, s2 = x + coeff * s1 - s2, s1
        if (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (energy * size / 2) > threshold:
            hits.append(index)
    return hits


def make_tone(path: Path, seconds: float, hz: float, volume: float = 0.2) -> bytes:
    """A sine tone at 44.1 kHz stereo (not what Asterisk plays), encoded as the file's
    suffix says: sox writes the WAV, ffmpeg encodes the other formats."""
    wav = path.with_suffix(".src.wav")
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(wav), "synth", str(seconds),
                    "sine", str(hz), "vol", str(volume)], check=True)
    if path.suffix == ".wav":
        return wav.read_bytes()
    codec = ["-c:a", "aac"] if path.suffix == ".m4a" else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(path)],
                   check=True)
    return path.read_bytes()
