"""The unit of work behind hearing a recorded call: the audio opened and the listen
audited (a 'view' of the call recording's 'audio'), in one transaction."""

from __future__ import annotations

import uuid

from lifeline_pbx import audit
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.db import Conn
from lifeline_pbx.errors import NotFound
from lifeline_pbx.recordings import shelf

NO_AUDIO = "No recording of this call to hear here (not sealed yet, missing or expired)."


async def listen(con: Conn, keys: KeyRing, call_id: uuid.UUID, recording_id: uuid.UUID,
                 user_id: int) -> bytes:
    """The WAV in clear, for one response."""
    async with con.transaction():
        audio = await shelf.open_audio(con, keys, call_id, recording_id)
        if audio is None:
            raise NotFound(NO_AUDIO)
        await audit.record(con, user_id, "view", "call_recording", recording_id, ["audio"])
    return audio
