"""Which addresses to refuse: failed SIP authentications in, bans out. Pure functions.

An address that fails `policy.failures` times within `policy.window` seconds is banned for
`policy.ban_for` seconds. Times are the caller's clock (monotonic seconds); nothing here
reads a clock, a socket or Asterisk.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeAlias

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
# Asterisk's security events that mean "someone sent credentials that did not fit".
# InvalidPassword comes from older channel drivers; PJSIP reports the other two.
FAILURE_EVENTS = frozenset({"InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword"})
MAX_TRACKED = 10_000  # addresses whose recent failures are counted at once


@dataclass(frozen=True)
class Policy:
    failures: int
    window: float
    ban_for: float
    never: tuple[Network, ...] = ()

    def exempt(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self.never)


@dataclass(frozen=True)
class Failure:
    """One failed authentication: where from, and which account was tried (kept only to
    count distinct accounts; never logged)."""

    address: str
    account: str


@dataclass(frozen=True)
class Ban:
    address: str
    until: float
    failures: int
    accounts: int  # how many distinct accounts were tried


@dataclass(frozen=True)
class State:
    # address -> (time, account) of its failures within the window, oldest first
    recent: Mapping[str, tuple[tuple[float, str], ...]] = field(default_factory=dict)
    bans: Mapping[str, float] = field(default_factory=dict)  # address -> banned until


def networks(text: str) -> tuple[Network, ...]:
    """`"127.0.0.1, 10.0.0.0/8"` -> networks; a bare address is a one-address network."""
    parts = (part.strip() for part in text.split(","))
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)


def failure_of(event: Mapping[str, str]) -> Failure | None:
    """The failure an AMI security event reports, or None for any other event.

    RemoteAddress looks like `IPV4/UDP/203.0.113.7/5060` (`IPV6/UDP/[2001:db8::1]/5060`).
    """
    if event.get("Event") not in FAILURE_EVENTS or event.get("Service") != "PJSIP":
        return None
    parts = event.get("RemoteAddress", "").split("/")
    if len(parts) != 4:
        return None
    try:
        ip = ipaddress.ip_address(parts[2].strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return Failure(str(ip), event.get("AccountID", ""))


def on_failure(
    state: State, policy: Policy, failure: Failure, now: float
) -> tuple[State, Ban | None]:
    """Count one failure; the new state, and the ban it triggers (None if none)."""
    address = failure.address
    if address in state.bans or policy.exempt(address):
        return state, None
    since = now - policy.window
    kept = tuple(f for f in state.recent.get(address, ()) if f[0] > since)
    kept += ((now, failure.account),)
    if len(kept) < policy.failures:
        recent = dict(state.recent)
        if address not in recent and len(recent) >= MAX_TRACKED:
            # A flood from many (possibly spoofed) addresses: forget the one heard from least
            # recently rather than grow without bound.
            del recent[min(recent, key=lambda a: recent[a][-1][0])]
        recent[address] = kept
        return replace(state, recent=recent), None
    ban = Ban(address, now + policy.ban_for, len(kept), len({account for _, account in kept}))
    recent = {a: f for a, f in state.recent.items() if a != address}
    return State(recent, {**state.bans, address: ban.until}), ban


def expire(state: State, policy: Policy, now: float) -> tuple[State, list[str]]:
    """Lift the bans that are over (returned, sorted) and forget failures outside the window."""
    lifted = sorted(a for a, until in state.bans.items() if until <= now)
    since = now - policy.window
    recent = {a: f for a, f in state.recent.items() if f[-1][0] > since}
    bans = {a: until for a, until in state.bans.items() if until > now}
    return State(recent, bans), lifted


def next_change(state: State, policy: Policy) -> float | None:
    """When `expire` next has something to do: a ban ends or a count falls out of the window."""
    times = [*state.bans.values(), *(f[-1][0] + policy.window for f in state.recent.values())]
    return min(times, default=None)


def deny_list(addresses: Iterable[str]) -> str:
    """The `deny` value of a PJSIP acl: each address as a one-address network, sorted.

    Only parsed addresses get here: a value Asterisk could not parse would make it refuse
    every SIP packet (res_pjsip_acl blocks all traffic on a bad ACL).
    """
    nets = sorted((ipaddress.ip_network(ipaddress.ip_address(a)) for a in addresses),
                  key=lambda n: (n.version, n.network_address))
    return ",".join(str(n) for n in nets)
