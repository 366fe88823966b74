"""Turn a recording someone sent (WAV, MP3, OGG, M4A) into the WAV Asterisk plays.

What the file *is* is found by decoding it, never from its name: ffprobe, allowed only the
four demuxers and the local file protocol (so a crafted file cannot make ffmpeg open
playlists, other files or the network), must find an audio stream that ffmpeg then
decodes, to 8 kHz mono. sox then normalises it the way the synthesised prompts are
(synthesis.SAMPLE_FORMAT, peak at -3 dBFS), so a recording is as loud as its neighbours;
its silences are the recording's own (the synthesiser's are trimmed, not a person's).

Blocking (subprocesses): call from a thread.
"""

from __future__ import annotations

import array
import json
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from lifeline_pbx.errors import Invalid, Unavailable
from lifeline_pbx.prompts.synthesis import NORMALISE, SAMPLE_FORMAT

MAX_BYTES = 10 * 1024 * 1024
MIN_SECONDS = 0.3
MAX_SECONDS = 180.0
SILENT_PEAK = 100  # of 32767 (about -50 dBFS): nothing but line noise
TIMEOUT = 60.0
FIELD = "file"
# ffprobe's format name -> what the admin sent
FORMATS = {"wav": "wav", "mp3": "mp3", "ogg": "ogg", "mov,mp4,m4a,3gp,3g2,mj2": "m4a"}
_DEMUXERS = "wav,mp3,ogg,mov"
_SAFE_INPUT = ("-protocol_whitelist", "file", "-format_whitelist", _DEMUXERS)
ACCEPTED = "WAV, MP3, OGG or M4A"


@dataclass(frozen=True)
class Converted:
    audio: bytes  # 8 kHz mono 16-bit WAV
    original_format: str  # a key of the migration's check: wav, mp3, ogg, m4a
    duration_ms: int


def convert(data: bytes) -> Converted:
    """The playable WAV made from `data`, or Invalid naming the file field."""
    if not data:
        raise Invalid("Choose a sound file to upload.", FIELD)
    if len(data) > MAX_BYTES:
        raise Invalid(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", FIELD)
    with tempfile.TemporaryDirectory(prefix="lifeline-prompt-") as scratch:
        source = Path(scratch) / "upload"
        source.write_bytes(data)
        kind = probe(source)
        decoded = Path(scratch) / "decoded.wav"
        _run(["ffmpeg", "-v", "error", "-nostdin", *_SAFE_INPUT, "-i", str(source),
              "-map", "0:a:0", "-vn", "-ac", "1", "-ar", "8000", "-c:a", "pcm_s16le",
              "-f", "wav", str(decoded)], "could not be decoded")
        check_sound(decoded)
        out = Path(scratch) / "out.wav"
        _run(["sox", str(decoded), *SAMPLE_FORMAT, str(out), *NORMALISE],
             "could not be converted")
        return Converted(out.read_bytes(), kind, round(seconds(out) * 1000))


def probe(path: Path) -> str:
    """The format (wav, mp3, ogg, m4a) of an audio file, read from its content."""
    done = _run(["ffprobe", "-v", "error", *_SAFE_INPUT, "-show_entries",
                 "format=format_name:stream=codec_type", "-of", "json", str(path)],
                f"is not a sound file ({ACCEPTED})")
    try:
        found = json.loads(done.stdout)
        name = str(found["format"]["format_name"])
        streams = [s.get("codec_type") for s in found.get("streams", [])]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Invalid(f"The file is not a sound file ({ACCEPTED}).", FIELD) from None
    if name not in FORMATS or "audio" not in streams:
        raise Invalid(f"The file is not a sound file ({ACCEPTED}).", FIELD)
    return FORMATS[name]


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def check_sound(path: Path) -> None:
    """Long enough, short enough, and not silent."""
    with wave.open(str(path), "rb") as w:
        length = w.getnframes() / w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    if length < MIN_SECONDS:
        raise Invalid(f"The recording is too short ({length:.1f} s).", FIELD)
    if length > MAX_SECONDS:
        raise Invalid(f"The recording is longer than {MAX_SECONDS:.0f} seconds "
                      f"({length:.0f} s).", FIELD)
    if max(map(abs, samples), default=0) < SILENT_PEAK:
        raise Invalid("The recording is silent.", FIELD)


def _run(command: list[str], problem: str) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(command, capture_output=True, check=False, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise Unavailable(f"{command[0]} is not installed on the server: the administrator "
                          "installs ffmpeg and sox (docs/operations.md).") from None
    except subprocess.TimeoutExpired:
        raise Invalid(f"The file {problem}: it took too long.", FIELD) from None
    if done.returncode != 0:
        raise Invalid(f"The file {problem}.", FIELD)
    return done
