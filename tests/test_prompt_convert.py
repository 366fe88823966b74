"""Uploaded recordings are checked by decoding them, then converted for Asterisk: real sox
and ffmpeg make each accepted format, and the result is measured."""

from __future__ import annotations

import array
import subprocess
import wave
from pathlib import Path

import pytest

from lifeline_pbx.errors import Invalid
from lifeline_pbx.prompts import convert
from tests import audio
from tests.audio import tone_level

TONE_HZ = 1250


def make_tone(path: Path, seconds: float) -> bytes:
    return audio.make_tone(path, seconds, TONE_HZ)


@pytest.mark.parametrize("suffix,kind", [(".wav", "wav"), (".mp3", "mp3"), (".ogg", "ogg"),
                                          (".m4a", "m4a")])
def test_each_format_becomes_8khz_mono_at_the_same_loudness(
        tmp_path: Path, suffix: str, kind: str) -> None:
    made = convert.convert(make_tone(tmp_path / f"tone{suffix}", 1.5))
    out = tmp_path / "out.wav"
    out.write_bytes(made.audio)
    with wave.open(str(out), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        peak = max(map(abs, array.array("h", w.readframes(w.getnframes()))))
    assert made.original_format == kind
    assert abs(made.duration_ms - 1500) < 120, made.duration_ms  # encoders pad a little
    assert 0.65 * 32767 < peak < 0.72 * 32767  # raised from 0.2 to -3 dBFS (0.708)
    assert tone_level(out, TONE_HZ) > 0.8


def _silence(path: Path) -> bytes:
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", str(path), "trim", "0", "2"],
                   check=True)
    return path.read_bytes()


REFUSED = {
    "text named .mp3": lambda d: b"this is not a sound file\n" * 40,
    "nothing": lambda d: b"",
    "an image": lambda d: b"\x89PNG\r\n\x1a\n" + bytes(2000),
    "too big": lambda d: bytes(convert.MAX_BYTES + 1),
    "silence": lambda d: _silence(d / "silent.wav"),
    "too short": lambda d: make_tone(d / "short.wav", 0.1),
    "a format not taken (AIFF)": lambda d: make_tone(d / "t.aiff", 1.0),
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_what_is_not_a_usable_recording_is_refused_naming_the_file(tmp_path: Path,
                                                                   make: object) -> None:
    data = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(Invalid) as refused:
        convert.convert(data)
    assert list(refused.value.errors) == [convert.FIELD]
