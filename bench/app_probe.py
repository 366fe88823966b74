"""`lifeline serve` with a probe, for bench/capacity.py: counts the app's ARI requests and
the events it reads, by kind, and the call-record writer's transactions; measures how late
its event loop runs what is due (LAG_TICK); and, when asked, profiles its CPU time (yappi,
for measuring only).

It writes SETTLED once the app's first sync of the operators' SIP accounts is done and no
other is due: a restarted app reads every operator's account back from Asterisk (three
requests each), which is start-up work, not the calls', and the bench waits for it.

The bench sends SIGUSR1 when the measured run begins (counts and profile start from
zero) and SIGUSR2 when it ends (both are written to LIFELINE_BENCH_PROBE, a folder).
Counting costs a dictionary update per request; the profile slows the app severalfold,
so a run with it says where the time goes, not how much there is.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import importlib
import json
import os
import signal
import statistics
import time
import uuid
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Protocol, TypeVar, cast

import asyncpg

from lifeline_pbx import app, cli, engine
from lifeline_pbx.ari import events, stream
from lifeline_pbx.ari.client import AriClient, Json, Params
from lifeline_pbx.ari.events import Event
from lifeline_pbx.calls import records
from lifeline_pbx.calls.call_record import CallRow
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.config import Config
from lifeline_pbx.db import Conn
from lifeline_pbx.operators.sip_sync import OperatorSync

COUNTS = "ari_requests.json"
ORIGINATES = "originates.json"
SETTLED = "operators_synced"
# seconds: the lag sampler sleeps this long, and notes how late it wakes. Not shorter: each
# wake-up is a turn of the app's event loop that the bench would count as the app's CPU
# (at 10 ms, about 29 ms of CPU a second: 1.5 ms per call at 20 calls/s).
LAG_TICK = 0.1
PROFILE = "app_cpu.pstats"
# Path segments that name a resource or an action; any other segment is an object's id.
_WORDS = frozenset({
    "channels", "bridges", "playbacks", "recordings", "endpoints", "applications", "asterisk",
    "variable", "answer", "play", "moh", "addChannel", "removeChannel", "record", "dtmf",
    "snoop", "live", "stored", "stop", "file", "PJSIP", "subscription", "eventFilter",
    "config", "dynamic", "info", "ring", "hold", "mute", "continue", "redirect", "dial",
})


T = TypeVar("T")


class _FuncStats(Protocol):
    def save(self, path: str, type: str = ...) -> None: ...


class _Yappi(Protocol):
    """The part of yappi the probe uses."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def clear_stats(self) -> None: ...
    def set_clock_type(self, type: str) -> None: ...
    def get_func_stats(self) -> _FuncStats: ...


def yappi() -> _Yappi:
    """The CPU profiler, installed only by whoever measures with it (docs/capacity.md)."""
    try:
        module = importlib.import_module("yappi")
    except ModuleNotFoundError:
        raise SystemExit("--cpu-profile needs yappi, which is not a dependency: "
                         ".venv/bin/pip install yappi") from None
    return cast(_Yappi, module)


def _rebind(module: ModuleType, name: str, old: T, new: T) -> None:
    """Replace what a module imported from another (so the module's own code uses `new`);
    refuses if the module no longer holds `old` under that name."""
    if vars(module).get(name) is not old:
        raise RuntimeError(f"{module.__name__}.{name} is not {old!r}: the probe needs updating")
    setattr(module, name, new)


def kind(method: str, path: str) -> str:
    """'POST /channels/abc/play/p1' -> 'POST /channels/*/play/*'."""
    parts = [p if p in _WORDS else "*" for p in path.strip("/").split("/")]
    return f"{method} /{'/'.join(parts)}"


class Probe:
    def __init__(self, folder: Path, cpu: bool) -> None:
        self.folder = folder
        self.counts: collections.Counter[str] = collections.Counter()
        self.lags: list[float] = []  # seconds late, each LAG_TICK
        self.collections: list[float] = []  # seconds, each full garbage collection
        self._collecting = 0.0
        self.profiler = yappi() if cpu else None
        self.clients: list[AriClient] = []
        self.originates: list[tuple[float, str]] = []  # when each originate was sent, where
        self._opened = 0  # request sockets opened before the measured run

    def install(self) -> None:
        counts, clients, originates = self.counts, self.clients, self.originates

        class CountedClient(AriClient):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                clients.append(self)

            async def request(self, method: str, path: str,
                              params: Params | list[tuple[str, str]] | None = None,
                              body: Json | None = None) -> Any:
                counts[kind(method, path)] += 1
                if method == "POST" and path == "/channels" and isinstance(params, dict):
                    originates.append((time.time(), str(params.get("endpoint", ""))))
                return await super().request(method, path, params, body)

        _rebind(engine, "AriClient", AriClient, CountedClient)
        settled = self.folder / SETTLED

        class WatchedSync(OperatorSync):
            async def _sync_once(self, ari: AriClient) -> bool:
                ok = await super()._sync_once(ari)
                # Once the sync loop has moved on: to wait, or to the next sync asked for.
                asyncio.get_running_loop().call_soon(self._note_settled)
                return ok

            def _note_settled(self) -> None:
                if self.syncs and self.settled():
                    settled.touch()

        _rebind(engine, "OperatorSync", OperatorSync, WatchedSync)

        class CountedLines(LineDirectory):
            """A call reads its line from PostgreSQL only while the copy is not current."""

            async def _fetch(self, did: str) -> asyncpg.Record | None:
                counts["lines read"] += 1
                return await super()._fetch(did)

        _rebind(engine, "LineDirectory", LineDirectory, CountedLines)
        parse = events.parse_event

        def parsed(data: dict[str, Any]) -> Event:
            counts[f"event {data.get('type')}"] += 1
            return parse(data)

        _rebind(stream, "parse_event", parse, parsed)
        write = records.write

        async def written(con: Conn, writes: list[records.Write],
                          open_rows: dict[uuid.UUID, CallRow]) -> None:
            counts["writer batch"] += 1
            counts["writer write"] += len(writes)
            await write(con, writes, open_rows)

        records.write = written
        serve = app.serve

        async def lagged(config: Config) -> None:
            sampler = asyncio.create_task(self._sample_lag())
            try:
                await serve(config)
            finally:
                sampler.cancel()

        app.serve = lagged
        gc.callbacks.append(self._gc)
        signal.signal(signal.SIGUSR1, self._begin)
        signal.signal(signal.SIGUSR2, self._end)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.collections.append(time.perf_counter() - self._collecting)

    async def _sample_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_TICK)
            self.lags.append(loop.time() - before - LAG_TICK)

    def _sockets_opened(self) -> int:
        """Request sockets the app has opened (each a WebSocket handshake, and a Stasis
        application made and dropped in Asterisk)."""
        return sum(client._sockets.opened for client in self.clients)

    def _begin(self, signum: int, frame: FrameType | None) -> None:
        self.counts.clear()
        self.lags.clear()
        self.collections.clear()
        self.originates.clear()
        self._opened = self._sockets_opened()
        if self.profiler is not None:
            self.profiler.stop()
            self.profiler.clear_stats()
            self.profiler.set_clock_type("cpu")
            self.profiler.start()

    def _end(self, signum: int, frame: FrameType | None) -> None:
        lags = sorted(self.lags) or [0.0]
        cuts = statistics.quantiles(lags, n=100) if len(lags) > 1 else lags * 99
        for name, value in (("p50", cuts[49]), ("p99", cuts[98]), ("max", lags[-1])):
            self.counts[f"lag {name} ms"] = round(value * 1000)
        self.counts["gc full"] = len(self.collections)
        self.counts["gc full max ms"] = round(max(self.collections, default=0.0) * 1000)
        self.counts["gc objects"] = len(gc.get_objects())
        self.counts["sockets opened"] = self._sockets_opened() - self._opened
        if self.profiler is not None:  # before the counts: their file marks the end of both
            self.profiler.stop()
            self.profiler.get_func_stats().save(str(self.folder / PROFILE), type="pstat")
        (self.folder / ORIGINATES).write_text(json.dumps(self.originates))
        # Written aside, then renamed: the bench reads the file as soon as it appears.
        aside = self.folder / f"{COUNTS}.part"
        aside.write_text(json.dumps(dict(self.counts)))
        aside.replace(self.folder / COUNTS)


def main() -> None:
    folder = Path(os.environ["LIFELINE_BENCH_PROBE"])
    Probe(folder, os.environ.get("LIFELINE_BENCH_CPU_PROFILE") == "1").install()
    cli.main(["serve"])


if __name__ == "__main__":
    main()
