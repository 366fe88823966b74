"""Voicemail audio: sealed at rest (KeyRing bytes), moved off Asterisk by the vault, and
reviewed by supervisors over the web (audited; operators refused)."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
import wave
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from devstack import asterisk
from lifeline_pbx import crypto, rotation
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.recordings import vault
from lifeline_pbx.recordings.vault import Vault
from lifeline_pbx.resources import ARI, KEY_RING, POOL, VAULT
from lifeline_pbx.voicemail import shelf, store
from lifeline_pbx.voicemail.shelf import VoicemailShelf, audio_place
from tests.carrier import CarrierCall
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY
from tests.engine import Hotline
from tests.own_addresses import NOBODY_URL
from tests.test_engine_sip import voicemail_left
from tests.waiting import wait_for
from tests.web_fixtures import WebApp

KEYS = crypto.key_ring(TEST_DATA_KEYS, TEST_LOOKUP_KEY)


def test_bytes_round_trip_and_str_still_opens() -> None:
    audio = b"RIFF\x00\x01\x02\xff" * 100
    where = audio_place(uuid.uuid4())
    sealed = KEYS.seal_bytes(audio, where)
    assert b"RIFF" not in sealed and KEYS.open_bytes(sealed, where) == audio
    assert KEYS.open(KEYS.seal("José", "t.c.1"), "t.c.1") == "José"
    assert KEYS.open_bytes(KEYS.seal("José", "t.c.1"), "t.c.1") == "José".encode()


def test_tampered_or_moved_bytes_do_not_open() -> None:
    where = audio_place(uuid.uuid4())
    sealed = bytearray(KEYS.seal_bytes(b"RIFF audio", where))
    sealed[-1] ^= 1
    with pytest.raises(crypto.SealError):
        KEYS.open_bytes(bytes(sealed), where)
    with pytest.raises(crypto.SealError):
        KEYS.open_bytes(KEYS.seal_bytes(b"RIFF audio", where), audio_place(uuid.uuid4()))


async def test_voicemail_is_sealed_moved_off_asterisk_and_reviewed(
    hotline_factory: Any
) -> None:
    hotline: Hotline = await hotline_factory(web=True)
    seen: dict[uuid.UUID, bytes] = {}
    hotline.app[VAULT].fetched = lambda vid, audio: seen.__setitem__(vid, audio)
    call = await hotline.to_queue("Night message")
    found = await voicemail_left(hotline, "Night message", "no_operators")
    await spoken_for(hotline, call, found["call_id"], seconds=1)
    await hotline.carrier.hang_up(call)
    vm = (await wait_for(lambda: hotline.sql(
        "SELECT * FROM voicemails WHERE call_id = $1", found["call_id"]), what="voicemail"))[0]
    hotline.app[VAULT].wake()
    stored = (await wait_for(lambda: hotline.sql(
        "SELECT * FROM voicemail_audio WHERE voicemail_id = $1 AND removed_at IS NOT NULL",
        vm["id"]), what="voicemail audio in the vault"))[0]
    original = seen[vm["id"]]
    assert original.startswith(b"RIFF") and stored["bytes"] == len(original) > 8000
    assert b"RIFF" not in bytes(stored["audio"]) and b"WAVE" not in bytes(stored["audio"])
    # Cut by the hang-up, the message still has its length (from the WAV, not from Asterisk).
    seconds = await hotline.value("SELECT duration_seconds FROM voicemails WHERE id = $1",
                                  vm["id"])
    assert seconds == vault.wav_seconds(original) >= 1
    with pytest.raises(AriError) as gone:
        await hotline.app[ARI].stored_recording_file(vm["recording"])
    assert gone.value.status == 404
    path = hotline.pbx.host_base / "spool" / "recording" / f"{vm['recording']}.wav"
    assert not path.exists()

    web = WebApp(hotline.app, hotline.dsn, hotline.base_url)
    try:
        await _review(web, vm["id"], original)
    finally:
        await web.close()


async def spoken_for(hotline: Hotline, call: CarrierCall, call_id: uuid.UUID,
                     seconds: int) -> None:
    """The caller speaks (a tone from the carrier's side) until Asterisk has recorded at
    least this long: the file it writes is 8 kHz, 16-bit WAV."""
    await hotline.carrier.ari.play(call.channel_id, ["tone:440"], f"speak-{call_id}")
    name = hotline.session_of(call_id).voicemail_name
    path = hotline.pbx.host_base / "spool" / "recording" / f"{name}.wav"
    await wait_for(lambda: path.exists() and path.stat().st_size >= 16000 * seconds,
                   what=f"{seconds} s of voicemail")


async def _review(web: WebApp, vid: uuid.UUID, original: bytes) -> None:
    supervisor = await web.signed_in("supervisor1")
    status, page = await supervisor.get("/voicemail")
    assert status == 200 and f'src="/voicemail/{vid}/audio"' in page
    assert "Write an intake" in page and "/intake?" in page
    async with supervisor.http.get(supervisor.url(f"/voicemail/{vid}/audio")) as r:
        assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
        assert r.content_type == "audio/wav"
        assert await r.read() == original
    status, _ = await supervisor.post(f"/voicemail/{vid}/reviewed", {"reason": "duplicate"})
    assert status == 303
    assert (await web.sql("SELECT reviewed_at FROM voicemails WHERE id = $1", vid))[0][0]
    audits = await web.sql(
        """SELECT a.action, a.fields FROM audit_log a JOIN users u ON u.id = a.user_id
           WHERE u.username = 'supervisor1' AND a.entity = 'voicemail' AND a.entity_id = $1
           ORDER BY a.id""", str(vid))
    assert [(r["action"], list(r["fields"])) for r in audits] == [
        ("view", ["audio"]), ("update", ["review_reason", "reviewed_at", "reviewed_by"])]
    _, unreviewed = await supervisor.get("/voicemail?show=unreviewed")
    assert str(vid) not in unreviewed
    _, reviewed = await supervisor.get("/voicemail?show=reviewed")
    assert str(vid) in reviewed

    status, _ = await supervisor.post(f"/voicemail/{vid}/reviewed", csrf="wrong")
    assert status == 403
    for bad in (str(uuid.uuid4()), "not-a-uuid"):
        assert (await supervisor.get(f"/voicemail/{bad}/audio"))[0] == 404
        assert (await supervisor.post(f"/voicemail/{bad}/reviewed"))[0] == 404

    operator = await web.signed_in("operator1")
    assert (await operator.get("/voicemail"))[0] == 403
    assert (await operator.get(f"/voicemail/{vid}/audio"))[0] == 403
    assert (await operator.post(f"/voicemail/{vid}/reviewed"))[0] == 403


async def test_a_recording_asterisk_lacks_is_marked_once_and_not_retried(
    web_with_calls: WebApp,
) -> None:
    web = web_with_calls
    vault = web.app[VAULT]
    call_id, vid = uuid.uuid4(), uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
               started_at) VALUES ($1, 'x', 'x', '1', '1', 'Lost', now() - interval '1 hour')""",
        call_id)
    await web.sql(
        """INSERT INTO voicemails (id, call_id, language, priority, reason, recording,
               duration_seconds, created_at)
           VALUES ($1, $2, 'en', 1, 'closed', $3, 12, now())""",
        vid, call_id, f"voicemail-{call_id}")
    vault.grace = timedelta(hours=1)
    assert await vault.sweep() == 0  # too soon to give up: left for the next pass
    assert not await web.sql("SELECT 1 FROM voicemail_audio WHERE voicemail_id = $1", vid)
    vault.grace = timedelta(0)
    await vault.sweep()
    row = (await web.sql("SELECT * FROM voicemail_audio WHERE voicemail_id = $1", vid))[0]
    assert row["bytes"] == 0 and row["removed_at"] is not None
    async with web.app[POOL].acquire() as con:
        assert vid not in [p.id for p in await store.pending(con)]  # not asked for again
    supervisor = await web.signed_in("supervisor1")
    _, page = await supervisor.get("/voicemail?show=unreviewed")
    assert "not found on the PBX" in page and "emergency" in page
    assert (await supervisor.get(f"/voicemail/{vid}/audio"))[0] == 404


async def test_key_rotation_reseals_voicemail_audio(app_dsn: str) -> None:
    old = crypto.key_ring((("old", os.urandom(32)),), TEST_LOOKUP_KEY)
    new = crypto.key_ring((("new", os.urandom(32)), ("old", old.keys["old"])), TEST_LOOKUP_KEY)
    call_id, vid = uuid.uuid4(), uuid.uuid4()
    con = await asyncpg.connect(app_dsn)
    try:
        await con.execute(
            """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
                   started_at) VALUES ($1, 'x', 'x', '1', '1', 'Rotated', now())""", call_id)
        await con.execute(
            """INSERT INTO voicemails (id, call_id, language, reason, recording,
                   duration_seconds, created_at) VALUES ($1, $2, 'en', 'closed', 'r', 3, now())""",
            vid, call_id)
        async with con.transaction():
            await store.store_audio(con, vid, old.seal_bytes(b"RIFFwav", audio_place(vid)), 7)
        counts = await rotation.rotate(con, new)
        assert counts["voicemail_audio"].resealed == 1
        sealed = bytes(await con.fetchval(
            "SELECT audio FROM voicemail_audio WHERE voicemail_id = $1", vid))
        assert new.key_id(sealed) == "new"
        assert new.open_bytes(sealed, audio_place(vid)) == b"RIFFwav"
        assert (await rotation.rotate(con, new))["voicemail_audio"].resealed == 0
    finally:
        await con.close()


async def test_an_unreachable_asterisk_is_retried_not_raised(
    web: WebApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The vault outlives Asterisk going away: it logs, waits longer, and tries again."""
    call_id = uuid.uuid4()
    await web.sql(
        """INSERT INTO calls (id, channel_id, channel_name, did, caller_number, caller_name,
               started_at) VALUES ($1, 'x', 'x', '1', '1', 'Unreachable', now())""", call_id)
    await web.sql(
        """INSERT INTO voicemails (id, call_id, language, reason, recording,
               duration_seconds, created_at) VALUES ($1, $2, 'en', 'closed', 'r', 3, now())""",
        uuid.uuid4(), call_id)
    async with aiohttp.ClientSession() as http:
        dead = AriClient(NOBODY_URL, "u", "p", "x", http)
        vault = Vault(web.app[POOL], dead, web.app[KEY_RING], [VoicemailShelf()], every=0.01)
        task = asyncio.create_task(vault.run())
        try:
            await wait_for(lambda: caplog.text.count("recording vault pass failed") >= 3,
                           what="retries")
            assert not task.done()
        finally:
            task.cancel()


def _wav(frames: int, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * frames)
    return out.getvalue()


@pytest.mark.parametrize("audio, seconds", [
    (_wav(8000 * 12), 12), (_wav(8000 * 2 + 3999), 2), (_wav(8000 * 2 + 4001), 3),
    (_wav(0), 0), (b"not a wav", 0), (b"", 0), (_wav(16000 * 5, 16000), 5),
])
def test_wav_seconds(audio: bytes, seconds: int) -> None:
    assert vault.wav_seconds(audio) == seconds


async def test_a_message_left_when_the_app_went_away_becomes_a_voicemail(
    web_with_calls: WebApp, pbx: asterisk.Instance,
) -> None:
    """Its row is written as the message ends: with the app gone then, the file stays on
    the PBX with no row. Once the call has ended, the vault makes the voicemail from the
    call's record and moves the audio; a message of a call still going is left alone."""
    web = web_with_calls
    ended, going = uuid.uuid4(), uuid.uuid4()
    for call_id, end in ((ended, "now()"), (going, "NULL")):
        await web.sql(
            f"""INSERT INTO calls (id, channel_id, channel_name, did, caller_number,
                   caller_name, started_at, ended_at, language, priority, voicemail_reason)
               VALUES ($1, 'x', 'x', '1', '1', 'Cut off', now(), {end}, 'es', 1, 'closed')""",
            call_id)
    spool = pbx.host_base / "spool" / "recording"
    names = [shelf.recording_name(ended), shelf.recording_name(going)]
    audio = _wav(8000 * 3)
    for name in names:
        (spool / f"{name}.wav").write_bytes(audio)
    vault = web.app[VAULT]
    try:
        assert await vault.adopt_orphans() == 1
        assert await vault.adopt_orphans() == 0  # once
        vm = (await web.sql("SELECT * FROM voicemails WHERE recording = $1", names[0]))[0]
        assert (vm["call_id"], vm["language"], vm["priority"], vm["reason"]) == (
            ended, "es", 1, "closed")

        async def moved() -> list[asyncpg.Record]:
            await vault.sweep()  # or the vault's own pass, which runs beside this test
            return await web.sql("SELECT * FROM voicemail_audio WHERE voicemail_id = $1 "
                                 "AND removed_at IS NOT NULL", vm["id"])

        stored = (await wait_for(moved, what="the message moved"))[0]
        assert KEYS.open_bytes(bytes(stored["audio"]), audio_place(vm["id"])) == audio
        lengths = await web.sql("SELECT duration_seconds FROM voicemails WHERE id = $1",
                                vm["id"])
        assert lengths[0]["duration_seconds"] == 3  # from the WAV, as for any message
        assert not (spool / f"{names[0]}.wav").exists() and (spool / f"{names[1]}.wav").exists()
        assert not await web.sql("SELECT 1 FROM voicemails WHERE call_id = $1", going)
    finally:
        for name in names:
            (spool / f"{name}.wav").unlink(missing_ok=True)


@pytest.mark.parametrize(("name", "call"), [
    ("voicemail-5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31-0a1b2c3d",
     uuid.UUID("5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31")),
    ("voicemail-5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31",  # named before 0039
     uuid.UUID("5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31")),
    ("voicemail-not-a-call", None),
    ("call-5d1c1e2a-8f0b-4c8e-9a57-6c2f1b0e7d31-0a1b2c3d", None),
    ("prompt-en-greeting", None),
])
def test_the_call_a_message_file_belongs_to(name: str, call: uuid.UUID | None) -> None:
    assert shelf.call_of_recording(name) == call


def test_each_message_has_a_name_of_its_own() -> None:
    call_id = uuid.uuid4()
    first, second = shelf.recording_name(call_id), shelf.recording_name(call_id)
    assert first != second
    assert shelf.call_of_recording(first) == shelf.call_of_recording(second) == call_id
