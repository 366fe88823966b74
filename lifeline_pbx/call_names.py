"""Names Asterisk keeps for what belongs to one call (a call bridge, a recorded message): a
prefix, the call's id and a random tail, so that each is new, yet says whose call it is
when the app reads it back (after a restart, or in the files left on the PBX). Pure."""

from __future__ import annotations

import secrets
import uuid

_UUID_CHARS = 36


def new_name(prefix: str, call_id: uuid.UUID) -> str:
    return f"{prefix}{call_id}-{secrets.token_hex(4)}"


def call_in(prefix: str, name: str) -> uuid.UUID | None:
    """The call a name of this kind was made for (an older name without the random tail
    too); None for any other name."""
    if not name.startswith(prefix):
        return None
    try:
        return uuid.UUID(name[len(prefix):len(prefix) + _UUID_CHARS])
    except ValueError:
        return None
