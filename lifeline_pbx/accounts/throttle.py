"""Login throttling decisions, pure: may an attempt be checked now, and what does its
result do to each counter. The counters live in login_counters (accounts/attempts.py).

Three kinds of counter hold consecutive failures: the account (the username typed), the
client's address, and a known device (a browser the user has fully signed in from).
An attempt from a known device is counted on that device alone, so the real user signs
in while someone else guesses their password, and lifts the account's lock.

An attempt that is let through counts as a failure at once, before the password hash
runs, so simultaneous guesses cannot all pass; a right answer takes its count back.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["account", "address", "device"]
# passed: right password, code to come; unchecked: the code could not be checked (its
# secret is sealed under a data key the settings lack), which is not the user's failure.
Result = Literal["failed", "passed", "succeeded", "unchecked"]
Change = Literal["keep", "undo", "reset"]


@dataclass(frozen=True)
class Policy:
    free: int  # failures before any wait
    first_wait: timedelta  # the wait once `free` failures are counted; doubles after each
    longest_wait: timedelta
    lock_at: int  # failures that lock
    # Quiet time after which the failures are forgotten (which lifts a lock); None: kept
    # until a full sign-in from a known device or an admin's unlock.
    forget_after: timedelta | None


ACCOUNT = Policy(free=5, first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=15),
                 lock_at=10, forget_after=None)
# Addresses are shared (an office, a proxy): never locked for good, and no growing wait.
ADDRESS = Policy(free=20, first_wait=timedelta(0), longest_wait=timedelta(0), lock_at=20,
                 forget_after=timedelta(minutes=15))
POLICIES: dict[Kind, Policy] = {"account": ACCOUNT, "address": ADDRESS, "device": ACCOUNT}
LOCKED_RETRY = int(ACCOUNT.longest_wait.total_seconds())  # Retry-After while locked


@dataclass(frozen=True)
class Counter:
    failures: int = 0  # consecutive, counting attempts being checked right now
    last_attempt_at: datetime | None = None  # the last attempt let through


@dataclass(frozen=True)
class Verdict:
    wait: int = 0  # seconds before an attempt will be checked
    locked: bool = False  # until a known device or an admin lifts it

    @property
    def allowed(self) -> bool:
        return self.wait == 0 and not self.locked


def _failures(policy: Policy, counter: Counter, now: datetime) -> int:
    last = counter.last_attempt_at
    if policy.forget_after is not None and last is not None and now - last >= policy.forget_after:
        return 0
    return counter.failures


def _seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def verdict(policy: Policy, counter: Counter, now: datetime) -> Verdict:
    failures = _failures(policy, counter, now)
    last = counter.last_attempt_at or now
    if failures >= policy.lock_at:
        if policy.forget_after is None:
            return Verdict(LOCKED_RETRY, locked=True)
        return Verdict(_seconds(last + policy.forget_after - now))
    if failures < policy.free:
        return Verdict()
    delay = min(policy.first_wait * 2 ** (failures - policy.free), policy.longest_wait)
    return Verdict(_seconds(last + delay - now))


def decide(counters: Sequence[tuple[Kind, Counter]], now: datetime) -> Verdict:
    """The attempt goes ahead only if every counter it is counted on lets it."""
    found = [verdict(POLICIES[kind], counter, now) for kind, counter in counters]
    return Verdict(max((v.wait for v in found), default=0), any(v.locked for v in found))


def reserved(kind: Kind, counter: Counter, now: datetime) -> Counter:
    """The counter once an attempt is let through: one more failure until it is settled."""
    return Counter(_failures(POLICIES[kind], counter, now) + 1, now)


def changes(
    counted: Sequence[tuple[Kind, str]], username: str, result: Result
) -> list[tuple[Kind, str, Change]]:
    """What a settled attempt does: a failure stays counted; a right answer, or one that
    could not be checked, takes its own count back; a full sign-in clears the account
    (lifting its lock, even when the attempt was counted on a known device) and the device,
    but an address only gets its one back: an attacker's own good account must not wash
    the address clean."""
    if result == "failed":
        return [(kind, key, "keep") for kind, key in counted]
    found: list[tuple[Kind, str, Change]] = [
        (kind, key, "reset" if result == "succeeded" and kind != "address" else "undo")
        for kind, key in counted
    ]
    if result == "succeeded" and ("account", username) not in counted:
        found.append(("account", username, "reset"))
    return found


def address_key(address: str) -> str:
    """Whom an address counter stands for: the address, or for IPv6 its /64, which one
    household or server usually holds whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
