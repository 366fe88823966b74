"""The app's Prometheus metrics: one registry per app, rendered at each scrape.

Two kinds: what happened (queue waits, web request times, ARI reconnects) is counted as it
happens; what is (calls and operators by state, the record writer's backlog) is read from
the live objects at scrape time (monitoring/live.py), never kept in parallel. Process
basics (CPU, memory, open files, garbage collection) come with the client library.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lifeline_pbx.monitoring import states
from lifeline_pbx.queues.picture import Waiter

# Seconds: a caller's wait spans seconds to the max wait (often 10-30 minutes).
WAIT_BUCKETS = (5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Live:
    """What is, read at scrape time; None where the app has no such part (web UI alone)."""

    background_tasks: int
    calls: dict[str, int] | None = None
    operators: dict[str, int] | None = None
    paused: dict[str, int] | None = None
    writer_backlog: int | None = None
    ari_connected: bool | None = None
    recordings_on_pbx: dict[str, int] | None = None


class Metrics:
    def __init__(self) -> None:
        # No `*_created` series beside each counter and histogram: they double the output
        # and say only when the process started (process_start_time_seconds does).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        for basics in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(basics)
        self.queue_wait = Histogram(
            "lifeline_queue_wait_seconds",
            "How long callers waited in a queue, until an operator answered (outcome "
            "answered), they hung up (abandoned), the queue's max wait (timeout), or they were "
            "sent to voicemail.",
            ("queue", "language", "outcome"), buckets=WAIT_BUCKETS, registry=self.registry)
        self.web_request = Histogram(
            "lifeline_web_request_duration_seconds",
            "Time to answer a web request, by route pattern (never the path with its ids).",
            ("route", "method", "status"), registry=self.registry)
        self.ari_reconnects = Counter(
            "lifeline_ari_reconnects",
            "Times the ARI event WebSocket was connected again after it had been up.",
            registry=self.registry)
        self._live = _LiveFamilies()
        self.registry.register(self._live)
        self._ari_connections = 0
        self.port = 0  # where the endpoint listens, read back; 0 while it is off

    def ari_connected(self) -> None:
        if self._ari_connections:
            self.ari_reconnects.inc()
        self._ari_connections += 1

    def queue_waited(self, waiter: Waiter, outcome: str) -> None:
        """A caller left the queue: answered, abandoned, timeout or voicemail."""
        self.queue_wait.labels(
            queue=str(waiter.queue_id), language=states.language_label(waiter.caller.language),
            outcome=outcome if outcome in states.QUEUE_OUTCOMES else states.OTHER,
        ).observe(max(0.0, time.time() - waiter.caller.entered_at))

    def web_requested(self, route: str, method: str, status: int, seconds: float) -> None:
        self.web_request.labels(
            route=route, method=method if method in METHODS else states.OTHER,
            status=f"{status // 100}xx",
        ).observe(seconds)

    def render(self, live: Live) -> bytes:
        """The text format, with the live families from `live`."""
        self._live.live = live
        return generate_latest(self.registry)


class _LiveFamilies(Collector):
    def __init__(self) -> None:
        self.live = Live(background_tasks=0)

    def collect(self) -> Iterator[Metric]:
        live = self.live
        yield _gauge("lifeline_background_tasks", "Background tasks running in the app.",
                     live.background_tasks)
        if live.calls is not None:
            yield _by("lifeline_calls", "Live calls by state.", "state", live.calls)
        if live.operators is not None:
            yield _by("lifeline_operators", "Operators (enabled) by state.", "state",
                      live.operators)
        if live.paused is not None:
            yield _by("lifeline_operators_paused", "Paused operators by the reason chosen.",
                      "reason", live.paused)
        if live.writer_backlog is not None:
            yield _gauge("lifeline_record_writer_backlog",
                         "Call-record writes not yet in PostgreSQL (queued, or in the batch "
                         "being written).", live.writer_backlog)
        if live.recordings_on_pbx is not None:
            yield _by("lifeline_recordings_on_pbx",
                      "Recordings (voicemail, call recording) the vault's last pass found on "
                      "the PBX's disk still to seal or delete; read up to 20 of each list. "
                      "Above 0 for minutes: the vault is stuck and plain audio stays there.",
                      "kind", live.recordings_on_pbx)
        if live.ari_connected is not None:
            yield _gauge("lifeline_ari_connected", "1 while ARI events flow from Asterisk.",
                         int(live.ari_connected))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by(name: str, documentation: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=(label,))
    for value, count in counts.items():
        family.add_metric((value,), count)
    return family
