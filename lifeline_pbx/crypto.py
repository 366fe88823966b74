"""Sealing sensitive fields at rest, and the keyed hash that finds a person by A-number.

A sealed value is AES-256-GCM ciphertext: one format byte, the key id, a random 96-bit
nonce, then ciphertext and tag. The associated data binds it to its place ("persons.names"
plus the row id), so a sealed value copied into another row or column does not open.

Keys come from configuration (`data_keys`): a list of `id:base64` entries, the first of
which seals; all of them open. Rotation: put a new key first, restart, run
`lifeline keys rotate` (reseals every value under the first key and recomputes the
A-number lookup hashes), then drop the old key. See docs/operations.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lifeline_pbx.errors import ConfigError, LifelineError

FORMAT = 1
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class SealError(LifelineError):
    """A sealed value did not open: wrong place, unknown key, or tampered with."""


class KeyMissing(SealError):
    """A sealed value names a key id that data_keys lacks: a settings problem, not the
    value's (start_checks.py finds them as the app starts). Key ids are not secrets."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"sealed with key {key_id!r}, which is not configured")
        self.key_id = key_id

    def told(self, what: str) -> str:
        """For the person at the screen: `what` cannot be done, and why."""
        return (f"{what}: the key it was sealed with ({self.key_id}) is not in this server's "
                "settings. Your system administrator can run `lifeline doctor`.")


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes]  # key id -> 32-byte key
    primary: str  # the id that seals
    lookup_key: bytes

    def seal(self, plaintext: str, place: str) -> bytes:
        return self.seal_bytes(plaintext.encode(), place)

    def open(self, sealed: bytes, place: str) -> str:
        return self.open_bytes(sealed, place).decode()

    def seal_bytes(self, plaintext: bytes, place: str) -> bytes:
        kid = self.primary.encode()
        nonce = os.urandom(NONCE_BYTES)
        body = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext, place.encode())
        return bytes([FORMAT, len(kid)]) + kid + nonce + body

    def open_bytes(self, sealed: bytes, place: str) -> bytes:
        if len(sealed) < 2 or sealed[0] != FORMAT:
            raise SealError("unknown sealed format")
        end = 2 + sealed[1]
        kid = sealed[2:end].decode(errors="replace")
        key = self.keys.get(kid)
        if key is None:
            raise KeyMissing(kid)
        nonce, body = sealed[end:end + NONCE_BYTES], sealed[end + NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, body, place.encode())
        except InvalidTag:
            raise SealError("sealed value does not open here (tampered or moved)") from None

    def key_id(self, sealed: bytes) -> str:
        return sealed[2:2 + sealed[1]].decode(errors="replace") if len(sealed) > 2 else ""

    def seal_json(self, value: Any, place: str) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False, sort_keys=True), place)

    def open_json(self, sealed: bytes, place: str) -> Any:
        return json.loads(self.open(sealed, place))

    def lookup(self, normalised: str) -> bytes:
        """The keyed hash under which an identifier (a normalised A-number) is found."""
        return hmac.new(self.lookup_key, normalised.encode(), hashlib.sha256).digest()


def place(table: str, column: str, row_id: object) -> str:
    return f"{table}.{column}.{row_id}"


def new_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def parse_key(name: str, raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(name, "a key must be base64 (`lifeline keys new` makes one)") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(name, f"a key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def parse_data_keys(name: str, raw: str) -> tuple[tuple[str, bytes], ...]:
    """`id:base64,id:base64`: the first entry seals, every entry opens."""
    entries: list[tuple[str, bytes]] = []
    for entry in (e.strip() for e in raw.split(",")):
        kid, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(kid):
            raise ConfigError(name, "expected id:base64 entries, e.g. 2026a:<key>, comma-separated")
        if any(kid == seen for seen, _ in entries):
            raise ConfigError(name, f"key id {kid!r} appears twice")
        entries.append((kid, parse_key(name, encoded)))
    return tuple(entries)


def key_ring(data_keys: Sequence[tuple[str, bytes]], lookup_key: bytes) -> KeyRing:
    return KeyRing(dict(data_keys), data_keys[0][0], lookup_key)
