"""The phone's feature codes (transfers/phone_codes.py) turned into what the console's
buttons do: the same Transfers calls, so the same policy checks on the server. A code acts
as the enabled web user linked to the phone's SIP account (who is audited and named in
the call's timeline); without one, or when refused, the operator hears the refusal tone
and nothing changes. Only the keys of the operator's own leg arrive here."""

from __future__ import annotations

import contextlib
import logging
import uuid

import asyncpg

from lifeline_pbx.accounts import users
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.errors import AriError, LifelineError
from lifeline_pbx.prompts import tones
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.picture import Talk, TalkEnd
from lifeline_pbx.tasks import TaskRegistry
from lifeline_pbx.transfers import phone_codes
from lifeline_pbx.transfers.phone_codes import Keyed
from lifeline_pbx.transfers.rules import Ask
from lifeline_pbx.transfers.service import Asker, Transfers

log = logging.getLogger(__name__)


class PhoneKeys:
    def __init__(self, transfers: Transfers, acd: Acd, pool: asyncpg.Pool,
                 tasks: TaskRegistry) -> None:
        self.transfers = transfers
        self.acd = acd
        self.pool = pool
        self.tasks = tasks
        self.held: dict[str, str] = {}  # keys of a code begun, by operator
        transfers.other_keys = self.press
        acd.watch.add(self)

    def press(self, operator: str, digit: str) -> None:
        keys, code = phone_codes.press(self.held.get(operator, ""), digit)
        if keys:
            self.held[operator] = keys
        else:
            self.held.pop(operator, None)
        if code is not None:
            self.tasks.spawn(self._act(operator, code), "phone-code")

    async def _act(self, operator: str, code: Keyed) -> None:
        talk = next((t for t in self.acd.picture.talking.values() if t.operator == operator),
                    None)
        if talk is None:
            return
        try:
            async with self.pool.acquire() as con:
                user = await users.by_operator(con, operator)
            if user is None:
                raise LifelineError("no web user linked")
            who = Asker(operator, user.id, users.rank(user.role) >= users.rank("supervisor"))
            if code.ask is Ask.WARM:
                target = next((u for u, i in self.acd.picture.operator_ids.items()
                               if i == code.number), "")
                await self.transfers.warm(who, talk.call.call_id, target)
            else:
                self.transfers.to_queue(who, talk.call.call_id, code.number, "")
            log.info("phone code call=%s code=%s", talk.call.call_id, code.ask.value)
        except (LifelineError, *DATABASE_ERRORS) as exc:
            log.info("phone code refused call=%s code=%s reason=%s", talk.call.call_id,
                     code.ask.value, exc.__class__.__name__)
            await self._refused(talk)

    async def _refused(self, talk: Talk) -> None:
        with contextlib.suppress(AriError):
            await self.acd.ari.play(talk.operator_channel,
                                    [self.acd.media_uri(tones.LANGUAGE, "refuse")],
                                    f"refused-{uuid.uuid4().hex}")

    # --- the distributor's hooks (queues/watch.Watcher): a code begun dies with the call --
    def talk_started(self, talk: Talk) -> None:
        pass

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        self.held.pop(talk.operator, None)

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        pass
