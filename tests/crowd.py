"""Twenty live calls on the staffed hotline, for the faults-under-load tests.

Everything here looks at the hotline from outside the app (its database, the PBX's ARI,
the carrier placing the calls, the operators' phones), so the same checks hold whether
the app runs in the test's process or as a `lifeline serve` that the test kills.

The mix at the time of a fault: 2 callers talking with an operator, 1 whose offer rings
an operator's phone, 13 waiting in the queue (queued together: each test reads their
order before its fault and checks it after), 4 in the IVR's language menu.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from devstack import asterisk
from lifeline_pbx.ari.client import AriClient, ari_http_session
from lifeline_pbx.queues.bridges import call_of_bridge
from tests.carrier import Carrier, CarrierCall
from tests.engine import DID
from tests.phones import PhoneCall, Phones
from tests.waiting import wait_for

TALKING = ("T1", "T2")
RINGING = "R1"
WAITING = tuple(f"W{n:02}" for n in range(1, 14))
IN_IVR = ("I1", "I2", "I3", "I4")
EVERYONE = (*TALKING, RINGING, *WAITING, *IN_IVR)

# Quick, deterministic queue timings: no language preference (the queue is served in
# order), a long ring (an offer still rings through the fault), no wrap-up, a long menu
# timeout (callers in the IVR are still there after the fault).
QUEUE_POLICY = """UPDATE queues SET language_wait_seconds = 0, ring_timeout_seconds = 60,
                      wrapup_seconds = 0, max_wait_seconds = 600, announce_every_seconds = 600"""
LINE_POLICY = "UPDATE lines SET menu_timeout_seconds = $2 WHERE did = $1"
MENU_TIMEOUT = 30
LOGGED_IN = """INSERT INTO operator_status (operator_id, logged_in, paused, idle_since)
               SELECT id, true, false, now() FROM operators
               ON CONFLICT (operator_id) DO UPDATE SET logged_in = true, paused = false"""


async def prepare(dsn: str, menu_timeout: int = MENU_TIMEOUT) -> None:
    """After tests.engine.staff: the crowd's timings, every operator logged in."""
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(QUEUE_POLICY)
        await con.execute(LINE_POLICY, DID, menu_timeout)
        await con.execute(LOGGED_IN)
    finally:
        await con.close()


@contextlib.asynccontextmanager
async def pbx_ari(pbx: asterisk.Instance) -> AsyncIterator[AriClient]:
    """The PBX's ARI, to read its channels and bridges (no events)."""
    async with ari_http_session() as http:
        yield AriClient(pbx.ari_url, pbx.ari_user, pbx.ari_password, "faults-probe", http)


@dataclass
class Crowd:
    pool: asyncpg.Pool
    carrier: Carrier
    phones: Phones
    ari: AriClient  # the PBX's
    calls: dict[str, CarrierCall] = field(default_factory=dict)
    legs: dict[str, PhoneCall] = field(default_factory=dict)  # caller -> operator's leg
    _number: int = 1000

    # --- reading the database --------------------------------------------------------
    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pool.acquire() as con:
            return list(await con.fetch(query, *args))

    async def with_event(self, kind: str, names: Iterable[str], since: float = 0.0) -> set[str]:
        rows = await self.sql(
            """SELECT DISTINCT c.caller_name FROM call_events e JOIN calls c ON c.id = e.call_id
               WHERE e.kind = $1 AND c.caller_name = ANY($2::text[])
                 AND e.at >= to_timestamp($3)""", kind, list(names), since)
        return {r["caller_name"] for r in rows}

    async def reached(self, names: Iterable[str], kind: str, since: float = 0.0,
                      timeout: float = 30) -> None:
        wanted = set(names)

        async def probe() -> bool:
            return await self.with_event(kind, wanted, since) == wanted

        await wait_for(probe, timeout=timeout, interval=0.1,
                       what=f"{kind} for {sorted(wanted)}")

    async def rows(self) -> dict[str, asyncpg.Record]:
        rows = await self.sql("SELECT * FROM calls WHERE caller_name = ANY($1::text[])",
                              list(self.calls))
        assert len(rows) == len({r["caller_name"] for r in rows}), "a call has two rows"
        return {r["caller_name"]: r for r in rows}

    async def queue_order(self, names: Iterable[str]) -> list[str]:
        """The callers by the time they entered the queue (as the database has it, once it
        has each one's time: the timeline's `queued` can be written a batch before it)."""
        wanted = list(names)

        async def rows() -> list[asyncpg.Record] | None:
            found = await self.sql(
                """SELECT caller_name, queued_at FROM calls
                   WHERE caller_name = ANY($1::text[]) ORDER BY queued_at, caller_name""", wanted)
            complete = len(found) == len(wanted) and all(r["queued_at"] for r in found)
            return found if complete else None

        found = await wait_for(rows, what=f"queued_at of {wanted}")
        print("queue order:", [(r["caller_name"], r["queued_at"].isoformat()) for r in found])
        return [r["caller_name"] for r in found]

    # --- calls -------------------------------------------------------------------------
    async def call(self, names: Iterable[str]) -> None:
        async def one(name: str) -> None:
            self._number += 1
            self.calls[name] = await self.carrier.call(
                DID, f'"{name}" <555{self._number}>', record=False)

        await asyncio.gather(*(one(n) for n in names))

    async def dtmf(self, names: Iterable[str], digit: str) -> None:
        await asyncio.gather(*(self.carrier.send_dtmf(self.calls[n], digit) for n in names))

    async def next_offer(self, timeout: float = 20) -> PhoneCall:
        """The next call ringing on any operator's phone, not yet handed out."""

        def probe() -> PhoneCall | None:
            return next((c for c in self.phones.calls.values()
                         if not c.outgoing and not c.taken and not c.ended), None)

        offer: PhoneCall = await wait_for(probe, timeout=timeout, what="an offer ringing")
        offer.taken = True
        return offer

    async def connect(self, name: str, since: float = 0.0) -> PhoneCall:
        """Answer the next offer; it must be this caller's."""
        leg = await self.next_offer()
        await self.phones.answer(leg, record=False)
        await self.reached([name], "connected", since)
        self.legs[name] = leg
        return leg

    async def fill(self) -> None:
        """The crowd of the module's docstring, live."""
        await self.call(EVERYONE)
        await self.reached(EVERYONE, "prompt_finished")  # the greeting; the menu plays
        # A caller who does not answer the triage question is queued after 3 s: the ones
        # to be served first answer now, the waiting ones when those are placed (the
        # language, then the triage answer, typed ahead).
        served = (*TALKING, RINGING)
        await self.dtmf(served, "1")
        await self.reached(served, "triage_asked")
        for name in TALKING:
            await self.dtmf([name], "5")
            await self.connect(name)
        await self.dtmf([RINGING], "5")
        self.legs[RINGING] = await self.next_offer()
        # The waiting ones answer together; the order the app queues them in is read by
        # each test before its fault and checked after it.
        await self.dtmf(WAITING, "15")
        await self.reached(WAITING, "queued")
        order = await self.queue_order([RINGING, *WAITING])
        assert order[0] == RINGING and sorted(order[1:]) == sorted(WAITING)

    # --- what Asterisk holds -----------------------------------------------------------
    async def where(self) -> dict[str, str]:
        """Each live caller's place on the PBX: the bridge it is in, or '' (the IVR). Read
        from the PBX alone (it answers while the database is away)."""
        channels, bridges = await asyncio.gather(self.ari.channels(), self.ari.bridges())
        bridge_of = {c: b["id"] for b in bridges for c in b.get("channels", [])}
        return {name: bridge_of.get(channel_id, "")
                for name, channel_id in self._in_app(channels).items()}

    async def channels(self) -> dict[str, str]:
        """Each live caller's channel on the PBX, in our app."""
        return self._in_app(await self.ari.channels())

    def _in_app(self, channels: list[dict[str, Any]]) -> dict[str, str]:
        return {c["caller"]["name"]: c["id"] for c in channels
                if c["caller"]["name"] in self.calls and str(
                    (c.get("dialplan") or {}).get("app_data", "")).startswith("lifeline,inbound")}

    async def talking(self) -> set[str]:
        """The callers bridged with an operator now (a call bridge with both legs in)."""
        channels, bridges = await asyncio.gather(self.channels(), self.ari.bridges())
        bridged = {c for b in bridges if call_of_bridge(b["id"]) is not None
                   and len(b.get("channels", [])) == 2 for c in b["channels"]}
        return {name for name, channel_id in channels.items() if channel_id in bridged}

    async def bridge_members(self, bridge_id: str) -> int:
        bridges = {b["id"]: b for b in await self.ari.bridges()}
        return len(bridges.get(bridge_id, {}).get("channels", []))

    # --- after the fault -----------------------------------------------------------------
    async def serve_in_order(self, operator_leg: PhoneCall | None, count: int) -> list[str]:
        """Free one operator (they hang up their call, if given) and let them take `count`
        callers one by one, each hung up by the operator once connected: the order they came."""
        served: list[str] = []
        if operator_leg is not None:
            await self.phones.hang_up(operator_leg)
        for _ in range(count):
            served.append(await self._take_one())
        return served

    async def _take_one(self) -> str:
        leg = await self.next_offer()
        await self.phones.answer(leg, record=False)
        name: str = await wait_for(self._newly_connected, interval=0.1,
                                   what="the offer connected")
        self.legs[name] = leg
        await self.phones.hang_up(leg)
        await wait_for(lambda: self.calls[name].ended, what=f"{name} released")
        return name

    async def _newly_connected(self) -> str | None:
        """The one caller bridged with an operator whom no operator's leg here took yet."""
        names = await self.talking() - set(self.legs)
        return next(iter(names)) if len(names) == 1 else None

    async def caller_leaves(self, name: str) -> None:
        """The caller hangs up; once the engine has released their operator's leg, a later
        hang-up from the phone (`finish`) cannot overtake the caller's in the record."""
        await self.carrier.hang_up(self.calls[name])
        if name in self.legs:
            await self.phones.ended(self.legs[name])

    async def finish(self) -> None:
        """Everyone still on the line hangs up: operators end their calls, callers leave."""
        released = []
        for name, leg in self.legs.items():
            if not leg.ended and leg.answered:
                with contextlib.suppress(Exception):
                    await self.phones.hang_up(leg)
                released.append(self.calls[name])
        # The engine releases a caller whose operator hung up; hanging the caller up before
        # that arrives would make it the caller's hang-up (a race under load).
        await wait_for(lambda: all(c.ended for c in released), timeout=30,
                       what="the callers whose operator hung up released")
        for call in self.calls.values():
            if not call.ended:
                with contextlib.suppress(Exception):
                    await self.carrier.hang_up(call)
        await wait_for(lambda: all(c.ended for c in self.calls.values()), timeout=30,
                       what="every caller off the line")

    async def closed_rows(self, timeout: float = 30) -> dict[str, asyncpg.Record]:
        """Every call's one row, once each is complete: ended, with a disposition, who hung
        up and a cause."""

        async def probe() -> dict[str, asyncpg.Record] | None:
            rows = await self.rows()
            done = set(rows) == set(self.calls) and all(
                r["ended_at"] is not None for r in rows.values())
            return rows if done else None

        rows: dict[str, asyncpg.Record] = await wait_for(
            probe, timeout=timeout, interval=0.2, what="every call's row closed")
        unseen = await self.with_event("ended_unseen", rows)
        for name, row in rows.items():
            complete = (row["disposition"], row["hangup_by"], row["hangup_cause"])
            assert None not in complete, (name, complete)
            # A cause is known unless the end happened while the app heard nothing, and
            # then the call's timeline says so.
            assert row["hangup_cause"] > 0 or name in unseen, (name, complete)
        return rows

    async def no_duplicates(self) -> None:
        """One queue entry and at most one connection per call; one row per call."""
        counts = await self.sql(
            """SELECT c.caller_name, q.kind, count(*) AS n FROM queue_events q
               JOIN calls c ON c.id = q.call_id WHERE q.kind IN ('entered', 'connected')
               GROUP BY 1, 2 HAVING count(*) > 1""")
        assert not counts, [dict(r) for r in counts]

    async def operators_idle(self) -> list[asyncpg.Record]:
        """Operators as stored: logged in, not paused, no missed offers counted."""
        rows = await self.sql(
            """SELECT o.sip_username, s.logged_in, s.paused, s.pause_reason, s.missed_in_row
               FROM operators o JOIN operator_status s ON s.operator_id = o.id
               WHERE o.sip_username LIKE 'op-%' ORDER BY 1""")
        for row in rows:
            assert (row["logged_in"], row["paused"], row["missed_in_row"]) == (True, False, 0), \
                dict(row)
        return rows

    async def pbx_empty(self) -> None:
        """No channel left on the PBX: no operator's leg ringing or bridged forever."""

        async def probe() -> bool:
            return not await self.ari.channels()

        await wait_for(probe, timeout=20, what="no channel left on the PBX")
