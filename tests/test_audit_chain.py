"""The audit chain's and the doctor's decisions, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from lifeline_pbx.audit import chain
from lifeline_pbx.audit.chain import GENESIS, Entry
from lifeline_pbx.doctor import audit_roles as doctor
from lifeline_pbx.doctor.report import report

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_chain(count: int) -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS
    for seq in range(1, count + 1):
        draft = Entry(seq, seq + 100, T0 + timedelta(seconds=seq), seq % 2 or None, "view",
                      "person", f"id-{seq}", ("names", "ñ: é"), prev, b"")
        entry = dataclasses.replace(draft, entry_hash=chain.entry_hash(prev, draft))
        entries.append(entry)
        prev = entry.entry_hash
    return entries


def first_problem(entries: list[Entry]) -> tuple[int, str] | None:
    before = None
    for entry in entries:
        if reason := chain.problem(before, entry):
            return entry.seq, reason
        before = entry
    return None


def altered(entries: list[Entry], index: int, **change: object) -> list[Entry]:
    result = list(entries)
    result[index] = dataclasses.replace(result[index], **change)  # type: ignore[arg-type]
    return result


def rehashed(entries: list[Entry], index: int, **change: object) -> list[Entry]:
    """Changed, and its own hash recomputed: only the next entry can tell."""
    result = altered(entries, index, **change)
    entry = result[index]
    result[index] = dataclasses.replace(entry, entry_hash=chain.entry_hash(entry.prev_hash, entry))
    return result


GOOD = make_chain(5)
CASES = {
    "intact": (GOOD, None),
    "a field changed": (altered(GOOD, 2, fields=("names",)), (3, "contents do not match")),
    "the user changed": (altered(GOOD, 1, user_id=7), (2, "contents do not match")),
    "the time changed by 1 us": (altered(GOOD, 0, at=T0 + timedelta(seconds=1, microseconds=1)),
                                 (1, "contents do not match")),
    "a value moved between fields": (altered(GOOD, 3, entity="personi", entity_id="d-4"),
                                     (4, "contents do not match")),
    "changed and rehashed": (rehashed(GOOD, 1, action="update"),
                             (3, "entry 2 before it was changed or replaced")),
    "a middle entry deleted": (GOOD[:2] + GOOD[3:], (4, "entry 3 before it is missing")),
    "two deleted": (GOOD[:1] + GOOD[3:], (4, "entry 2-3 before it is missing")),
    "the first deleted": (GOOD[1:], (2, "entry 1 before it is missing")),
    "the first re-rooted": (altered(GOOD, 0, prev_hash=b"\x01" * 32),
                            (1, "does not start the chain")),
    "a number repeated": ([*GOOD[:3], dataclasses.replace(GOOD[3], seq=3)],
                          (3, "repeats or goes back")),
}


@pytest.mark.parametrize("name", CASES)
def test_the_first_broken_entry_is_named(name: str) -> None:
    entries, expected = CASES[name]
    found = first_problem(entries)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == expected[0] and expected[1] in found[1], found


def test_the_encoding_leaves_no_two_entries_alike() -> None:
    base = GOOD[0]
    variants = [
        dataclasses.replace(base, fields=("ab",)), dataclasses.replace(base, fields=("a", "b")),
        dataclasses.replace(base, entity="person" + "id-1", entity_id=""),
        dataclasses.replace(base, user_id=None), dataclasses.replace(base, user_id=0),
    ]
    hashes = {chain.entry_hash(GENESIS, v) for v in [base, *variants]}
    assert len(hashes) == 1 + len(variants)


def test_describe_names_the_entry_or_counts_them() -> None:
    good = chain.Verdict(5, GOOD[-1])
    assert chain.describe(good).startswith("audit log: 5 entries verified")
    assert GOOD[-1].entry_hash.hex() in chain.describe(good)
    broken = chain.Verdict(2, GOOD[1], GOOD[2], "its contents do not match its hash")
    assert chain.describe(broken).startswith(
        "audit log: entry 3 (id 103, written 2025-03-01 12:00:03 UTC) is broken")
    assert chain.describe(chain.Verdict(0, None)) == "audit log: empty, nothing to verify"


HEALTHY = doctor.Facts(
    role="lifeline_app", superuser=False, member_of_superuser=False, createrole=False,
    owner="lifeline_audit", owns_table_or_functions=False, member_of_owner=False,
    forbidden_held=(), triggers={t: "O" for t in doctor.APPEND_ONLY_TRIGGERS},
    chain=chain.Verdict(5, GOOD[-1]),
)
DOCTOR_CASES = {
    "healthy": ({}, None),
    "superuser": ({"superuser": True}, "is not a superuser: the app logs in as a superuser"),
    "a superuser, with all a superuser has": (
        {"superuser": True, "createrole": True, "owns_table_or_functions": True,
         "member_of_owner": True, "forbidden_held": ("UPDATE", "DELETE", "TRUNCATE")},
        "is not a superuser: the app logs in as a superuser"),
    "member of a superuser": ({"member_of_superuser": True}, "SET ROLE to a superuser"),
    "createrole": ({"createrole": True}, "cannot create roles: it has CREATEROLE"),
    "owner": ({"owns_table_or_functions": True}, "does not own the audit log"),
    "member of owner": ({"member_of_owner": True}, "is not a member of the audit log's owner"),
    "may delete": ({"forbidden_held": ("DELETE",)}, "has no UPDATE, DELETE or TRUNCATE"),
    "trigger disabled": ({"triggers": {**HEALTHY.triggers, "audit_log_no_update": "D"}},
                         "disabled: audit_log_no_update"),
    "trigger dropped": ({"triggers": {"audit_log_no_update": "O", "audit_log_chain": "A"}},
                        "disabled: audit_log_no_truncate"),
    "chain broken": ({"chain": chain.Verdict(2, GOOD[1], GOOD[2], "x")}, "hash chain verifies"),
}


@pytest.mark.parametrize("name", DOCTOR_CASES)
def test_the_doctor_names_the_failing_check(name: str) -> None:
    change, failing = DOCTOR_CASES[name]
    results = doctor.checks(dataclasses.replace(HEALTHY, **change))  # type: ignore[arg-type]
    failed = [line for line in report(results).splitlines() if line.startswith("FAIL")]
    if failing is None:
        assert failed == []
    else:
        assert len(failed) == 1 and failing in failed[0], failed
