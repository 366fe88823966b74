"""Facilities and lines through the running web server and PostgreSQL: who may, what is
saved and audited, what is refused with nothing saved, the CSV import, deleting a line with
calls, the preview with its audio; and the engine's copy of the lines following NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from lifeline_pbx import prompts
from lifeline_pbx.admin import line_changes
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.config_watch import ConfigWatch
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.prompts import coverage, tones
from tests import cli_run
from tests.waiting import wait_for
from tests.web_fixtures import WebApp, running_web

NEW_DID = "15550100301"
FACILITY = {"name": "Stewart Detention Center", "city": "Lumpkin", "state": "GA",
            "address": "146 CCA Rd", "contractor": "CoreCivic", "timezone": "", "notes": ""}
LINE = {"did": "+1 555 010 0301", "name": "Stewart line", "default_language": "es",
        "menu_language_1": "es", "menu_digit_1": "1", "menu_language_2": "en",
        "menu_digit_2": "2", "always_open": "on", "triage_digit": "9", "menu_timeout": "5",
        "call_limit": "900", "limit_warning": "120", "voicemail_max": "180", "max_wait": ""}
CLOSURE = {"first": "2030-12-25", "last": "", "name": "Christmas", "prompt": "voicemail-closed"}
# What a form may change, per table, for "nothing saved" (audit_log: only appended to).
TABLES = ("facilities", "lines", "line_languages", "line_hours", "line_holidays", "audit_log")


@pytest.fixture
def prompt_files(tmp_path: Path) -> Path:
    """A prompts folder where English and Spanish have every prompt and French one."""
    short = tones.samples(((440, 0.05),))
    for language in ("en", "es"):
        (tmp_path / language).mkdir()
        for name in prompts.concrete_names():
            tones.write_wav(tmp_path / language / f"{name}.wav", short)
    (tmp_path / "fr").mkdir()
    tones.write_wav(tmp_path / "fr" / "greeting.wav", short)
    return tmp_path


@pytest.fixture
async def web(app_dsn: str, prompt_files: Path) -> AsyncIterator[WebApp]:
    async with running_web(app_dsn, prompts_dir=str(prompt_files)) as web_app:
        yield web_app


async def _snapshot(web: WebApp) -> dict[str, list[Any]]:
    return {table: [tuple(r) for r in await web.sql(f"SELECT * FROM {table} ORDER BY 1")]
            for table in TABLES}


async def _ids(web: WebApp) -> tuple[int, int]:
    """The demo queue and the first demo facility."""
    queue = (await web.sql("SELECT id FROM queues WHERE name = 'Hotline'"))[0][0]
    facility = (await web.sql("SELECT id FROM facilities ORDER BY id LIMIT 1"))[0][0]
    return queue, facility


async def _new_line(web: WebApp, admin: Any, **changes: str) -> int:
    queue, facility = await _ids(web)
    status, page = await admin.post("/admin/lines", {
        **LINE, "queue_id": str(queue), "facility_id": str(facility), **changes})
    assert status == 303, page
    return int(admin.last["location"].split("/")[3].split("?")[0])


# Who may: every route added here, admins only.

ROUTES = [
    ("GET", "/admin/facilities"), ("POST", "/admin/facilities"),
    ("POST", "/admin/facilities/import"), ("GET", "/admin/facilities/1"),
    ("POST", "/admin/facilities/1"), ("POST", "/admin/facilities/1/disable"),
    ("POST", "/admin/facilities/1/enable"), ("GET", "/admin/lines"),
    ("GET", "/admin/lines/new"), ("POST", "/admin/lines"), ("GET", "/admin/lines/1"),
    ("POST", "/admin/lines/1"), ("POST", "/admin/lines/1/disable"),
    ("POST", "/admin/lines/1/enable"), ("POST", "/admin/lines/1/delete"),
    ("POST", "/admin/lines/1/closures"), ("POST", "/admin/lines/1/closures/2030-12-25/remove"),
    ("GET", "/admin/lines/1/preview"),
    ("GET", "/admin/lines/1/oncall"), ("POST", "/admin/lines/1/oncall"),
]
ADDED = ("/admin/facilities", "/admin/lines")


def test_the_table_names_every_route_added(web: WebApp) -> None:
    placeholders = {"facility_id": "1", "line_id": "1", "day": "2030-12-25"}
    routed = set()
    for route in web.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("GET", "POST") and path.startswith(ADDED):
            routed.add((route.method, re.sub(r"\{(\w+)\}", lambda m: placeholders[m[1]], path)))
    assert routed == set(ROUTES)


@pytest.mark.parametrize("username", ["operator1", "supervisor1"])
async def test_only_admins_may(web: WebApp, username: str) -> None:
    before = await _snapshot(web)
    client = await web.signed_in(username)
    for method, path in ROUTES:
        if method == "GET":
            status, _ = await client.get(path)
        else:
            status, _ = await client.post(path, {**FACILITY, **LINE, **CLOSURE,
                                                 "csv": "name,city,state,contractor\nX,Y,GA,Z"})
        assert status == 403, (username, method, path, status)
    assert await _snapshot(web) == before


async def test_admins_may(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    for method, path in ROUTES:
        if method == "GET":
            async with admin.http.get(admin.url(path), allow_redirects=False) as r:
                assert r.status == 200, path


# What an admin does, saved and audited


async def test_a_facility_is_added_edited_and_disabled_with_its_lines(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    assert (await admin.post("/admin/facilities", FACILITY))[0] == 303
    row = (await web.sql("SELECT * FROM facilities WHERE name = $1", FACILITY["name"]))[0]
    assert (row["state"], row["timezone"], row["enabled"]) == ("GA", "America/New_York", True)
    status, page = await admin.get(f"/admin/facilities/{row['id']}")
    assert status == 200 and 'value="146 CCA Rd"' in page

    status, _ = await admin.post(f"/admin/facilities/{row['id']}", {
        **FACILITY, "timezone": "America/Chicago", "notes": "Calls cut at 15 minutes."})
    assert status == 303
    line_id = await _new_line(web, admin, facility_id=str(row["id"]))
    assert (await admin.post(f"/admin/facilities/{row['id']}/disable"))[0] == 303
    _, page = await admin.get(f"/admin/lines/{line_id}")
    assert "(disabled)" in page  # the line keeps its facility, shown as disabled
    entries = sorted(tuple(r["fields"]) for r in await web.sql(
        "SELECT fields FROM audit_log WHERE entity = 'facility' AND entity_id = $1",
        str(row["id"])))
    assert entries == [("address", "city", "contractor", "name", "notes", "state", "timezone"),
                       ("enabled",), ("notes", "timezone")]
    assert "Calls cut" not in repr(await web.sql("SELECT * FROM audit_log"))


async def test_a_line_is_added_edited_closed_and_previewed(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    line_id = await _new_line(web, admin)
    row = (await web.sql("SELECT * FROM lines WHERE id = $1", line_id))[0]
    assert (row["did"], row["default_language"], row["always_open"]) == (NEW_DID, "es", True)
    menu = await web.sql("SELECT language, digit FROM line_languages WHERE line_id = $1 "
                         "ORDER BY position", line_id)
    assert [tuple(r) for r in menu] == [("es", "1"), ("en", "2")]

    status, page = await admin.get(f"/admin/lines/{line_id}")
    assert status == 200 and 'value="15550100301"' in page
    form = {**LINE, "queue_id": str(row["queue_id"]), "facility_id": str(row["facility_id"]),
            "always_open": "", "hours_mon": "09:00-17:00", "hours_fri": "20:00-02:00",
            "max_wait": "90", "three_way_allowed": "on"}
    assert (await admin.post(f"/admin/lines/{line_id}", form))[0] == 303
    assert admin.last["location"].endswith("done=saved")
    hours = await web.sql("SELECT weekday, opens::text, closes::text FROM line_hours "
                          "WHERE line_id = $1 ORDER BY weekday", line_id)
    assert [tuple(r) for r in hours] == [(0, "09:00:00", "17:00:00"), (4, "20:00:00", "02:00:00")]
    assert (await admin.post(f"/admin/lines/{line_id}", form))[0] == 303
    assert admin.last["location"].endswith("done=unchanged")

    assert (await admin.post(f"/admin/lines/{line_id}/closures", {
        **CLOSURE, "last": "2030-12-26", "prompt": "technical-difficulty"}))[0] == 303
    days = await web.sql("SELECT day::text, prompt FROM line_holidays WHERE line_id = $1 "
                         "ORDER BY day", line_id)
    assert [tuple(r) for r in days] == [("2030-12-25", "technical-difficulty"),
                                        ("2030-12-26", "technical-difficulty")]
    assert (await admin.post(f"/admin/lines/{line_id}/closures/2030-12-26/remove"))[0] == 303
    assert (await admin.post(f"/admin/lines/{line_id}/closures/2030-12-26/remove"))[0] == 404

    entries = [tuple(r["fields"]) for r in await web.sql(
        "SELECT fields FROM audit_log WHERE entity = 'line' AND entity_id = $1 ORDER BY id",
        str(line_id))]
    assert entries[0] == tuple(sorted(entries[0])) and "menu" in entries[0]
    assert entries[1:] == [("always_open", "hours", "max_wait", "three_way_allowed"),
                           ("holidays",), ("holidays",)]

    status, page = await admin.get(f"/admin/lines/{line_id}/preview")
    assert status == 200
    # Each prompt plays through the prompts admin's audio route (what the folder holds).
    assert 'src="/admin/prompts/es/greeting/audio"' in page
    assert 'data-prompt="en/triage-9"' in page and "2030-12-25 (Christmas)" in page
    assert "in Spanish" in page  # the languages table's names
    async with admin.http.get(admin.url("/admin/prompts/es/greeting/audio")) as r:
        body = await r.read()
        assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
        assert body[:4] == b"RIFF"
    assert (await admin.get("/admin/prompts/fr/confidentiality/audio"))[0] == 404


def _heard(page: str, prompt: str) -> list[str]:
    return re.findall(rf'<li class="heard" data-prompt="{prompt}">(.*?)</li>', page, re.S)


async def test_the_preview_says_the_words_a_caller_hears(web: WebApp) -> None:
    """The words of the catalogue in the language played, digits filled in, the file's name
    small beside them; a recording's words are not known: its name is shown."""
    admin = await web.signed_in("admin1")
    line_id = await _new_line(web, admin)
    await _record(web, "es", ("greeting",))
    status, page = await admin.get(f"/admin/lines/{line_id}/preview")
    assert status == 200
    triage = _heard(page, "en/triage-9")
    assert len(triage) == 1
    assert '<q class="words" lang="en">If someone is in danger now, press 9.</q>' in triage[0]
    assert '<span class="small"><code>triage-9</code> in English</span>' in triage[0]
    assert "Si alguien está en peligro, oprima 9." in _heard(page, "es/triage-9")[0]
    assert "Abrimos de nuevo mañana," in _heard(page, "es/next-open-day-8")[0]
    [greeting] = _heard(page, "es/greeting")
    assert "<q" not in greeting and "<code>greeting</code> in Spanish" in greeting
    assert 'src="/admin/prompts/es/greeting/audio"' in greeting


async def test_a_closure_over_closed_or_passed_days_is_refused_with_what_was_typed(
        web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    line_id = await _new_line(web, admin)
    assert (await admin.post(f"/admin/lines/{line_id}/closures", CLOSURE))[0] == 303
    before = await _snapshot(web)
    overlapping = {**CLOSURE, "first": "2030-12-24", "last": "2030-12-26", "name": "Staff day",
                   "prompt": "technical-difficulty"}
    status, page = await admin.post(f"/admin/lines/{line_id}/closures", overlapping)
    assert status == 422 and 'id="error-closure_first"' in page
    assert "Already closed: 2030-12-25 (Christmas)." in page
    assert 'value="2030-12-24"' in page and 'value="Staff day"' in page
    status, page = await admin.post(f"/admin/lines/{line_id}/closures", {
        **CLOSURE, "first": "2020-01-01", "last": "2020-01-02"})
    assert status == 422 and "These days have passed" in page
    assert 'value="2020-01-01"' in page
    assert await _snapshot(web) == before  # Christmas keeps its reason and message


# Languages come from the languages table, held to the prompts admin's coverage rule


async def _record(web: WebApp, language: str, names: tuple[str, ...]) -> None:
    for name in names:
        await web.sql("""INSERT INTO prompt_recordings (language, name, audio, original,
                             original_format, duration_ms, source)
                         VALUES ($1, $2, 'RIFF', 'RIFF', 'wav', 1000, 'upload')""",
                      language, name)


async def test_a_language_goes_on_a_menu_once_its_prompts_are_recorded(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    _, page = await admin.get("/admin/lines/new")
    offered = set(re.findall(r'<option value="([a-z-]+)"[^>]*>[^<]*\(', page))
    assert offered == {"es", "en"}  # fr lacks files; K'iche' has no recordings yet
    queue, facility = await _ids(web)
    quc_menu = {**LINE, "queue_id": str(queue), "facility_id": str(facility),
                "menu_language_2": "quc", "menu_digit_2": "2"}
    status, page = await admin.post("/admin/lines", quc_menu)
    assert status == 422 and 'id="error-menu_language_2"' in page
    assert "&#39;quc&#39; has no prompts yet" in page

    await _record(web, "quc", coverage.required("2", "9"))
    _, page = await admin.get("/admin/lines/new")
    assert '<option value="quc">K&#39;iche&#39; (quc)</option>' in page
    assert (await admin.post("/admin/lines", quc_menu))[0] == 303
    # At another key its menu entry is missing: refused, naming it.
    status, page = await admin.post("/admin/lines", {**quc_menu, "did": "15550100302",
                                                     "menu_digit_2": "3"})
    assert status == 422 and "language-choice-3" in page


async def test_the_databases_refusal_of_a_menu_is_a_problem_on_the_menu(
        web: WebApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check before the write passed, and a recording went meanwhile: the trigger
    (migrations/0021) refuses the row, and the form comes back with it on the menu."""
    monkeypatch.setattr(line_changes, "choice_problems", lambda *_args: {})
    admin = await web.signed_in("admin1")
    queue, facility = await _ids(web)
    before = await _snapshot(web)
    status, page = await admin.post("/admin/lines", {
        **LINE, "queue_id": str(queue), "facility_id": str(facility),
        "menu_language_2": "mam"})
    assert status == 422 and 'id="error-menu"' in page and "lacks prompts" in page
    assert 'id="line-form"' in page and 'value="Stewart line"' in page  # as typed
    assert await _snapshot(web) == before


async def test_a_line_with_calls_is_not_deleted(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    line_id = await _new_line(web, admin)
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, line_id, caller_number,
               caller_name, started_at)
           VALUES (gen_random_uuid(), 'c1', 'PJSIP/c1', $1, $2, '1', 'x', now())""",
        NEW_DID, line_id)
    status, page = await admin.post(f"/admin/lines/{line_id}/delete")
    assert status == 409 and "1 call(s) in progress" in page and "Disable it" in page
    await web.sql("UPDATE calls SET ended_at = now() WHERE line_id = $1", line_id)
    status, page = await admin.post(f"/admin/lines/{line_id}/delete")
    assert status == 409 and "on record" in page
    assert await web.sql("SELECT 1 FROM lines WHERE id = $1", line_id)

    assert (await admin.post(f"/admin/lines/{line_id}/disable"))[0] == 303
    assert (await web.sql("SELECT enabled FROM lines WHERE id = $1", line_id))[0][0] is False
    never_called = await _new_line(web, admin, did="15550100399")
    assert (await admin.post(f"/admin/lines/{never_called}/delete"))[0] == 303
    assert not await web.sql("SELECT 1 FROM lines WHERE id = $1", never_called)
    assert await web.sql("SELECT 1 FROM audit_log WHERE entity = 'line' AND action = 'delete' "
                         "AND entity_id = $1", str(never_called))


# Bad input: each form, the field named, nothing saved

BAD_FACILITY = [({"name": ""}, "name"), ({"state": "Georgia"}, "state"),
                ({"timezone": "Mars/Olympus"}, "timezone"), ({"address": "x" * 501}, "address"),
                ({"name": "Demo County Processing Center"}, "name")]
BAD_LINE = [({"did": "555-CALL"}, "did"), ({"did": "15550100101"}, "did"),
            ({"name": ""}, "name"), ({"facility_id": "987654"}, "facility_id"),
            ({"queue_id": "987654"}, "queue_id"), ({"menu_language_2": "fr"}, "menu_language_2"),
            ({"menu_digit_2": "1"}, "menu_digit_2"), ({"default_language": "fr"},
                                                      "default_language"),
            ({"always_open": "", "hours_mon": "9 to 5"}, "hours_mon"),
            ({"always_open": ""}, "hours"), ({"call_limit": "10"}, "call_limit"),
            ({"limit_warning": "900"}, "limit_warning"), ({"triage_digit": "0"}, "triage_digit"),
            ({"triage_digit": "2"}, "triage_digit"),
            ({"max_wait": "1"}, "max_wait"), ({"voicemail_max": "x"}, "voicemail_max")]
BAD_CLOSURE = [({"first": "tomorrow"}, "closure_first"), ({"last": "2030-12-01"}, "closure_last"),
               ({"name": ""}, "closure_name"), ({"prompt": "greeting"}, "closure_prompt")]


async def test_bad_input_names_the_field_and_saves_nothing(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    line_id = await _new_line(web, admin)
    facility_id = (await web.sql("SELECT id FROM facilities ORDER BY id DESC LIMIT 1"))[0][0]
    queue, facility = await _ids(web)
    line_form = {**LINE, "queue_id": str(queue), "facility_id": str(facility)}
    forms: list[tuple[str, dict[str, str], list[tuple[dict[str, str], str]]]] = [
        ("/admin/facilities", FACILITY, BAD_FACILITY),
        (f"/admin/facilities/{facility_id}", FACILITY, BAD_FACILITY),
        ("/admin/lines", {**line_form, "did": "15550100302"}, BAD_LINE),
        (f"/admin/lines/{line_id}", line_form, BAD_LINE[:1] + BAD_LINE[2:]),
        (f"/admin/lines/{line_id}/closures", CLOSURE, BAD_CLOSURE),
    ]
    before = await _snapshot(web)
    for path, good, cases in forms:
        for changes, field in cases:
            status, page = await admin.post(path, {**good, **changes})
            assert status == 422, (path, changes, status)
            assert f'id="error-{field}"' in page, (path, changes)
            assert "Traceback" not in page
    # Another line's number, on the saved line's own form.
    status, page = await admin.post(f"/admin/lines/{line_id}", {**line_form,
                                                               "did": "15550100101"})
    assert status == 422 and "already a line" in page
    assert await _snapshot(web) == before


async def test_an_urgent_key_that_chooses_a_language_is_refused_with_what_was_typed(
        web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    queue, facility = await _ids(web)
    before = await _snapshot(web)
    status, page = await admin.post("/admin/lines", {
        **LINE, "queue_id": str(queue), "facility_id": str(facility), "name": "Typed line",
        "triage_digit": "2"})
    assert status == 422
    assert 'id="error-triage_digit"' in page
    assert "Key 2 already chooses &#39;en&#39; on the language menu" in page
    assert 'value="Typed line"' in page and 'name="triage_digit"' in page
    assert 'value="2"' in page
    assert await _snapshot(web) == before


async def test_a_line_saved_with_a_clash_before_the_rule_is_flagged_on_the_list(
        web: WebApp) -> None:
    """Lines saved before the rule may break it: the list says which, until fixed."""
    admin = await web.signed_in("admin1")
    lines = await web.sql("SELECT l.id, l.did FROM lines l WHERE (SELECT count(*) FROM "
                          "line_languages ll WHERE ll.line_id = l.id) >= 2 ORDER BY l.id")
    clashing = lines[0]
    digit = (await web.sql("SELECT digit FROM line_languages WHERE line_id = $1 "
                           "ORDER BY digit LIMIT 1", clashing["id"]))[0]["digit"]
    await web.sql("UPDATE lines SET triage_digit = $2 WHERE id = $1", clashing["id"], digit)
    status, page = await admin.get("/admin/lines")
    assert status == 200
    assert f'id="clash-{clashing["did"]}">Key {digit} already chooses' in page
    assert page.count('class="error" id="clash-') == 1  # the others are sound
    assert "1: English" in page  # the menu's languages named


async def test_a_csv_with_a_bad_row_imports_nothing(web: WebApp) -> None:
    admin = await web.signed_in("admin1")
    before = await _snapshot(web)
    bad = ("name,city,state,contractor\nGood One,Lumpkin,GA,CoreCivic\n"
           "Bad State,Somewhere,Georgia,X\nDemo County Processing Center,Lumpkin,GA,X\n")
    status, page = await admin.post("/admin/facilities/import", {"csv": bad})
    assert status == 422 and "Nothing was imported" in page and "line 3: state" in page
    assert "Good One" in page  # the file is shown again to be fixed
    clash = "name,city,state,contractor\nGood One,Lumpkin,GA,CoreCivic\n" \
            "Demo County Processing Center,Lumpkin,GA,X\n"
    status, page = await admin.post("/admin/facilities/import", {"csv": clash})
    assert status == 422 and "line 3: name: a facility named" in page
    assert await _snapshot(web) == before

    good = ("name,city,state,contractor,timezone\nGood One,Lumpkin,GA,CoreCivic,\n"
            "Far West,El Paso,TX,ICE,America/Denver\n")
    status, _ = await admin.post("/admin/facilities/import", {"csv": good})
    assert status == 303 and admin.last["location"].endswith("count=2")
    rows = await web.sql("SELECT name, timezone FROM facilities WHERE name IN "
                         "('Good One', 'Far West') ORDER BY name")
    assert [tuple(r) for r in rows] == [("Far West", "America/Denver"),
                                        ("Good One", "America/New_York")]
    assert len(await web.sql("SELECT 1 FROM audit_log WHERE entity = 'facility'")) == 2


# The engine's copy of the lines follows NOTIFY


async def test_the_line_copy_follows_changes_without_a_restart(
    app_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Calls are routed from the copy while it is current (no query a call), and from the
    database once the LISTEN connection is gone (the copy may then miss a change)."""
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=2)
    listener = Listener(app_dsn)
    watch = ConfigWatch(listener)
    directory = LineDirectory(pool, lambda: watch.current("lines"))
    watch.on("lines", ("lines", "line_holidays", "facilities"), directory.refresh)
    asked: list[str] = []
    real_fetch = directory._fetch

    async def fetch(did: str) -> asyncpg.Record | None:
        asked.append(did)
        return await real_fetch(did)

    monkeypatch.setattr(directory, "_fetch", fetch)
    listening = asyncio.create_task(listener.run())
    task = asyncio.create_task(watch.run())
    try:
        assert not watch.current("lines")
        await wait_for(lambda: watch.reloads("lines") >= 1, what="the first load on LISTEN")
        assert "15550100101" in directory.known and watch.current("lines")
        assert await directory.find("15550100101") is not None and asked == []
        con = await asyncpg.connect(app_dsn)
        try:
            await con.execute("UPDATE lines SET enabled = false WHERE did = '15550100101'")
            await wait_for(lambda: "15550100101" not in directory.known, what="line dropped")
            await wait_for(lambda: watch.current("lines"), what="the copy current again")
            assert await directory.find("15550100101") is None and asked == []
            await con.execute("UPDATE lines SET enabled = true WHERE did = '15550100101'")
            await wait_for(lambda: "15550100101" in directory.known, what="line back")
            await con.execute(
                "INSERT INTO line_holidays (line_id, day, prompt) SELECT id, '2030-12-25', "
                "'technical-difficulty' FROM lines WHERE did = '15550100101'")
            await wait_for(lambda: directory.known["15550100101"][1].reasons != (),
                           what="closure loaded")
            await con.execute("UPDATE facilities SET enabled = false")
            await wait_for(lambda: not directory.known, what="every facility's lines dropped")
            await con.execute("UPDATE facilities SET enabled = true")
            await wait_for(lambda: "15550100101" in directory.known, what="lines back")
        finally:
            await con.close()
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        assert not watch.current("lines")
        assert await directory.find("15550100101") is not None and asked == ["15550100101"]
    finally:
        for running in (task, listening):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        await pool.close()


# The same for scripts: the `lifeline` command


async def lifeline(dsn: str, folder: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    return await cli_run.lifeline(*args, stdin=stdin, env={
        "LIFELINE_DATABASE_URL": dsn, "LIFELINE_PROMPTS_DIR": str(folder)})


async def test_the_command_does_the_same(app_dsn: str, prompt_files: Path, tmp_path: Path
                                         ) -> None:
    async def sql(query: str) -> list[asyncpg.Record]:
        con = await asyncpg.connect(app_dsn)
        try:
            return list(await con.fetch(query))
        finally:
            await con.close()

    code, out = await lifeline(app_dsn, prompt_files, "facility", "import", "-",
                               stdin="name,city,state,contractor\nOne,A,GA,C\nTwo,B,Texas,C\n")
    assert code == 2 and "line 3: state" in out and "Nothing was imported" in out
    assert not await sql("SELECT 1 FROM facilities WHERE name = 'One'")
    csv = tmp_path / "facilities.csv"
    csv.write_text("name,city,state,contractor\nOne,A,GA,C\nTwo,B,TX,C\n")
    code, out = await lifeline(app_dsn, prompt_files, "facility", "import", str(csv))
    assert code == 0 and "imported 2 facilities\n" in out

    line = ("line", "add", "--did", "+1 555 010 0388", "--facility", "two", "--name", "Two",
            "--queue", "Hotline", "--default-language", "es", "--menu", "es:1,en:2",
            "--hours", "mon=09:00-17:00", "--hours", "sat=10:00-14:00")
    code, out = await lifeline(app_dsn, prompt_files, *line[:-4], "--menu", "es:1,fr:2")
    assert code == 2 and "menu_language_2: 'fr' has no prompts yet" in out
    code, out = await lifeline(app_dsn, prompt_files, *line, "--call-limit", "30")
    assert code == 2 and "call_limit:" in out
    code, out = await lifeline(app_dsn, prompt_files, *line)
    assert code == 0 and "added line" in out, out
    rows = await sql("SELECT l.always_open, f.timezone, array_agg(h.weekday ORDER BY h.weekday)"
                     " AS days FROM lines l JOIN facilities f ON f.id = l.facility_id JOIN "
                     "line_hours h ON h.line_id = l.id WHERE l.did = '15550100388' "
                     "GROUP BY 1, 2")
    assert tuple(rows[0]) == (False, "America/Chicago", [0, 5])

    code, out = await lifeline(app_dsn, prompt_files, "line", "close", "15550100388",
                               "--first", "2030-07-03", "--last", "2030-07-05",
                               "--reason", "Holiday")
    assert code == 0 and "line +15550100388 closed on 3 day(s)\n" in out
    code, out = await lifeline(app_dsn, prompt_files, "line", "list")
    assert "+15550100388" in out and "es:1,en:2" in out
    assert (await lifeline(app_dsn, prompt_files, "line", "delete", "+15550100388"))[0] == 0
    await sql("""INSERT INTO calls (id, channel_id, channel_name, did, line_id, caller_number,
                     caller_name, started_at, ended_at)
                 SELECT gen_random_uuid(), 'c1', 'PJSIP/c1', did, id, '1', 'x', now(), now()
                   FROM lines WHERE did = '15550100101'""")
    code, out = await lifeline(app_dsn, prompt_files, "line", "delete", "15550100101")
    assert code == 2 and "disable it instead" in out
    assert (await lifeline(app_dsn, prompt_files, "facility", "disable", "One"))[0] == 0
    audited = await sql("SELECT user_id, entity, action FROM audit_log ORDER BY id")
    assert {(r["user_id"], r["entity"], r["action"]) for r in audited} == {
        (None, "facility", "create"), (None, "line", "create"), (None, "line", "update"),
        (None, "line", "delete"), (None, "facility", "update")}
