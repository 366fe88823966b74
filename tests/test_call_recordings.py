"""Recorded calls: a row for each recording from the call-record writer, sealed at rest by
the vault (the move off a real PBX: test_engine_sip.py's recording test), heard from the
call's page by supervisors only, each listen audited; rotation reseals them, and
migrations/0039 finds the recordings made before it."""

from __future__ import annotations

import io
import os
import uuid
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from devstack import asterisk
from lifeline_pbx import crypto, rotation
from lifeline_pbx.calls import records
from lifeline_pbx.recordings import shelf
from lifeline_pbx.recordings.shelf import CallRecordingShelf, audio_place
from lifeline_pbx.resources import VAULT
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.pg_fixtures import Upgrade, connect
from tests.waiting import wait_for
from tests.web_fixtures import WebApp

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)
WAV = b"RIFF" + os.urandom(2000)


async def _call(con: asyncpg.Connection, name: str = "Recorded call") -> uuid.UUID:
    call_id = uuid.uuid4()
    await con.execute(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
               started_at, ended_at) VALUES ($1, $2, $2, '1', '1', $3, now(), now())""",
        call_id, f"chan-{call_id}", name)
    return call_id


async def _sealed(con: asyncpg.Connection, call_id: uuid.UUID, keys: crypto.KeyRing = KEYS,
                  audio: bytes = WAV) -> uuid.UUID:
    """A recording the vault has sealed and taken off the PBX."""
    name = f"call-{uuid.uuid4()}"
    await con.execute("UPDATE calls SET recording = $2 WHERE id = $1", call_id, name)
    rid: uuid.UUID = await con.fetchval(
        """INSERT INTO call_recordings (name, call_id, started_at) VALUES ($1, $2, now())
           RETURNING id""", name, call_id)
    await CallRecordingShelf().store(con, rid, keys.seal_bytes(audio, audio_place(rid)),
                                     len(audio), 3)
    await CallRecordingShelf().removed(con, rid)
    return rid


@pytest.mark.parametrize(("stored", "size", "expired", "state"), [
    (False, None, False, "on the PBX"),
    (True, 4000, False, "sealed"),
    (True, 0, False, "missing"),
    (True, 4000, True, "expired"),
])
def test_what_the_page_says_of_a_recording(stored: bool, size: int | None, expired: bool,
                                           state: str) -> None:
    assert shelf.state(stored, size, expired) == state


async def test_the_writer_makes_one_row_per_recording_named(app_dsn: str) -> None:
    call_id, at = uuid.uuid4(), datetime.now(UTC)
    opened = records.CallOpened(call_id, "chan", "chan", "15550100", None, None, "5550100",
                                "", at, fresh=True)
    named = [records.CallEvent(call_id, at, "recorded", {"name": f"call-{call_id}-{n}"})
             for n in (1, 2)]
    async with connect(app_dsn) as con:
        await records.write(con, [opened, *named], {})
        await records.write(con, [named[1]], {})  # written again (a retried batch)
        rows = await con.fetch(
            "SELECT name, started_at, stored_at FROM call_recordings WHERE call_id = $1 "
            "ORDER BY name", call_id)
        others = await con.fetchval(
            "SELECT count(*) FROM call_recordings WHERE call_id <> $1", call_id)
    assert [r["name"] for r in rows] == [f"call-{call_id}-1", f"call-{call_id}-2"]
    assert all(r["started_at"] == at and r["stored_at"] is None for r in rows)
    assert others == 0  # other timeline events make none


async def test_ended_calls_recordings_come_before_those_still_being_made(
    app_dsn: str,
) -> None:
    """A full batch of calls still talking (still recorded) holds no finished one back."""
    async with connect(app_dsn) as con:
        for _ in range(shelf.BATCH + 1):
            live = await _call(con, "Still talking")
            await con.execute("UPDATE calls SET ended_at = NULL WHERE id = $1", live)
            await con.execute(
                """INSERT INTO call_recordings (name, call_id, started_at)
                   VALUES ($1, $2, now() - interval '1 hour')""", f"call-{live}-1", live)
        ended = await _call(con, "Ended")
        await con.execute(
            """INSERT INTO call_recordings (name, call_id, started_at)
               VALUES ($1, $2, now())""", f"call-{ended}-1", ended)
        pending = await CallRecordingShelf().pending(con)
    assert len(pending) == shelf.BATCH and pending[0].recording == f"call-{ended}-1"


async def test_supervisors_hear_a_recorded_call_each_listen_audited(web: WebApp) -> None:
    async with connect(web.dsn) as con:
        call_id = await _call(con)
        rid = await _sealed(con, call_id)
        other_call = await _call(con, "Another call")
    supervisor = await web.signed_in("supervisor1")
    _, history = await supervisor.get("/calls")
    assert history.count("· recorded") == 1  # the recorded call, not the other
    status, page = await supervisor.get(f"/calls/{call_id}")
    assert status == 200 and f'src="/calls/{call_id}/recordings/{rid}/audio"' in page
    assert "0 min 3 s" in page
    async with supervisor.http.get(
            supervisor.url(f"/calls/{call_id}/recordings/{rid}/audio")) as r:
        assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
        assert r.content_type == "audio/wav" and await r.read() == WAV
    audits = await web.sql(
        """SELECT a.action, a.fields FROM audit_log a JOIN users u ON u.id = a.user_id
           WHERE u.username = 'supervisor1' AND a.entity = 'call_recording'
             AND a.entity_id = $1""", str(rid))
    assert [(r["action"], list(r["fields"])) for r in audits] == [("view", ["audio"])]

    for path in (f"/calls/{other_call}/recordings/{rid}/audio",  # not this call's
                 f"/calls/{call_id}/recordings/{uuid.uuid4()}/audio",
                 f"/calls/{call_id}/recordings/not-a-uuid/audio",
                 f"/calls/not-a-uuid/recordings/{rid}/audio"):
        assert (await supervisor.get(path))[0] == 404, path
    assert len(await web.sql("SELECT 1 FROM audit_log WHERE entity = 'call_recording'")) == 1

    operator = await web.signed_in("operator1")
    assert (await operator.get(f"/calls/{call_id}"))[0] == 403
    assert (await operator.get(f"/calls/{call_id}/recordings/{rid}/audio"))[0] == 403


async def test_a_recording_not_sealed_missing_or_expired_is_said_not_played(
    web: WebApp,
) -> None:
    async with connect(web.dsn) as con:
        call_id = await _call(con)
        waiting = await con.fetchval(
            """INSERT INTO call_recordings (name, call_id, started_at)
               VALUES ('call-waiting', $1, now()) RETURNING id""", call_id)
        lost = await con.fetchval(
            """INSERT INTO call_recordings (name, call_id, started_at)
               VALUES ('call-lost', $1, now() - interval '1 hour') RETURNING id""", call_id)
        await CallRecordingShelf().missing(con, lost)
        expired = await _sealed(con, call_id)
        await con.execute("UPDATE call_recordings SET audio = NULL, expired_at = now() "
                          "WHERE id = $1", expired)
    supervisor = await web.signed_in("supervisor1")
    _, page = await supervisor.get(f"/calls/{call_id}")
    assert "Still on the PBX" in page and "Not found on the PBX" in page
    assert "Removed by the retention policy" in page and "<audio" not in page
    for rid in (waiting, lost, expired):
        assert (await supervisor.get(f"/calls/{call_id}/recordings/{rid}/audio"))[0] == 404


async def test_a_recording_asterisk_lacks_is_marked_missing_once(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    vault = web.app[VAULT]
    async with connect(web.dsn) as con:
        call_id = await _call(con)
        rid = await con.fetchval(
            """INSERT INTO call_recordings (name, call_id, started_at)
               VALUES ($1, $2, now()) RETURNING id""", f"call-{call_id}-lost", call_id)
    vault.grace = timedelta(hours=1)
    assert await vault.sweep() == 0  # too soon to give up: left for the next pass
    assert vault.on_pbx == {"voicemail": 0, "call recording": 1}  # (the metrics say so)
    assert (await web.sql("SELECT stored_at FROM call_recordings WHERE id = $1", rid))[0][0] \
        is None
    vault.grace = timedelta(0)
    await vault.sweep()
    row = (await web.sql("SELECT * FROM call_recordings WHERE id = $1", rid))[0]
    assert row["bytes"] == 0 and row["audio"] is None and row["removed_at"] is not None
    await vault.sweep()
    assert vault.on_pbx["call recording"] == 0
    async with connect(web.dsn) as con:
        shelf_ = CallRecordingShelf()
        assert rid not in [p.id for p in [*await shelf_.pending(con),
                                          *await shelf_.still_on_pbx(con)]]


def _wav(seconds: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x01\x00" * 8000 * seconds)
    return out.getvalue()


async def test_a_call_recording_on_the_pbx_with_no_row_is_adopted_and_sealed(
    web_with_calls: WebApp, pbx: asterisk.Instance,
) -> None:
    """The row's write lost (the app killed before its batch committed): the file is found
    on the PBX, given a row and moved; a file of a call not on record is left alone."""
    web = web_with_calls
    vault = web.app[VAULT]
    async with connect(web.dsn) as con:
        call_id = await _call(con)
    spool = pbx.host_base / "spool" / "recording"
    orphan, stranger = f"call-{call_id}-0badf00d", f"call-{uuid.uuid4()}-0badf00d"
    audio = _wav(2)
    for name in (orphan, stranger):
        (spool / f"{name}.wav").write_bytes(audio)
    try:
        assert await vault.adopt_orphans() == 1
        assert await vault.adopt_orphans() == 0  # once

        async def moved() -> list[asyncpg.Record]:
            await vault.sweep()  # or the vault's own pass, which runs beside this test
            return await web.sql("SELECT * FROM call_recordings WHERE name = $1 "
                                 "AND removed_at IS NOT NULL", orphan)

        row = (await wait_for(moved, what="the adopted recording moved"))[0]
        assert row["call_id"] == call_id
        assert row["bytes"] == len(audio) and row["seconds"] == 2
        assert KEYS.open_bytes(bytes(row["audio"]), audio_place(row["id"])) == audio
        assert not (spool / f"{orphan}.wav").exists() and (spool / f"{stranger}.wav").exists()
    finally:
        for name in (orphan, stranger):
            (spool / f"{name}.wav").unlink(missing_ok=True)


async def test_key_rotation_reseals_call_recordings(app_dsn: str) -> None:
    old = crypto.key_ring((("old", os.urandom(32)),), TEST_LOOKUP_KEY)
    new = crypto.key_ring((("new", os.urandom(32)), ("old", old.keys["old"])), TEST_LOOKUP_KEY)
    async with connect(app_dsn) as con:
        rid = await _sealed(con, await _call(con), keys=old)
        counts = await rotation.rotate(con, new)
        assert counts["call_recordings"].resealed == 1
        sealed = bytes(await con.fetchval("SELECT audio FROM call_recordings WHERE id = $1", rid))
        assert new.key_id(sealed) == "new" and new.open_bytes(sealed, audio_place(rid)) == WAV
        assert (await rotation.rotate(con, new))["call_recordings"].resealed == 0


async def test_0039_finds_the_recordings_made_before_it(empty_dsn: str, tmp_path: Path) -> None:
    """Named on the call's timeline (`recorded`), or only in calls.recording (older)."""
    upgrade = Upgrade(empty_dsn, "0039", tmp_path / "m")
    await upgrade.before()
    async with connect(empty_dsn) as con:
        timeline_call, old_call, plain = (await _call(con), await _call(con), await _call(con))
        await con.execute(
            """INSERT INTO call_events (call_id, at, kind, detail) VALUES
                 ($1, now() - interval '2 minutes', 'recorded', '{"name": "call-a-1"}'),
                 ($1, now() - interval '1 minute', 'recorded', '{"name": "call-a-2"}'),
                 ($1, now(), 'connected', '{}')""", timeline_call)
        await con.execute("UPDATE calls SET recording = 'call-a-2' WHERE id = $1", timeline_call)
        await con.execute("UPDATE calls SET recording = 'call-old' WHERE id = $1", old_call)
    assert await upgrade.apply() == ["0039_call_recordings.sql"]
    async with connect(empty_dsn) as con:
        rows = await con.fetch("SELECT name, call_id, stored_at FROM call_recordings ORDER BY name")
    assert [(r["name"], r["call_id"]) for r in rows] == [
        ("call-a-1", timeline_call), ("call-a-2", timeline_call), ("call-old", old_call)]
    assert all(r["stored_at"] is None for r in rows) and plain not in {r["call_id"] for r in rows}
