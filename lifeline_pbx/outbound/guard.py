"""The toll-fraud guard: may this outbound leg be placed? Pure; outbound/legs.py asks it,
with the counts read under a lock, before every leg through the trunk.

Who may ask for a leg: the engine (an on-call list an admin wrote) or an operator (later:
transfers, call-backs). Never a caller: no event of an inbound call carries a number, and
the dialplan dials nothing (docs/decisions.md, "Toll-fraud guard").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifeline_pbx.outbound import numbers

if TYPE_CHECKING:
    from lifeline_pbx.config import Config


class Refusal(enum.Enum):
    TRUNK_OFF = "trunk_off"  # no outbound trunk is configured
    NOT_A_NUMBER = "not_a_number"
    NOT_ALLOWED = "not_allowed"  # outside the allow-list, or on the deny list
    OPERATOR_LIMIT = "operator_limit"  # this operator placed their hourly share
    HOURLY_LIMIT = "hourly_limit"  # the whole hotline placed its hourly share

    @property
    def message(self) -> str:
        return MESSAGES[self]


MESSAGES = {
    Refusal.TRUNK_OFF: "Outside calls are off: no outbound trunk is configured.",
    Refusal.NOT_A_NUMBER: "That is not a phone number (E.164, e.g. +12025550143).",
    Refusal.NOT_ALLOWED: "That number is outside the numbers this hotline may call.",
    Refusal.OPERATOR_LIMIT: "You have placed as many outside calls as allowed this hour.",
    Refusal.HOURLY_LIMIT: "The hotline has placed as many outside calls as allowed this hour.",
}


@dataclass(frozen=True)
class Policy:
    trunk: str  # the PJSIP endpoint of the outbound trunk; "" = off
    allow: tuple[str, ...] = numbers.DEFAULT_ALLOW
    deny: tuple[str, ...] = numbers.DEFAULT_DENY
    per_operator_hour: int = 10
    per_hour: int = 30


def policy_of(cfg: Config) -> Policy:
    return Policy(cfg.outbound_trunk, cfg.outbound_allow, cfg.outbound_deny,
                  cfg.outbound_per_operator_hour, cfg.outbound_per_hour)


@dataclass(frozen=True)
class Recent:
    """Legs through the trunk in the last hour: by everyone, and by the asking operator."""

    all: int
    by_operator: int = 0


@dataclass(frozen=True)
class Allowed:
    number: str  # E.164

    def endpoint(self, trunk: str) -> str:
        return f"PJSIP/{self.number}@{trunk}"


def decide(policy: Policy, raw_number: str, operator: int | None, recent: Recent
           ) -> Allowed | Refusal:
    """The first reason to refuse, or the normalised number. `operator` None: the engine."""
    if not policy.trunk:
        return Refusal.TRUNK_OFF
    number = numbers.normalise(raw_number)
    if number is None:
        return Refusal.NOT_A_NUMBER
    if not numbers.allowed(number, policy.allow, policy.deny):
        return Refusal.NOT_ALLOWED
    if operator is not None and recent.by_operator >= policy.per_operator_hour:
        return Refusal.OPERATOR_LIMIT
    if recent.all >= policy.per_hour:
        return Refusal.HOURLY_LIMIT
    return Allowed(number)
