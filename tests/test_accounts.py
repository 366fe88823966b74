"""The pure parts of accounts: throttling, session expiry, TOTP steps, password rules."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pyotp
import pytest
from argon2 import Type

from lifeline_pbx.accounts import passwords, sessions, throttle, totp
from tests.hashing import LIGHT

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def _at(failures: int, ago: timedelta | None) -> throttle.Counter:
    return throttle.Counter(failures, None if ago is None else NOW - ago)


@pytest.mark.parametrize("kind, failures, ago, wait, locked", [
    ("account", 0, None, 0, False),
    ("account", 4, 0 * S, 0, False),  # the first five tries never wait
    ("account", 5, 0 * S, 30, False),  # then 30 s after the last try...
    ("account", 5, 29 * S, 1, False),
    ("account", 5, 30 * S, 0, False),
    ("account", 6, 10 * S, 50, False),  # ...doubling: 60 s
    ("account", 8, 0 * S, 240, False),
    ("account", 9, 0 * S, 480, False),
    ("account", 9, 8 * M, 0, False),
    ("account", 10, 0 * S, 900, True),  # locked at ten...
    ("account", 12, timedelta(days=40), 900, True),  # ...until lifted, however long ago
    ("device", 4, 0 * S, 0, False),  # a known device is counted like an account
    ("device", 10, M, 900, True),
    ("address", 19, 0 * S, 0, False),  # twenty from one address, with no wait before
    ("address", 20, 0 * S, 900, False),  # then held until 15 quiet minutes have passed
    ("address", 20, 14 * M, 60, False),
    ("address", 25, 15 * M, 0, False),  # forgotten
])
def test_throttle_verdict(kind: throttle.Kind, failures: int, ago: timedelta | None, wait: int,
                          locked: bool) -> None:
    found = throttle.verdict(throttle.POLICIES[kind], _at(failures, ago), NOW)
    assert (found.wait, found.locked, found.allowed) == (wait, locked, wait == 0 and not locked)


@pytest.mark.parametrize("account, address, wait, locked", [
    (_at(0, None), _at(0, None), 0, False),
    (_at(6, 10 * S), _at(20, 5 * M), 600, False),  # the longer wait
    (_at(6, 70 * S), _at(3, S), 0, False),
    (_at(10, M), _at(0, None), 900, True),  # a locked account is locked from anywhere
])
def test_throttle_decides_on_every_counter(account: throttle.Counter, address: throttle.Counter,
                                           wait: int, locked: bool) -> None:
    found = throttle.decide([("account", account), ("address", address)], NOW)
    assert (found.wait, found.locked) == (wait, locked)


@pytest.mark.parametrize("kind, before, after", [
    ("account", _at(0, None), 1),
    ("account", _at(7, timedelta(days=3)), 8),  # an account's failures are not forgotten
    ("address", _at(7, 5 * M), 8),
    ("address", _at(19, 15 * M), 1),  # an address's are, after 15 quiet minutes
])
def test_throttle_reserving_counts_the_attempt_first(
    kind: throttle.Kind, before: throttle.Counter, after: int
) -> None:
    assert throttle.reserved(kind, before, NOW) == throttle.Counter(after, NOW)


BOTH: list[tuple[throttle.Kind, str]] = [("account", "op"), ("address", "192.0.2.1")]
DEVICE: list[tuple[throttle.Kind, str]] = [("device", "7")]


@pytest.mark.parametrize("counted, result, expected", [
    (BOTH, "failed", [("account", "op", "keep"), ("address", "192.0.2.1", "keep")]),
    (BOTH, "passed", [("account", "op", "undo"), ("address", "192.0.2.1", "undo")]),
    (BOTH, "succeeded", [("account", "op", "reset"), ("address", "192.0.2.1", "undo")]),
    (DEVICE, "failed", [("device", "7", "keep")]),
    (DEVICE, "passed", [("device", "7", "undo")]),  # the code decides whether the lock lifts
    (DEVICE, "succeeded", [("device", "7", "reset"), ("account", "op", "reset")]),
    # A code not checked (its data key missing) is not the user's failure.
    (BOTH, "unchecked", [("account", "op", "undo"), ("address", "192.0.2.1", "undo")]),
    (DEVICE, "unchecked", [("device", "7", "undo")]),
])
def test_throttle_settling(counted: list[tuple[throttle.Kind, str]], result: throttle.Result,
                           expected: list[tuple[str, str, str]]) -> None:
    assert throttle.changes(counted, "op", result) == expected


@pytest.mark.parametrize("address, key", [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one /64 is one household or server
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("unknown", "unknown"),
])
def test_throttle_address_key(address: str, key: str) -> None:
    assert throttle.address_key(address) == key


def _session(created_ago: timedelta, seen_ago: timedelta) -> sessions.Session:
    return sessions.Session(b"", 1, "full", "", NOW - created_ago, NOW - seen_ago)


@pytest.mark.parametrize("created_ago, seen_ago, alive", [
    (timedelta(minutes=5), timedelta(minutes=1), True),
    (timedelta(minutes=50), timedelta(minutes=29, seconds=59), True),
    (timedelta(minutes=50), timedelta(minutes=30), False),  # idle
    (timedelta(hours=11, minutes=59), timedelta(seconds=1), True),
    (timedelta(hours=12), timedelta(seconds=1), False),  # absolute lifetime
])
def test_session_alive(created_ago: timedelta, seen_ago: timedelta, alive: bool) -> None:
    assert sessions.alive(_session(created_ago, seen_ago), NOW, timedelta(minutes=30),
                          timedelta(hours=12)) is alive


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T = 1_764_417_600.0  # a multiple of 30


@pytest.mark.parametrize("code_at, step", [
    (T, int(T // 30)),
    (T - 30, int(T // 30) - 1),  # the phone's clock a step behind
    (T + 30, int(T // 30) + 1),  # a step ahead
    (T - 60, None),
    (T + 90, None),
])
def test_totp_matching_step(code_at: float, step: int | None) -> None:
    code = pyotp.TOTP(SECRET).at(code_at)
    assert totp.matching_step(SECRET, code, now=T) == step


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_totp_malformed_codes(code: str) -> None:
    assert totp.matching_step(SECRET, code, now=T) is None


@pytest.mark.parametrize("password, problem", [
    ("short", "at least 12"),
    ("x" * 257, "at most 256"),
    ("my name is operator1 ok", "username"),
    ("correct horse battery", None),
    (" " * 12, "only spaces"),
    ("\t \n\u00a0\u3000" * 3, "only spaces"),
    ("a" * 12, "5 different"),
    ("abab abab abab", "5 different"),
    ("abcd abcd abcd", "5 different"),  # four different characters, spaces not counted
    ("abcde abcde ab", None),
])
def test_password_rules(password: str, problem: str | None) -> None:
    found = passwords.problem(password, "operator1")
    assert (found is None) if problem is None else (problem in (found or ""))


def test_password_hash_is_argon2id_and_verifies() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "Correct horse battery")
    assert not passwords.verify(None, "anything")
    assert not passwords.verify("not a hash", "anything")


def _as_production_loads_it() -> ModuleType:
    """A fresh copy of accounts/passwords.py, as a server imports it: the tests use a light
    Argon2 (tests/hashing.py) in the copy they share."""
    spec = importlib.util.spec_from_file_location("production_passwords", passwords.__file__)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_hashes_with_owasps_argon2id_and_the_tests_light_one_verifies_it() -> None:
    production = _as_production_loads_it()
    hasher = production._HASHER
    assert (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        Type.ID, 2, 19 * 1024, 1)
    stored = production.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords._HASHER is LIGHT
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "Correct horse battery")
    # A light hash reaching a server is made strong at its next sign-in (accounts/signin.py).
    assert production.needs_rehash(LIGHT.hash("correct horse battery"))
