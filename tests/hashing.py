"""Argon2 at test cost: the suite signs in some thousand times, and each sign-in verifies a
hash made with the production parameters (19 MiB, 2 passes: ~40 ms of CPU). The tests swap
in the lightest Argon2id before anything is hashed (the demo template included), so the
stored hashes are light too. tests/test_accounts.py checks the production parameters on a
fresh copy of the module, and that a hash made with them still verifies here."""

from __future__ import annotations

from argon2 import PasswordHasher, Type

from lifeline_pbx.accounts import passwords

LIGHT = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


def use_light_hashing() -> None:
    passwords._HASHER = LIGHT
    passwords._DUMMY = LIGHT.hash("lifeline: no such user")
