"""The pure parts of accounts: throttling, session expiry, TOTP steps, password rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from lifeline_pbx.accounts import passwords, sessions, throttle, totp

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NONE = throttle.Failures(0, None)


@pytest.mark.parametrize("account, address, wait", [
    (NONE, NONE, 0),
    (throttle.Failures(4, NOW - timedelta(minutes=1)), NONE, 0),
    (throttle.Failures(5, NOW - timedelta(minutes=1)), NONE, 14 * 60 + 1),
    (throttle.Failures(5, NOW - timedelta(minutes=14, seconds=59)), NONE, 2),
    (NONE, throttle.Failures(19, NOW), 0),
    (NONE, throttle.Failures(20, NOW - timedelta(minutes=5)), 10 * 60 + 1),
    (throttle.Failures(9, NOW - timedelta(minutes=10)),
     throttle.Failures(30, NOW - timedelta(minutes=2)), 13 * 60 + 1),  # the longer wait
])
def test_throttle_wait(account: throttle.Failures, address: throttle.Failures, wait: int) -> None:
    assert throttle.wait_seconds(account, address, NOW) == wait


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
