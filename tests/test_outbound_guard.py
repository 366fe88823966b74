"""The toll-fraud guard as tables: number normalisation, the allow-list, the limits. Pure."""

from __future__ import annotations

import pytest

from lifeline_pbx import config
from lifeline_pbx.errors import ConfigError
from lifeline_pbx.outbound import numbers
from lifeline_pbx.outbound.guard import Allowed, Policy, Recent, Refusal, decide

NORMALISED: list[tuple[str, str | None]] = [
    ("+1 202 555 0143", "+12025550143"),
    ("(202) 555-0143", "+12025550143"),
    ("202.555.0143", "+12025550143"),
    ("1-202-555-0143", "+12025550143"),
    ("0033 1 23 45 67 89", "+33123456789"),
    ("011 52 55 1234 5678", "+525512345678"),
    ("+525512345678", "+525512345678"),
    ("5550143", None),  # seven digits: no area code, not guessed
    ("+0123456789", None),  # a country code never starts with 0
    ("+1202555014312345678", None),  # longer than E.164 allows
    ("*72 2025550143", None),  # a feature code: call forwarding, the classic trick
    ("202555014#", None),
    ("2025550143;ext=9", None),
    ("", None),
    ("+", None),
    ("12025550143x", None),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALISED)
def test_normalise(raw: str, expected: str | None) -> None:
    assert numbers.normalise(raw) == expected


ALLOW_LIST: list[tuple[str, bool, str]] = [
    ("+12025550143", True, "Washington DC"),
    ("+14165550143", True, "Toronto"),
    ("+16045550143", True, "Vancouver"),
    ("+18765550143", False, "Jamaica: +1, billed abroad"),
    ("+18095550143", False, "Dominican Republic"),
    ("+12845550143", False, "British Virgin Islands"),
    ("+19005550143", False, "premium rate"),
    ("+19765550143", False, "premium rate"),
    ("+19115550143", False, "N11 as area code"),
    ("+12029110143", False, "N11 as exchange"),
    ("+10025550143", False, "area code starting 0"),
    ("+12021550143", False, "exchange starting 1"),
    ("+33123456789", False, "France: outside the default"),
    ("+1202555014", False, "ten digits after +1 only"),
]


@pytest.mark.parametrize(("number", "expected", "why"), ALLOW_LIST)
def test_default_allow_list_is_us_and_canada(number: str, expected: bool, why: str) -> None:
    assert numbers.allowed(number, numbers.DEFAULT_ALLOW, numbers.DEFAULT_DENY) is expected, why


PATTERNS: list[tuple[str, str, bool]] = [
    ("+12025550143", "+1NXXNXXXXXX", True),
    ("+12025550143", "+1202XXXXXXX", True),
    ("+12035550143", "+1202XXXXXXX", False),
    ("+120255501430", "+1NXXNXXXXXX", False),  # whole number, not a prefix
    ("+33123456789", "+33ZXXXXXXXX", True),
    ("+33023456789", "+33ZXXXXXXXX", False),
    ("+12025550143", "1NXXNXXXXXX", False),  # a pattern without + matches nothing
    ("+12025550143", "+1.*", False),  # no regular expressions
]


@pytest.mark.parametrize(("number", "pattern", "expected"), PATTERNS)
def test_pattern_match(number: str, pattern: str, expected: bool) -> None:
    assert numbers.matches(number, pattern) is expected


POLICY = Policy(trunk="carrier-out", per_operator_hour=3, per_hour=5)
DECISIONS: list[tuple[str, Policy, str, int | None, Recent, Allowed | Refusal]] = [
    ("placed", POLICY, "(202) 555-0143", None, Recent(0), Allowed("+12025550143")),
    ("trunk off", Policy(trunk=""), "+12025550143", None, Recent(0), Refusal.TRUNK_OFF),
    ("garbage", POLICY, "call me", None, Recent(0), Refusal.NOT_A_NUMBER),
    ("abroad", POLICY, "+44 20 7946 0958", None, Recent(0), Refusal.NOT_ALLOWED),
    ("caribbean", POLICY, "876 555 0143", 7, Recent(0), Refusal.NOT_ALLOWED),
    ("operator under", POLICY, "+12025550143", 7, Recent(2, 2), Allowed("+12025550143")),
    ("operator at limit", POLICY, "+12025550143", 7, Recent(3, 3), Refusal.OPERATOR_LIMIT),
    ("engine has no operator limit", POLICY, "+12025550143", None, Recent(4, 0),
     Allowed("+12025550143")),
    ("hotline at limit", POLICY, "+12025550143", None, Recent(5), Refusal.HOURLY_LIMIT),
    ("hotline at limit, operator under", POLICY, "+12025550143", 7, Recent(5, 0),
     Refusal.HOURLY_LIMIT),
    ("limits of 0 refuse all", Policy("carrier-out", per_operator_hour=0, per_hour=0),
     "+12025550143", None, Recent(0), Refusal.HOURLY_LIMIT),
    ("an NGO's own allow-list", Policy("carrier-out", allow=("+1NXXNXXXXXX", "+52XXXXXXXXXX")),
     "+52 55 1234 5678", None, Recent(0), Allowed("+525512345678")),
]


@pytest.mark.parametrize(("why", "policy", "raw", "operator", "recent", "expected"), DECISIONS,
                         ids=[d[0] for d in DECISIONS])
def test_decide(why: str, policy: Policy, raw: str, operator: int | None, recent: Recent,
                expected: Allowed | Refusal) -> None:
    assert decide(policy, raw, operator, recent) == expected


def test_endpoint_names_the_trunk() -> None:
    assert Allowed("+12025550143").endpoint("carrier-out") == "PJSIP/+12025550143@carrier-out"


def test_every_refusal_says_why() -> None:
    assert all(r.message for r in Refusal)


def test_settings_read_and_check_patterns() -> None:
    base = {"LIFELINE_DATABASE_URL": "postgresql://x@h/db", "LIFELINE_ARI_URL": "http://h:8088",
            "LIFELINE_ARI_USER": "u", "LIFELINE_ARI_PASSWORD": "p",
            "LIFELINE_DATA_KEYS": "k1:" + "A" * 43 + "=", "LIFELINE_LOOKUP_KEY": "A" * 43 + "="}
    cfg = config.load(environ=base)
    assert (cfg.outbound_trunk, cfg.outbound_allow) == ("", numbers.DEFAULT_ALLOW)
    assert cfg.outbound_deny == numbers.DEFAULT_DENY
    cfg = config.load(environ={**base, "LIFELINE_OUTBOUND_TRUNK": "carrier-out",
                               "LIFELINE_OUTBOUND_ALLOW": "+1NXXNXXXXXX, +52XXXXXXXXXX"})
    assert cfg.outbound_allow == ("+1NXXNXXXXXX", "+52XXXXXXXXXX")
    with pytest.raises(ConfigError, match="outbound_allow"):
        config.load(environ={**base, "LIFELINE_OUTBOUND_ALLOW": "1NXX.*"})
    with pytest.raises(ConfigError, match="outbound_per_hour"):
        config.load(environ={**base, "LIFELINE_OUTBOUND_PER_HOUR": "-1"})
