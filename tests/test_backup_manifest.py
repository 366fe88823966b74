"""A backup's manifest and the decisions about it, without a database or a file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from lifeline_pbx.backup import manifest
from lifeline_pbx.backup.manifest import BackupError, FileEntry, Manifest, Owned

DUMP = FileEntry("database.dump", 1000, "ab" * 32)
GOOD = Manifest(
    created_at=datetime(2026, 3, 2, 14, 0, 5, 123456, tzinfo=UTC), app_version="0.1.0",
    schema_version=17, schema_migration="0017_audit_chain_at_commit.sql",
    server_version="15.14", data_key_ids=("2026a", "t1"), files=(DUMP,),
    row_counts={"persons": 2, "audit_log": 9},
    owned_by_roles=(Owned("table", "public.audit_log", "lifeline_audit"),
                    Owned("function", "public.audit_log_chain()", "lifeline_audit")),
)


def test_the_manifest_reads_back_as_written() -> None:
    assert manifest.from_json(manifest.to_json(GOOD)) == GOOD


BAD_MANIFESTS = {
    "not JSON": ("{", "is not valid JSON"),
    "a list": ("[]", "is not a Lifeline backup manifest"),
    "another format": ('{"format": "other/9"}', "has format 'other/9'"),
    "no files": (manifest.to_json(GOOD).replace('"files"', '"filez"'), "'files' is missing"),
    "a count as text": (manifest.to_json(GOOD).replace('"schema_version": 17',
                                                       '"schema_version": "17"'),
                        "'schema_version' is missing or not int"),
    "a boolean version": (manifest.to_json(GOOD).replace('"schema_version": 17',
                                                         '"schema_version": true'),
                          "'schema_version' is missing or not int"),
    "a bad date": (manifest.to_json(GOOD).replace("2026-03-02T", "2026-13-02T"), "damaged"),
    "an unknown kind": (manifest.to_json(GOOD).replace('"kind": "function"', '"kind": "view"'),
                        "unknown kind of owned object 'view'"),
}


@pytest.mark.parametrize("name", BAD_MANIFESTS)
def test_a_bad_manifest_is_refused_with_what_is_wrong(name: str) -> None:
    text, message = BAD_MANIFESTS[name]
    with pytest.raises(BackupError) as refused:
        manifest.from_json(text)
    assert message in str(refused.value)


FILE_CASES: dict[str, tuple[dict[str, tuple[int, str | None]], list[str]]] = {
    "whole": ({"database.dump": (1000, "ab" * 32)}, []),
    "missing": ({}, ["database.dump is missing"]),
    "truncated": ({"database.dump": (999, None)},
                  ["database.dump is truncated: 999 bytes, the manifest says 1000"]),
    "grown": ({"database.dump": (1001, None)}, ["database.dump is longer than it was"]),
    "changed": ({"database.dump": (1000, "cd" * 32)},
                ["database.dump is damaged: its SHA-256 differs from the manifest's"]),
}


@pytest.mark.parametrize("name", FILE_CASES)
def test_each_file_is_checked_by_size_then_checksum(name: str) -> None:
    found, expected = FILE_CASES[name]
    problems = manifest.file_problems([DUMP], found)
    assert len(problems) == len(expected)
    assert all(want in got for want, got in zip(expected, problems, strict=True)), problems


def test_a_manifest_naming_no_file_or_a_path_is_refused() -> None:
    assert manifest.file_problems([], {}) == ["manifest.json lists no files"]
    for name in ("../etc/passwd", "a/b", "..", ""):
        entry = FileEntry(name, 1, "00")
        assert "is not a file name" in manifest.file_problems([entry], {name: (1, "00")})[0]


SCHEMA_CASES = {
    "the same": ([1, 2, 17], ""),
    "older: migrate after": ([1, 2, 17, 18, 19], ""),
    "newer than this lifeline": ([1, 2, 16], "newer than this lifeline knows (0016): "
                                             "restore it with lifeline 0.1.0 or later"),
    "a number this lifeline lacks": ([1, 16, 18], "which this lifeline does not have"),
}


@pytest.mark.parametrize("name", SCHEMA_CASES)
def test_only_a_schema_this_lifeline_knows_is_restored(name: str) -> None:
    known, message = SCHEMA_CASES[name]
    problem = manifest.schema_problem(GOOD, known)
    assert (problem == "") if not message else (message in problem), problem


@pytest.mark.parametrize(("relations", "clean", "refused"), [
    (0, False, False), (0, True, False), (1, False, True), (40, True, False),
])
def test_a_database_with_tables_is_restored_into_only_when_told(
    relations: int, clean: bool, refused: bool
) -> None:
    problem = manifest.target_problem(relations, clean=clean)
    assert bool(problem) == refused
    if refused:
        assert f"not empty ({relations} tables" in problem and "--clean" in problem


def test_row_counts_that_differ_are_named() -> None:
    assert manifest.count_problems({"persons": 2}, {"persons": 2, "extra": 5}) == []
    assert manifest.count_problems({"persons": 2, "calls": 3}, {"persons": 1}) == [
        "calls: no table rows restored, 3 backed up", "persons: 1 rows restored, 2 backed up"]


def test_objects_go_back_to_their_roles() -> None:
    assert manifest.owner_sql(GOOD.owned_by_roles) == (
        'ALTER TABLE public.audit_log OWNER TO "lifeline_audit";\n'
        'ALTER FUNCTION public.audit_log_chain() OWNER TO "lifeline_audit";\n')
    odd = dataclasses.replace(GOOD.owned_by_roles[0], owner='we"ird')
    assert manifest.owner_sql([odd]).endswith('OWNER TO "we""ird";\n')
