"""A message the PBX cannot record: the caller hears the apology, never the thanks, and
is never left in silence (calls/flow.py). Over real SIP, with the PBX really unable to
write the file."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lifeline_pbx import prompts
from lifeline_pbx.prompts import tones
from tests.audio import HEARD, tone_level
from tests.engine import Hotline
from tests.test_engine_sip import voicemail_left
from tests.test_supervise_sip import CALLER_HZ, grown, speak
from tests.waiting import wait_for

APOLOGY_HZ = 1000  # technical-difficulty
THANKS_HZ = 1500  # voicemail-thanks


def _told_apart(folder: Path) -> None:
    """The apology and the thanks as tones of their own, in every language."""
    for language in prompts.LANGUAGES:
        for name, hz in (("technical-difficulty", APOLOGY_HZ), ("voicemail-thanks", THANKS_HZ)):
            tones.write_wav(folder / language / f"{name}.wav", tones.samples(((hz, 0.8),)))


@contextlib.contextmanager
def small_file_system(folder: Path, options: str = "") -> Iterator[None]:
    """A 64 kB tmpfs mounted over the PBX's folder (mount's `options` added), unmounted after."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size=64k{options}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """The PBX's recordings folder read-only (a file system mounted over it): Asterisk
    cannot open a message's file and says RecordingFailed."""
    with small_file_system(folder, ",ro"):
        yield


async def test_a_message_the_pbx_cannot_record_ends_in_the_apology_not_the_thanks(
    hotline_factory: Any, own_prompts: str,
) -> None:
    hotline: Hotline = await hotline_factory(prompts=own_prompts)
    _told_apart(hotline.pbx.runtime.host_path(own_prompts))
    caller = "Not recorded"
    with unwritable(hotline.pbx.host_base / "spool" / "recording"):
        call = await hotline.to_queue(caller)  # nobody logged in: voicemail
        await hotline.reached(caller, "voicemail_failed", {"reason": "no_operators"})
        await hotline.carrier.ended(call, timeout=30)  # we hang up after the apology
    await wait_for(call.recording, what="the caller's recording closed")
    heard = Path(hotline.carrier.recording_path(call))
    assert tone_level(heard, APOLOGY_HZ) > HEARD
    assert tone_level(heard, THANKS_HZ) < 0.2
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("failed", "system")
    assert await hotline.sql("SELECT 1 FROM voicemails WHERE call_id = $1", row["id"]) == []


@contextlib.contextmanager
def full(folder: Path) -> Iterator[None]:
    """The PBX's recordings folder on a file system of its own, filled to the last block:
    Asterisk opens a message's file and every write to it fails (ENOSPC), unreported."""
    with small_file_system(folder):
        with open(folder / "filler", "wb", buffering=0) as filler, \
                contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 4096)
        yield


async def test_a_message_on_a_full_disk_ends_in_the_apology_not_the_thanks(
    hotline_factory: Any, own_prompts: str,
) -> None:
    hotline: Hotline = await hotline_factory(prompts=own_prompts)
    _told_apart(hotline.pbx.runtime.host_path(own_prompts))
    caller = "Disk full"
    with full(hotline.pbx.host_base / "spool" / "recording"):
        call = await hotline.to_queue(caller)  # nobody logged in: voicemail
        await voicemail_left(hotline, caller, "no_operators")
        spoken = await speak(hotline, "carrier", call.channel_id, CALLER_HZ)
        await grown(hotline.carrier.recording_path(call), 2.0)  # a message of 2 s or more
        await hotline.carrier.ari.stop_playback(spoken)
        await hotline.carrier.send_dtmf(call, "#")  # the caller ends their message
        await hotline.reached(caller, "voicemail_failed", {"reason": "no_operators"})
        await hotline.carrier.ended(call, timeout=30)  # we hang up after the apology
    await wait_for(call.recording, what="the caller's recording closed")
    heard = Path(hotline.carrier.recording_path(call))
    assert tone_level(heard, APOLOGY_HZ) > HEARD
    assert tone_level(heard, THANKS_HZ) < 0.2
    row = await hotline.closed(caller)
    assert (row["disposition"], row["hangup_by"]) == ("failed", "system")
    assert await hotline.sql("SELECT 1 FROM voicemails WHERE call_id = $1", row["id"]) == []
