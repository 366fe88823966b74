"""Languages and prompts admin against the running server: upload (the file as the body,
converted for real), playback, back to synthesised; languages added and edited; every bad
input refused naming its field with nothing saved; admin only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lifeline_pbx.prompts import convert
from tests.audio import make_tone
from tests.web_fixtures import Client, WebApp, running_web


@pytest.fixture
async def web_prompts(app_dsn: str, tmp_path: Path) -> AsyncIterator[WebApp]:
    """The web UI with a prompts folder of its own (empty: nothing synthesised yet)."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    async with running_web(app_dsn, prompts_dir=str(folder)) as web_app:
        yield web_app


def _folder(web: WebApp) -> Path:
    from lifeline_pbx.resources import CONFIG

    return Path(web.app[CONFIG].prompts_dir)


async def upload(client: Client, path: str, data: bytes) -> tuple[int, Any]:
    headers = {"X-CSRF-Token": client.csrf, "Content-Type": "application/octet-stream",
               "Accept": "application/json"}
    async with client.http.post(client.url(path), data=data, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def _saved(web: WebApp) -> tuple[int, int]:
    recordings = await web.sql("SELECT count(*) FROM prompt_recordings")
    audits = await web.sql("SELECT count(*) FROM audit_log WHERE entity IN "
                           "('prompt', 'language')")
    return recordings[0][0], audits[0][0]


async def test_upload_play_and_back_to_synthesised(web_prompts: WebApp, tmp_path: Path) -> None:
    web = web_prompts
    admin = await web.signed_in("admin1")
    status, body = await upload(admin, "/admin/prompts/es/greeting/upload",
                                make_tone(tmp_path / "t.ogg", 1.2, 900))
    assert status == 200 and body["ok"] and body["format"] == "ogg", body
    row = (await web.sql("SELECT * FROM prompt_recordings"))[0]
    assert (row["language"], row["name"], row["source"]) == ("es", "greeting", "upload")
    on_disk = _folder(web) / "es" / "greeting.wav"
    assert on_disk.read_bytes() == row["audio"]
    async with admin.http.get(admin.url("/admin/prompts/es/greeting/audio")) as r:
        assert r.status == 200 and r.content_type == "audio/wav"
        assert await r.read() == row["audio"]
    status, page = await admin.get("/admin/prompts")
    assert status == 200 and 'class="recorded" id="cell-es-greeting"' in page
    assert 'class="missing" id="cell-es-goodbye"' in page  # nothing synthesised in this folder
    entry = (await web.sql("SELECT * FROM audit_log WHERE entity = 'prompt'"))[0]
    assert (entry["action"], entry["entity_id"]) == ("create", "es/greeting")
    assert set(entry["fields"]) == {"audio", "original", "original_format", "duration_ms",
                                    "source"}

    status, _ = await admin.post("/admin/prompts/es/greeting/revert")
    assert status == 303 and admin.last["location"].endswith("done=reverted")
    assert not await web.sql("SELECT 1 FROM prompt_recordings")
    assert on_disk.exists() and on_disk.read_bytes() != row["audio"]  # spoken again
    assert [r["action"] for r in await web.sql(
        "SELECT action FROM audit_log WHERE entity = 'prompt' ORDER BY id")] == [
        "create", "delete"]


BAD_UPLOADS = {
    "not a sound file": ("/admin/prompts/es/greeting/upload", b"GIF89a" + bytes(500), "file"),
    "too big": ("/admin/prompts/es/greeting/upload", bytes(convert.MAX_BYTES + 10), "file"),
    "unknown prompt": ("/admin/prompts/es/no-such-prompt/upload", None, "name"),
    "unknown language": ("/admin/prompts/zz/greeting/upload", None, "language"),
}


@pytest.mark.parametrize("path,data,field", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
async def test_bad_uploads_name_the_field_and_save_nothing(
        web_prompts: WebApp, tmp_path: Path, path: str, data: bytes | None, field: str) -> None:
    admin = await web_prompts.signed_in("admin1")
    sound = make_tone(tmp_path / "ok.mp3", 1.0, 700)
    status, body = await upload(admin, path, sound if data is None else data)
    assert status == 422 and field in body["errors"], body
    assert await _saved(web_prompts) == (0, 0)
    assert not list(_folder(web_prompts).glob("*/*.wav"))


async def test_languages_are_added_and_edited_with_checks(web_prompts: WebApp) -> None:
    web = web_prompts
    admin = await web.signed_in("admin1")
    await admin.get("/admin/languages")
    bad = {"code": "Q!", "name": "", "menu_label": "press"}
    status, page = await admin.post("/admin/languages", bad)  # every bad field named
    assert status == 422 and all(f'id="error-{field}"' in page for field in bad)
    status, page = await admin.post("/admin/languages", {**bad, "code": "ixl"})
    assert status == 422 and 'id="error-name"' in page and 'id="error-menu_label"' in page
    status, page = await admin.post("/admin/languages", {
        "code": "es", "name": "Another", "menu_label": "x {digit}"})
    assert status == 422 and 'id="error-code"' in page  # taken
    assert await _saved(web) == (0, 0)

    good = {"code": "ixl", "name": "Ixil", "menu_label": "Tx'ixpu Ixil, {digit}."}
    status, _ = await admin.post("/admin/languages", good)
    assert status == 303
    status, page = await admin.post("/admin/languages/ixl", {**good, "name": "k'iche'"})
    assert status == 422 and 'id="error-name-ixl"' in page  # the seeded K'iche's name
    status, _ = await admin.post("/admin/languages/ixl", {**good, "name": "Ixil Maya"})
    assert status == 303
    status, page = await admin.post("/admin/languages/ixl", {**good, "menu_label": "no digit"})
    assert status == 422 and 'id="error-menu_label-ixl"' in page
    row = (await web.sql("SELECT * FROM languages WHERE code = 'ixl'"))[0]
    assert (row["name"], row["menu_label"], row["synthesised"]) == (
        "Ixil Maya", good["menu_label"], False)
    audits = await web.sql("SELECT action, fields FROM audit_log WHERE entity = 'language' "
                           "ORDER BY id")
    assert [(a["action"], list(a["fields"])) for a in audits] == [
        ("create", ["code", "menu_label", "name"]), ("update", ["name"])]
    status, page = await admin.get("/admin/prompts")
    assert 'class="missing" id="cell-ixl-greeting"' in page


ROUTES = [("GET", "/admin/languages"), ("POST", "/admin/languages"),
          ("POST", "/admin/languages/es"), ("GET", "/admin/prompts"),
          ("GET", "/admin/prompts/es/greeting"), ("GET", "/admin/prompts/es/greeting/audio"),
          ("POST", "/admin/prompts/es/greeting/upload"),
          ("POST", "/admin/prompts/es/greeting/revert"),
          ("POST", "/admin/prompts/es/greeting/phone")]


@pytest.mark.parametrize("username", ["operator1", "supervisor1"])
async def test_only_admins(web_prompts: WebApp, tmp_path: Path, username: str) -> None:
    client = await web_prompts.signed_in(username)
    sound = make_tone(tmp_path / "ok.wav", 1.0, 700)
    for method, path in ROUTES:
        if method == "GET":
            status, _ = await client.get(path)
        elif path.endswith("/upload"):
            status, _ = await upload(client, path, sound)
        else:
            status, _ = await client.post(path, {"code": "xq", "name": "X",
                                                 "menu_label": "x {digit}"})
        assert status == 403, (username, method, path, status)
    assert await _saved(web_prompts) == (0, 0)
    assert not await web_prompts.sql("SELECT 1 FROM languages WHERE code = 'xq'")
