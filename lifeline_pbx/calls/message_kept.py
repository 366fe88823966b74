"""Whether a voicemail message Asterisk says it recorded is on its disk. Pure.

Asterisk reports a message as done even when it wrote nothing: a folder it cannot write to
(no file at all), or a full disk (the file opened, every write failing: an empty file).
Its stored file is compared with how long it says the message lasted."""

from __future__ import annotations

WAV_HEADER = 44  # bytes before the sound in Asterisk's wav
WAV_BYTES_PER_SECOND = 16_000  # 8 kHz, 16-bit, mono
LEAST = WAV_BYTES_PER_SECOND // 10  # a tenth of a second of sound


def kept(seconds: int, file_bytes: int | None) -> bool:
    """`file_bytes`: the stored file's size, None when there is no file. A file without
    even its header was never written; a message of a second or more must have at least a
    tenth of a second of sound in its file. Not held to its full length: Asterisk trims
    the silence that ended a message from its file, and a message cut short by a disk
    filling up meanwhile is still worth keeping."""
    if file_bytes is None or file_bytes < WAV_HEADER:
        return False
    return seconds < 1 or file_bytes - WAV_HEADER >= LEAST
