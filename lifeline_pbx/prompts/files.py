"""The prompt files on Asterisk's disk: written, removed and made again, one writer at a
time (the synthesis lock of the folder), each file renamed into place whole so Asterisk
never plays half of one. Blocking: call from a thread (`write`, `remove`, `resynthesise`).

The app reaches the folder as prompts_local_dir (or prompts_dir when that is unset): in the
shipped image and compose layout the app and Asterisk run in one container and share it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from lifeline_pbx import prompts
from lifeline_pbx.prompts import synthesis


def path(folder: Path, language: str, name: str) -> Path:
    prompts.media_uri("/", language, name)  # refuses a language or name that is not safe
    return folder / language / f"{name}.wav"


def write(folder: Path, language: str, name: str, audio: bytes) -> None:
    with synthesis.locked(folder):
        _put(path(folder, language, name), audio)


def _put(target: Path, audio: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_bytes(audio)
    os.replace(partial, target)


def remove(folder: Path, language: str, name: str) -> None:
    with synthesis.locked(folder):
        path(folder, language, name).unlink(missing_ok=True)


def resynthesise(folder: Path, language: str, name: str) -> None:
    """Make the synthesised file again (the recording's file must be removed first)."""
    synthesis.generate(folder, [language], only=[name])


def put_missing(folder: Path, wanted: dict[tuple[str, str], bytes],
                fetch: dict[tuple[str, str], bytes]) -> list[tuple[str, str]]:
    """Write every fetched recording whose file differs from its digest in `wanted`."""
    written = []
    with synthesis.locked(folder):
        for key, audio in fetch.items():
            target = path(folder, *key)
            if wanted.get(key) != digest(target):
                _put(target, audio)
                written.append(key)
    return written


def stale(folder: Path, wanted: dict[tuple[str, str], bytes]) -> list[tuple[str, str]]:
    """The recordings whose file is missing or holds other audio."""
    return [key for key, want in wanted.items() if digest(path(folder, *key)) != want]


def digest(target: Path) -> bytes | None:
    try:
        return hashlib.sha256(target.read_bytes()).digest()
    except FileNotFoundError:
        return None
