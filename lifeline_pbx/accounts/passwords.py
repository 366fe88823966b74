"""Password hashing with Argon2id (argon2-cffi), and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane). Hashing runs in a worker thread
# (accounts/signin.py) so a login never stalls the event loop that carries the calls.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY = _HASHER.hash("lifeline: no such user")

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_DISTINCT = 5  # different characters, spaces not counted: refuses '            ', 'aaaa...'
RULE = (f"At least {MIN_LENGTH} characters, of which at least {MIN_DISTINCT} different "
        "(spaces not counted), and not containing the username.")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or None. Length over composition (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password can have at most {MAX_LENGTH} characters"
    distinct = {ch for ch in password if not ch.isspace()}
    if not distinct:
        return "a password cannot be only spaces"
    if len(distinct) < MIN_DISTINCT:
        return (f"a password needs at least {MIN_DISTINCT} different characters, "
                "not counting spaces")
    if username.lower() in password.lower():
        return "a password must not contain the username"
    return None
