"""Operators' SIP credentials as Asterisk keeps them: a realm and an HA1 digest, not a password."""

from __future__ import annotations

import hashlib

SIP_REALM = "lifeline"


def sip_md5_cred(username: str, password: str, realm: str = SIP_REALM) -> str:
    """The HA1 digest Asterisk checks a REGISTER against; the password itself is not kept."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()
