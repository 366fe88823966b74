"""The banned addresses, written into Asterisk as a PJSIP `acl` object through ARI.

res_pjsip_acl reads every acl object on each incoming SIP request and answers 403 to a
denied address, before any endpoint or password is looked at; the objects live in memory
(asterisk-conf/sorcery.conf, section [acl]). What Asterisk 22 does that shapes this code
(measured, see tests/test_sipguard.py):
- ARI creates an acl object but answers 500 "Allocation failed" (it cannot print the
  object back: acl fields have no text form), and GET answers the same 500 for an acl that
  exists, 404 for one that does not. So a write is confirmed by GET not being 404.
- Updating an existing acl through ARI does not replace its deny list. So the list is
  never updated in place: it is written whole into the other of two slots, then the slot in
  use is deleted. A banned address is never let through in between.
"""

from __future__ import annotations

from collections.abc import Iterable

from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.errors import AriError
from lifeline_pbx.sipguard.bans import deny_list

SLOTS = ("lifeline-bans-a", "lifeline-bans-b")
_PATH = "/asterisk/config/dynamic/res_pjsip/acl/"


async def _exists(ari: AriClient, slot: str) -> bool:
    try:
        await ari.request("GET", _PATH + slot)
    except AriError as exc:
        if exc.status == 404:
            return False
        if exc.status != 500:
            raise
    return True


async def _delete(ari: AriClient, slot: str) -> None:
    try:
        await ari.delete_dynamic_object("res_pjsip", "acl", slot)
    except AriError as exc:
        if exc.status != 404:
            raise


class AclWriter:
    """Makes Asterisk refuse exactly the given addresses. Not safe for concurrent writes:
    one task calls `write`."""

    def __init__(self, ari: AriClient) -> None:
        self._ari = ari
        self._slot: str | None = None  # the slot holding the list, None if unknown/none
        self._known = False  # whether _slot is known to be what Asterisk has

    def forget(self) -> None:
        """Asterisk may have restarted, or hold leftovers of an earlier run: the next
        write starts from a clean sheet."""
        self._known = False

    async def write(self, addresses: Iterable[str]) -> None:
        """Raises AriError if Asterisk refused or could not be reached (nothing is assumed
        then: the next write starts from a clean sheet)."""
        deny = deny_list(addresses)
        try:
            await self._write(deny)
        except AriError:
            self._known = False
            raise

    async def _write(self, deny: str) -> None:
        if not self._known:
            for slot in SLOTS:
                await _delete(self._ari, slot)
            self._slot, self._known = None, True
        old = self._slot
        if not deny:
            if old is not None:
                await _delete(self._ari, old)
            self._slot = None
            return
        new = SLOTS[1] if old == SLOTS[0] else SLOTS[0]
        try:
            await self._ari.set_dynamic_object("res_pjsip", "acl", new, {"deny": deny})
        except AriError as exc:
            if exc.status != 500:
                raise
        if not await _exists(self._ari, new):
            raise AriError(500, "the acl was not created", "PUT", _PATH + new)
        self._slot = new
        if old is not None:
            await _delete(self._ari, old)
