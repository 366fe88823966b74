"""Merging a duplicate person record over HTTP against the running app: a refusal is shown
on the person's page with the A-number typed, a preview merges nothing, only its
confirmation merges (legal holds included), a record changed since the preview is not
merged, and only supervisors merge."""

from __future__ import annotations

import html
import re
import uuid

from lifeline_pbx import crypto
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.edit_forms import post_opened
from tests.privacy import sensitive
from tests.test_cases_web import intake, save
from tests.test_retention_web import holds_listed
from tests.web_fixtures import Client, WebApp

KEPT, DUPLICATE = "A-208-555-019", "A-301-222-333"
KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
SUBPOENA, LAWSUIT = "Subpoena in Roe v. Eastgate", "Lawsuit Roe v. County, asked by ACLU"
SETTLED = "Roe v. County settled"
sensitive(SUBPOENA, LAWSUIT, SETTLED)
_HIDDEN = re.compile(r'<input type="hidden" name="(other|mark)" value="([^"]*)">')


async def on_record(web: WebApp, a_number: str, text: str, **extra: str) -> str:
    """A person of that A-number with one intake (a call, a report, a follow-up)."""
    status, body = await save(await web.signed_in("operator1"),
                              await intake(web, text, a_number=a_number, **extra))
    assert status == 200, body
    rows = await web.sql("SELECT id FROM persons ORDER BY created_at DESC LIMIT 1")
    return str(rows[0]["id"])


async def preview(client: Client, keep: str, typed: str) -> tuple[int, str, dict[str, str]]:
    """The preview's page and what its "Merge these records" posts."""
    status, page = await client.post(f"/people/{keep}/merge", {"other_a_number": typed})
    confirm = {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}
    return status, page, {**confirm, "other_a_number": typed}


async def merged(client: Client, keep: str, typed: str) -> int:
    """Preview, then confirm: the status of the confirmation."""
    status, _, confirm = await preview(client, keep, typed)
    assert status == 200
    status, _ = await client.post(f"/people/{keep}/merge/confirm", confirm)
    return status


async def merge_state(web: WebApp) -> list[tuple[object, ...]]:
    """What a merge changes: who each record was merged into, whose each intake, report,
    follow-up and legal hold is (and whether the hold was released), and the merge audit
    entries."""
    return [tuple(r) for r in await web.sql(
        """SELECT 'person', id::text, merged_into::text FROM persons
           UNION ALL SELECT 'intake', id::text, person_id::text FROM intakes
           UNION ALL SELECT 'report', id::text, person_id::text FROM reports
           UNION ALL SELECT 'follow_up', id::text, person_id::text FROM follow_ups
           UNION ALL SELECT 'legal_hold', id::text,
                            person_id::text || coalesce(released_at::text, '') FROM legal_holds
           UNION ALL SELECT 'audit', entity_id, array_to_string(fields, ',') FROM audit_log
                     WHERE action = 'merge'
           ORDER BY 1, 2""")]


def merge_form_error(page: str) -> str:
    found = re.search(r'<p class="field-error" role="alert" id="merge-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


async def test_each_merge_refusal_is_shown_on_the_person_page_with_what_was_typed(
        web: WebApp) -> None:
    keep = await on_record(web, KEPT, "Kept")
    earlier = await on_record(web, "A-401-222-333", "Earlier")
    supervisor = await web.signed_in("supervisor1")
    assert await merged(supervisor, keep, "A401222333") == 303
    before = await merge_state(web)
    for typed, message in [
        (KEPT, "That is this record's own A-number."),
        ("208555019", "That is this record's own A-number."),
        ("garbage", "An A-number has only digits after the letter A"),
        ("A-123", "An A-number has 8 or 9 digits; this one has 3."),
        ("   ", "Enter the A-number"),
        ("A-999-888-777", "No record has the A-number A999-888-777."),
        ("A-401-222-333", "The record of A401-222-333 is already merged into this one."),
    ]:
        status, page = await supervisor.post(f"/people/{keep}/merge", {"other_a_number": typed})
        assert status == 422, typed
        assert message in merge_form_error(page), (typed, merge_form_error(page))
        assert f'name="other_a_number" maxlength="30" required value="{typed}"' in page, typed
        # the person's page, with its navigation, not a bare error page
        assert "<h1>Person A208-555-019</h1>" in page and 'href="/people"' in page, typed
        assert "Back to the start" not in page, typed
    assert await merge_state(web) == before
    assert earlier != keep


async def test_a_preview_merges_nothing_and_its_confirmation_merges(web: WebApp) -> None:
    keep = await on_record(web, KEPT, "Kept")
    other = await on_record(web, DUPLICATE, "Duplicate")
    supervisor = await web.signed_in("supervisor1")
    before = await merge_state(web)
    searches = await web.sql("SELECT id FROM audit_log WHERE entity = 'person_search'")

    status, page, confirm = await preview(supervisor, keep, DUPLICATE)
    assert status == 200 and "<h1>Merge A301-222-333 into A208-555-019?</h1>" in page
    assert 'id="merge-other-names">Name Duplicate<' in page
    assert "<dt>Languages</dt><dd>Spanish</dd>" in page  # named, not coded
    for counted, n in (("intakes", 1), ("calls", 1), ("reports", 1), ("follow-ups", 1),
                       ("holds", 0), ("records", 0)):
        assert f'id="moves-{counted}">{n}<' in page, counted
    assert 'id="merge-confirm">Merge these records<' in page
    assert f'<a href="/people/{keep}" id="merge-cancel">Cancel</a>' in page
    assert confirm["other"] == other and confirm["mark"]
    assert await merge_state(web) == before  # nothing merged
    # The search audited as every search is, and the other record as viewed.
    assert len(await web.sql("SELECT id FROM audit_log WHERE entity = 'person_search'")) \
        == len(searches) + 1
    viewed = await web.sql("SELECT fields FROM audit_log WHERE action = 'view' "
                           "AND entity = 'person' AND entity_id = $1", other)
    assert ["a_number", "calls", "country", "date_of_birth", "facility", "follow_ups",
            "intakes", "languages", "legal_holds", "names", "reports", "transfers"] in [
        r["fields"] for r in viewed]

    status, _ = await supervisor.post(f"/people/{keep}/merge/confirm", confirm)
    assert status == 303 and supervisor.last["location"] == f"/people/{keep}?merged=1"
    rows = await web.sql("SELECT merged_into::text AS m FROM persons WHERE id = $1", other)
    assert rows[0]["m"] == keep
    for table in ("intakes", "reports", "follow_ups"):
        owners = await web.sql(f"SELECT DISTINCT person_id::text AS p FROM {table}")
        assert [r["p"] for r in owners] == [keep], table
    entries = await web.sql("SELECT entity_id, fields FROM audit_log WHERE action = 'merge' "
                            "AND entity = 'person' ORDER BY id")
    assert [r["entity_id"] for r in entries] == [keep, other]
    assert entries[1]["fields"] == ["merged_into"]
    moved = await web.sql("SELECT r.id::text AS id, a.fields FROM audit_log a JOIN reports r "
                          "ON r.id::text = a.entity_id WHERE a.action = 'merge' "
                          "AND a.entity = 'report'")
    assert [r["fields"] for r in moved] == [["person_id"]]  # the duplicate's one report
    status, page = await supervisor.get(f"/people/{keep}?merged=1")
    assert status == 200 and "The records were merged." in page and "Name Duplicate" in page

    # Sent again (a second click): refused on the page, nothing more happens.
    after = await merge_state(web)
    status, page = await supervisor.post(f"/people/{keep}/merge/confirm", confirm)
    assert status == 409 and "already one person" in merge_form_error(page)
    assert f'required value="{DUPLICATE}"' in page
    assert await merge_state(web) == after


async def test_a_record_changed_after_the_preview_is_not_merged(web: WebApp) -> None:
    keep = await on_record(web, KEPT, "Kept")
    other = await on_record(web, DUPLICATE, "Duplicate")
    supervisor = await web.signed_in("supervisor1")
    operator = await web.signed_in("operator1")

    async def change(what: str) -> None:
        if what.startswith("hold placed"):  # on neither person's row
            person = keep if what == "hold placed on the kept" else other
            status, _ = await supervisor.post(f"/people/{person}/legal-hold",
                                              {"reason": SUBPOENA})
            assert status == 303
            return
        if what == "the duplicate's hold released":
            hold = (await web.sql("SELECT id FROM legal_holds WHERE person_id = $1"
                                  " AND released_at IS NULL", uuid.UUID(other)))[0]["id"]
            status, _ = await supervisor.post(
                f"/people/{other}/legal-holds/{hold}/release", {"reason": SETTLED})
            assert status == 303
            return
        if what == "new follow-up":  # the person's row itself is not written
            intake_id = (await web.sql("SELECT id FROM intakes WHERE person_id = $1",
                                       uuid.UUID(other)))[0]["id"]
            status, _ = await supervisor.post(f"/people/{other}/contact-family/{intake_id}",
                                              {"followup_what": "Call the sister"})
            assert status == 303
            return
        if what == "new intake":
            status, body = await save(operator, await intake(web, "Again", a_number=DUPLICATE))
            assert status == 200, body
            return
        person = keep if what == "kept edited" else other
        status, _ = await post_opened(supervisor, f"/people/{person}/edit",
                                      {"person_names": "Another Spelling",
                                       "person_facility_change": "transfer"})
        assert status == 303

    for what in ("kept edited", "duplicate edited", "new intake", "new follow-up",
                 "hold placed on the kept", "hold placed on the duplicate",
                 "the duplicate's hold released"):
        status, _, confirm = await preview(supervisor, keep, DUPLICATE)
        assert status == 200
        await change(what)
        before = await merge_state(web)
        status, page = await supervisor.post(f"/people/{keep}/merge/confirm", confirm)
        assert status == 409, what
        assert "changed after the preview, so nothing was merged" in merge_form_error(page)
        assert f'required value="{DUPLICATE}"' in page, what
        assert await merge_state(web) == before, what
    # Looked at again, it merges.
    assert await merged(supervisor, keep, DUPLICATE) == 303


async def place(web: WebApp, client: Client, person: str, reason: str) -> int:
    """A hold placed on the person's page: its id."""
    status, _ = await client.post(f"/people/{person}/legal-hold", {"reason": reason})
    assert status == 303
    rows = await web.sql("SELECT max(id) AS id FROM legal_holds")
    return int(rows[0]["id"])


async def test_a_merge_moves_the_duplicates_legal_holds_with_their_reasons(
        web: WebApp) -> None:
    keep = await on_record(web, KEPT, "Kept")
    other = await on_record(web, DUPLICATE, "Duplicate")
    supervisor = await web.signed_in("supervisor1")
    kept_hold = await place(web, supervisor, keep, SUBPOENA)
    released = await place(web, supervisor, other, "Complaint, withdrawn")
    status, _ = await supervisor.post(f"/people/{other}/legal-holds/{released}/release",
                                      {"reason": SETTLED})
    assert status == 303
    moved = await place(web, supervisor, other, LAWSUIT)

    status, page, confirm = await preview(supervisor, keep, DUPLICATE)
    assert status == 200 and 'id="moves-holds">1<' in page  # in force
    status, _ = await supervisor.post(f"/people/{keep}/merge/confirm", confirm)
    assert status == 303
    owners = await web.sql("SELECT id, person_id::text AS p, released_at IS NULL AS in_force"
                           " FROM legal_holds ORDER BY id")
    assert [tuple(r) for r in owners] == [(kept_hold, keep, True), (released, keep, False),
                                          (moved, keep, True)]
    entry = (await web.sql("SELECT fields FROM audit_log WHERE action = 'merge'"
                           " AND entity_id = $1", keep))[0]
    assert "legal_holds" in entry["fields"]

    status, page = await supervisor.get(f"/people/{keep}")
    assert status == 200 and holds_listed(page, keep) == [kept_hold, moved]
    # The moved hold's reason opens (sealed at the hold's id, not the person's).
    status, page = await supervisor.get(f"/people/{keep}/legal-holds/{moved}/release")
    assert status == 200 and LAWSUIT in page and "1 other legal" in page
    row = (await web.sql("SELECT reason FROM legal_holds WHERE id = $1", moved))[0]
    assert KEYS.open(bytes(row["reason"]), crypto.place("legal_holds", "reason", moved)) \
        == LAWSUIT
    status, page = await supervisor.get("/legal-holds")
    assert status == 200 and SETTLED in page and LAWSUIT in page
    # The merged-away record has none left, and takes none: its page leads to the kept one.
    for method in ("GET", "POST"):
        status, page = await (supervisor.get(f"/people/{other}/legal-hold") if method == "GET"
                              else supervisor.post(f"/people/{other}/legal-hold",
                                                   {"reason": SUBPOENA}))
        assert status == 409 and "merged into another" in page, method
    status, _ = await supervisor.post(f"/people/{other}/legal-holds/{moved}/release",
                                      {"reason": SETTLED})
    assert status == 409
    status, _ = await supervisor.post(f"/people/{keep}/legal-holds/{moved}/release",
                                      {"reason": SETTLED})
    assert status == 303
    status, page = await supervisor.get(f"/people/{keep}")
    assert holds_listed(page, keep) == [kept_hold]


async def test_only_a_supervisor_merges(web: WebApp) -> None:
    keep = await on_record(web, KEPT, "Kept")
    await on_record(web, DUPLICATE, "Duplicate")
    _, _, confirm = await preview(await web.signed_in("supervisor1"), keep, DUPLICATE)
    before = await merge_state(web)
    operator = await web.signed_in("operator1")
    for path, form in ((f"/people/{keep}/merge", {"other_a_number": DUPLICATE}),
                       (f"/people/{keep}/merge/confirm", confirm)):
        status, page = await operator.post(path, form)
        assert status == 403 and "Name Duplicate" not in page, path
    assert await merge_state(web) == before


def _rows(page: str, table: str) -> int:
    found = re.search(f'<table id="{table}">(.*?)</table>', page, re.S)
    assert found, table
    return found.group(1).count("<tr") - 1 - found.group(1).count('colspan="9"')


def _held_at(page: str) -> list[str]:
    found = re.search(r'<ul id="person-held-at">(.*?)</ul>', page, re.S)
    assert found
    return [html.unescape(li) for li in re.findall(r"<li>([^<(]*) \(noted", found.group(1))]


async def test_after_a_merge_the_pages_say_what_was_merged_and_when(web: WebApp) -> None:
    """Finding 17: the kept page lists the merge; the merged record's address says it was
    merged; "Held at" lists both records' entry at one facility once; the preview counts
    the calls the duplicate's page lists; the moved report's history says it moved."""
    keep = await on_record(web, KEPT, "Kept")
    other = await on_record(web, DUPLICATE, "Duplicate")
    await web.sql(  # an intake typed outside a call: an intake, not a call
        """INSERT INTO intakes (id, person_id, user_id, language, outcome)
           SELECT gen_random_uuid(), $1, id, 'fr', 'intake' FROM users
           WHERE username = 'supervisor1'""", other)
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get(f"/people/{other}")
    assert status == 200 and _rows(page, "person-calls") == 1
    assert 'id="person-merged"' not in page and 'id="person-merged-asked"' not in page
    report = (await web.sql("SELECT id::text FROM reports WHERE person_id = $1",
                            other))[0]["id"]
    status, page, confirm = await preview(supervisor, keep, DUPLICATE)
    assert 'id="moves-calls">1<' in page and 'id="moves-intakes">2<' in page
    status, _ = await supervisor.post(f"/people/{keep}/merge/confirm", confirm)
    assert status == 303

    status, page = await supervisor.get(f"/people/{keep}")
    assert status == 200 and 'id="person-merged-asked"' not in page
    by = (await web.sql("SELECT display_name FROM users WHERE username = 'supervisor1'")
          )[0]["display_name"]
    merged_line = re.search(r'<ul id="person-merged"><li>([^<]*)</li></ul>', page)
    assert merged_line and re.fullmatch(
        r"Merged into this record: the record of A301-222-333, on \d{4}-\d\d-\d\d "
        r"\d\d:\d\d E[SD]T by " + re.escape(by), html.unescape(merged_line.group(1))), page
    facility = (await web.sql("SELECT name FROM facilities f JOIN persons p "
                              "ON p.facility_id = f.id WHERE p.id = $1", keep))[0]["name"]
    assert _held_at(page) == [facility]  # one entry from each record, listed once
    assert _rows(page, "person-calls") == 2

    status, page = await supervisor.get(f"/people/{other}")
    assert status == 200 and "<h1>Person A208-555-019</h1>" in page
    asked = re.search(r'<p class="notice" id="person-merged-asked">([^<]*)</p>', page)
    assert asked and html.unescape(asked.group(1)).startswith(
        "The record at this address (A301-222-333) was merged into this one on ")

    status, page = await supervisor.get(f"/reports/{report}")
    assert status == 200 and "Never corrected." in page
    line = re.search(r'<ul id="report-merges"><li>([^<]*)</li></ul>', page)
    assert line and html.unescape(line.group(1)).startswith(
        "Moved with its person's record, when that record was merged into another, on ")
    viewed = await web.sql("SELECT fields FROM audit_log WHERE action = 'view' "
                           "AND entity = 'person' AND entity_id = $1 ORDER BY id DESC LIMIT 1",
                           other)
    assert viewed[0]["fields"] == ["a_number"]  # its A-number shown on the kept page


def _held_merged(page: str) -> list[str]:
    found = re.search(r'<ul id="person-held-merged">(.*?)</ul>', page, re.S)
    return [html.unescape(li) for li in re.findall(r"<li>([^<(]*) \(noted",
                                                   found.group(1))] if found else []


async def test_a_merged_records_facility_is_listed_apart_not_as_a_transfer(
        web: WebApp) -> None:
    """Finding N6: two records held at different facilities, merged: the kept record's
    "Held at" is its own, the other's facility is listed as from the merged record, no
    transfer is made up, and the kept Facility is unchanged."""
    facilities = await web.sql("SELECT id, name FROM facilities ORDER BY id LIMIT 2")
    (kept_at, kept_name), (other_at, other_name) = [(r["id"], r["name"]) for r in facilities]
    keep = await on_record(web, KEPT, "Kept", person_facility=str(kept_at))
    await on_record(web, DUPLICATE, "Duplicate", person_facility=str(other_at))
    supervisor = await web.signed_in("supervisor1")
    assert await merged(supervisor, keep, DUPLICATE) == 303

    status, page = await supervisor.get(f"/people/{keep}")
    assert status == 200
    assert _held_at(page) == [kept_name]  # no move to the other's facility
    assert _held_merged(page) == [other_name]
    assert "From a record merged into this one (not transfers):" in page
    facility = re.search(r"<dt>Facility</dt><dd>([^<]*)</dd>", page)
    assert facility and html.unescape(facility.group(1)) == kept_name
    entries = await web.sql(
        """SELECT count(*) AS n FROM audit_log a JOIN person_facilities pf
           ON a.entity_id = pf.id::text WHERE a.action = 'merge'
           AND a.entity = 'person_facility' AND pf.facility_id = $1""", other_at)
    assert entries[0]["n"] == 1  # the entry it brought over, and only that one
