"""The live hub: what the call distributor does, published to each operator's open consoles.

In-process publish/subscribe keyed by the operator's SIP username. The distributor calls
the hub's hooks (queues/watch.Watcher) synchronously; the hub queues them and one worker
turns them into messages in order (a screen pop that needs the line's name from the
database is never overtaken by the call's end). Each open console is a Subscription with
a bounded queue: a console that cannot keep up is closed and reconnects to a fresh
snapshot rather than holding memory.

Each console on a call is also told whom the call may be transferred to. Others' changes
only mark those lists stale; at most once a LIST_EVERY the hub counts who is free, once,
and sends a console its list only if it differs from the last it sent that console
(console/transfer_lists.py). Who is free is the transfers' to say, given at start-up.

One process per Asterisk owns its operators' calls, so an in-process hub is enough; with
several nodes each node's hub serves the consoles of the calls it bridges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import asyncpg

from lifeline_pbx.console import messages, store, transfer_lists
from lifeline_pbx.console.messages import Message, PopInfo
from lifeline_pbx.db import DATABASE_ERRORS
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.queues.picture import Talk, TalkEnd
from lifeline_pbx.queues.snapshot import EMERGENCY

log = logging.getLogger(__name__)
QUEUE_SIZE = 64
# At 20 calls/s some operator changes state every few milliseconds: the transfer lists are
# counted at most once a second, which bounds the messages to one per console on a call per
# second; a second is quicker than an operator chooses whom to transfer to, and the server
# still refuses a target no longer free.
LIST_EVERY = 1.0
# How often the callers waiting in each console's queues are counted: a console is sent
# its count only when it changed (callers come and go between two counts unnoticed).
WAITING_EVERY = 1.0


@dataclass(eq=False)
class Subscription:
    username: str
    queue: asyncio.Queue[Message | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    closed: bool = False
    signed_out: bool = False  # closed because the session ended (the console stops trying)

    def put(self, message: Message) -> bool:
        """Queue a message; False when the console fell too far behind."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)  # wakes a consumer waiting on an empty queue

    async def messages(self) -> AsyncIterator[Message]:
        while not self.closed:
            message = await self.queue.get()
            if message is None:
                return
            yield message


@dataclass(frozen=True)
class _Started:
    talk: Talk


@dataclass(frozen=True)
class _Ended:
    talk: Talk
    wrapup: float
    end: TalkEnd


@dataclass(frozen=True)
class _Changed:
    username: str


@dataclass(frozen=True)
class _Count:
    """Time to count who is free and send the lists that changed."""


_Hook = _Started | _Ended | _Changed | _Count


class LiveHub:
    acd: Acd
    pool: asyncpg.Pool
    _free: Callable[[], frozenset[str]]

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._hooks: asyncio.Queue[_Hook] = asyncio.Queue()
        self._reasons: dict[str, str] = {}
        self._line_names: dict[int, str] = {}
        self._stale = asyncio.Event()  # someone's state changed since the lists were counted
        self._sent: dict[Subscription, transfer_lists.Targets] = {}  # last list, by console
        self._waiting_sent: dict[Subscription, messages.Waiting] = {}  # last count, by console

    def bind(self, acd: Acd, pool: asyncpg.Pool, free: Callable[[], frozenset[str]]) -> None:
        """Attach to the running distributor (at web app start-up); `free`: whom a call may
        be transferred to now (transfers/service.Transfers.free)."""
        self.acd = acd
        self.pool = pool
        self._free = free
        acd.watch.add(self)

    # --- the distributor's hooks (queues/watch.Watcher) --------------------------------
    # An operator with no console open is passed over: a console that opens later starts
    # from a snapshot of the picture as it is then (`snapshot`).
    def talk_started(self, talk: Talk) -> None:
        self._changed()
        if talk.operator in self._subs:
            self._hooks.put_nowait(_Started(talk))

    def talk_ended(self, talk: Talk, wrapup: float, end: TalkEnd) -> None:
        self._changed()
        if talk.operator in self._subs:
            self._hooks.put_nowait(_Ended(talk, wrapup, end))

    def operator_changed(self, username: str, pause_reason: str | None) -> None:
        # Known at once: the console's answer to its own button reads it next, and the
        # stored reason is written behind the distributor (queues/operator_state.py).
        if pause_reason is not None:
            self._reasons[username] = pause_reason
        self._changed()
        if username in self._subs:
            self._hooks.put_nowait(_Changed(username))

    def _changed(self) -> None:
        """Whom calls may be transferred to may have changed."""
        if self._subs:
            self._stale.set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._pace_counts())
            group.create_task(self._count_waiting())
            await self._work()

    async def _pace_counts(self) -> None:
        """A count as soon as the lists are stale, then none for LIST_EVERY: the changes
        meanwhile wait for the next. Counted by the worker, after the hooks before it (a
        call's screen pop reaches its console before its first list)."""
        while True:
            await self._stale.wait()
            self._stale.clear()
            self._hooks.put_nowait(_Count())
            await asyncio.sleep(LIST_EVERY)

    async def _work(self) -> None:
        while True:
            hook = await self._hooks.get()
            try:
                await self._handle(hook)
            except Exception:
                log.exception("console hub hook failed kind=%s", type(hook).__name__)

    async def _handle(self, hook: _Hook) -> None:
        if isinstance(hook, _Started):
            self._forget(hook.talk.operator)  # a new call: its console asks its choices first
            pop = await self._pop(hook.talk)
            self.publish(hook.talk.operator, messages.call(pop, time.time()))
        elif isinstance(hook, _Ended):
            self._forget(hook.talk.operator)
            self.publish(hook.talk.operator, messages.call_ended(
                str(hook.talk.call.call_id), hook.wrapup,
                messages.ended_words(hook.end, self.acd.picture.names), time.time()))
        elif isinstance(hook, _Changed):
            self.publish(hook.username, await self.state(hook.username))
        else:
            self._send_lists()

    async def _count_waiting(self) -> None:
        while True:
            await asyncio.sleep(WAITING_EVERY)
            try:
                self._send_waiting()
            except Exception:
                log.exception("console hub could not count the callers waiting")

    def _send_waiting(self) -> None:
        """Each console whose operator's queues have a different count of callers waiting
        since it was last told, told the new one."""
        if not self._subs:
            return
        waits = self._queue_waits()
        now = time.time()
        for username, subs in list(self._subs.items()):
            found = self._waiting_for(username, waits)
            for sub in list(subs):
                if self._waiting_sent.get(sub) != found:
                    self._waiting_sent[sub] = found
                    self._put(sub, messages.waiting(found, now))

    def _queue_waits(self) -> dict[int, messages.Waiting]:
        return messages.queue_waits((w.queue_id, w.caller.entered_at,
                                     w.caller.priority >= EMERGENCY)
                                    for w in list(self.acd.picture.waiting.values()))

    def _waiting_for(self, username: str,
                     waits: dict[int, messages.Waiting]) -> messages.Waiting:
        op = self.acd.picture.operators.get(username)
        return messages.waiting_in(op.queues if op else (), waits)

    def _send_lists(self) -> None:
        """Who is free, counted once; each console on a call sent its list if it changed."""
        consoles = {sub: talk.operator for talk in list(self.acd.picture.talking.values())
                    for sub in self._subs.get(talk.operator, ())}
        send, self._sent = transfer_lists.due(consoles, self._free(), self._sent)
        now = time.time()
        for sub, targets in send.items():
            self._put(sub, messages.staff(targets, self.acd.picture.names, now))

    def _forget(self, username: str) -> None:
        for sub in self._subs.get(username, ()):
            self._sent.pop(sub, None)

    # --- consoles ------------------------------------------------------------------------
    @contextlib.contextmanager
    def subscribe(self, username: str) -> Iterator[Subscription]:
        sub = Subscription(username)
        self._subs.setdefault(username, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subs.get(username, set())
            subs.discard(sub)
            if not subs:
                self._subs.pop(username, None)
            self._sent.pop(sub, None)
            self._waiting_sent.pop(sub, None)

    def publish(self, username: str, message: Message) -> None:
        for sub in list(self._subs.get(username, ())):
            self._put(sub, message)

    def _put(self, sub: Subscription, message: Message) -> None:
        if not sub.put(message):
            log.warning("console too slow, closing it operator=%s", sub.username)
            self._subs.get(sub.username, set()).discard(sub)
            sub.close()

    def close_all(self) -> None:
        """The server is stopping: every console is told to go (and will reconnect)."""
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.close()

    async def snapshot(self, username: str) -> list[Message]:
        """What a console that just (re)connected needs: the state, the callers waiting in
        its queues, and the call if talking."""
        now = time.time()
        found: list[Message] = [await self.state(username), messages.waiting(
            self._waiting_for(username, self._queue_waits()), now)]
        for talk in list(self.acd.picture.talking.values()):
            if talk.operator == username:
                found.append(messages.call(await self._pop(talk), time.time()))
        return found

    async def state(self, username: str) -> Message:
        op = self.acd.picture.operators.get(username)
        on_call = any(t.operator == username for t in self.acd.picture.talking.values())
        reason = ""
        if op is not None and op.paused:
            reason = self._reasons.get(username) or await self._stored_reason(username)
        return messages.state(op, reason, on_call, time.time(),
                              self.acd.picture.side_call(username),
                              username in self.acd.picture.online,
                              self.acd.picture.staff.more_time.get(username, 0))

    # --- reading what the picture lacks --------------------------------------------------
    async def _pop(self, talk: Talk) -> PopInfo:
        call = talk.call
        line = call.line
        connected_at, waited, answered_at = talk.connected_at, talk.waited, call.answered_at
        if not connected_at or not answered_at:  # adopted after a restart: the record knows
            stored = await self._times(call.call_id)
            connected_at, waited = connected_at or stored[0], waited or stored[1]
            answered_at = answered_at or stored[2]
        return PopInfo(
            call_id=str(call.call_id),
            facility_id=line.facility_id if line else None,
            facility=line.facility_name if line else "",
            line=await self._line_name(line.id) if line else "",
            did=line.did if line else "",
            language=call.language,
            triage=call.priority,
            waited=waited,
            connected_at=connected_at,
            answered_at=answered_at or connected_at,
            call_limit=line.call_limit if line else 0,
            limit_warning=line.limit_warning if line else 0,
            language_missing=messages.language_missing(call.language, self._languages(talk)),
            cut_off=messages.cut_off_words(talk.cut_off, self.acd.picture.names),
        )

    def _languages(self, talk: Talk) -> frozenset[str] | None:
        op = self.acd.picture.operators.get(talk.operator)
        return None if op is None else op.languages

    async def _line_name(self, line_id: int) -> str:
        if line_id not in self._line_names:
            try:
                async with self.pool.acquire() as con:
                    name = await store.line_name(con, line_id)
            except DATABASE_ERRORS:
                return ""
            self._line_names[line_id] = name
        return self._line_names[line_id]

    async def _times(self, call_id: uuid.UUID) -> tuple[float, float, float]:
        try:
            async with self.pool.acquire() as con:
                times = await store.call_times(con, call_id)
        except DATABASE_ERRORS:
            times = None
        return times or (time.time(), 0.0, 0.0)

    async def _stored_reason(self, username: str) -> str:
        try:
            async with self.pool.acquire() as con:
                return await store.pause_reason(con, username)
        except DATABASE_ERRORS:
            return ""
