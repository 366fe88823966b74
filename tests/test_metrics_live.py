"""The metrics endpoint, scraped over HTTP from a running app: its own port (not the web
UI's), what moves when a call comes in through the carrier, waits, rings, talks, and when
the ARI WebSocket is cut, and no personal data in any label value."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from devstack import asterisk
from lifeline_pbx.resources import ACD, METRICS, WRITER
from tests.ari_relay import relayed_hotline
from tests.carrier import Carrier
from tests.own_addresses import APP_HOST, METRICS_PORT
from tests.phones import OPERATORS, Phones
from tests.privacy import sensitive
from tests.waiting import wait_for
from tests.web_fixtures import running_web

PAUSE_NOTE = "call back Rosa Quintero"  # free text typed with a pause: never a label


class Scrape:
    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: list[Sample] = [
            s for family in text_string_to_metric_families(text) for s in family.samples]

    def value(self, name: str, **labels: str) -> float:
        found = self.sample(name, **labels)
        assert found is not None, f"no sample {name} {labels}"
        return found

    def sample(self, name: str, **labels: str) -> float | None:
        """The samples' sum, or None when there is none (a labelled series appears with
        its first observation)."""
        found = [s.value for s in self.samples
                 if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
        return sum(found) if found else None

    def has(self, name: str) -> bool:
        return any(s.name == name for s in self.samples)

    def label_values(self) -> set[str]:
        return {v for s in self.samples for k, v in s.labels.items() if k not in ("le",)}


@contextlib.asynccontextmanager
async def scraper(port: int) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(f"http://{APP_HOST}:{port}") as http:
        yield http


async def scrape(http: aiohttp.ClientSession) -> Scrape:
    async with http.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return Scrape(await response.text())


async def test_metrics_on_their_own_port_with_web_times_by_route(app_dsn: str) -> None:
    async with running_web(app_dsn, metrics_host=APP_HOST, metrics_port=METRICS_PORT) as web:
        port = web.app[METRICS].port
        assert port and f":{port}" not in web.base_url
        client = await web.client()
        status, body = await client.get("/metrics")  # the web UI has none
        assert status == 404 and "lifeline_" not in body
        for path in ("/login", "/people/12345", "/no-such-page-9876"):
            await client.get(path)
        async with scraper(port) as http:
            async with http.get("/healthz") as response:  # the endpoint serves nothing else
                assert response.status == 404
            metrics = await scrape(http)
        routes = {s.labels["route"] for s in metrics.samples
                  if s.name == "lifeline_web_request_duration_seconds_count"}
        assert {"/login", "/people/{id}", "unmatched"} <= routes
        assert not any("12345" in v or "9876" in v for v in metrics.label_values())
        assert metrics.value("lifeline_web_request_duration_seconds_count", route="/login",
                             method="GET", status="2xx") == 1
        assert metrics.has("process_cpu_seconds_total") and metrics.has("python_info")
        assert not metrics.has("lifeline_calls")  # the web UI alone has no call engine
        # No `_created` series (nor their HELP lines) beside the counters and histograms.
        assert not [s.name for s in metrics.samples if s.name.endswith("_created")]
        assert "_created" not in metrics.text
        # Bound to the address it is given, not to every address.
        with pytest.raises(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()


async def test_metrics_are_off_unless_a_port_is_set(app_dsn: str) -> None:
    async with running_web(app_dsn) as web:
        assert web.app[METRICS].port == 0


async def test_the_gauges_move_with_a_call_and_labels_hold_no_personal_data(
    app_dsn: str, admin_dsn: str, pbx: asterisk.Instance, short_prompts_dir: str,
    carrier: Carrier, phones: Phones,
) -> None:
    sensitive(PAUSE_NOTE)
    async with relayed_hotline(app_dsn, pbx, short_prompts_dir, carrier, phones,
                               metrics_host=APP_HOST,
                               metrics_port=METRICS_PORT) as (hotline, relay), \
            scraper(hotline.app[METRICS].port) as http:
        acd = hotline.app[ACD]

        async def shows(name: str, value: float, **labels: str) -> Scrape:
            async def probe() -> Scrape | None:
                metrics = await scrape(http)
                return metrics if metrics.sample(name, **labels) == value else None

            found: Scrape = await wait_for(probe, timeout=30, what=f"{name}{labels} = {value}")
            return found

        # op-a/b/c and the demo's operator1 (logged out by tests/engine.py's staff()).
        first = await shows("lifeline_operators", len(OPERATORS) + 1, state="logged_out")
        assert first.value("lifeline_ari_connected") == 1
        assert first.value("lifeline_ari_reconnects_total") == 0
        assert first.value("lifeline_calls") == 0
        assert first.value("lifeline_recordings_on_pbx", kind="call recording") == 0
        assert first.value("lifeline_recordings_on_pbx", kind="voicemail") == 0

        await hotline.login("op-b")
        await acd.operator_action("op-b", "pause", f"meal: {PAUSE_NOTE}")
        await shows("lifeline_operators_paused", 1, reason="meal")

        call = await hotline.call("Metrics caller")
        await shows("lifeline_calls", 1, state="ivr")
        await hotline.reached("Metrics caller", "prompt_finished")
        await carrier.send_dtmf(call, "1")
        await hotline.reached("Metrics caller", "triage_asked")
        await carrier.send_dtmf(call, "5")
        # op-b is logged in but paused: the caller waits.
        waiting = await shows("lifeline_calls", 1, state="waiting")
        assert waiting.value("lifeline_calls", state="ivr") == 0

        await hotline.login("op-a")
        offer = await phones.offer("op-a")
        ringing = await shows("lifeline_calls", 1, state="ringing")
        assert ringing.value("lifeline_operators", state="ringing") == 1
        await phones.answer(offer, record=False)
        await hotline.reached("Metrics caller", "connected", {"operator": "op-a"})
        talking = await shows("lifeline_calls", 1, state="talking")
        assert talking.value("lifeline_operators", state="talking") == 1
        queue_id = str(await hotline.value("SELECT queue_id FROM calls"))
        assert talking.value("lifeline_queue_wait_seconds_count", queue=queue_id,
                             language="en", outcome="answered") == 1

        # A second caller waits (op-a talks, op-b is paused) and hangs up: abandoned.
        second = await hotline.to_queue("Second caller")
        await shows("lifeline_calls", 1, state="waiting")
        await carrier.hang_up(second)
        await shows("lifeline_queue_wait_seconds_count", 1, queue=queue_id, language="en",
                    outcome="abandoned")

        # The WebSocket is cut: the app connects again, counts it, keeps the call.
        before = relay.websockets
        relay.cut()
        await wait_for(lambda: relay.websockets > before, timeout=30, what="a new WebSocket")
        back = await shows("lifeline_ari_reconnects_total", 1)
        await shows("lifeline_ari_connected", 1)
        assert back.value("lifeline_calls", state="talking") == 1

        # PostgreSQL holds the queue log's table: call-record writes pile up, then drain.
        admin = await asyncpg.connect(admin_dsn)
        try:
            async with admin.transaction():
                await admin.execute("LOCK TABLE queue_events IN EXCLUSIVE MODE")
                await hotline.login("op-c")
                await acd.operator_action("op-c", "logout")
                await wait_for(lambda: hotline.app[WRITER].queued > 0, what="writes held")
                held = await scrape(http)
                assert held.value("lifeline_record_writer_backlog") >= 1
        finally:
            await admin.close()
        await shows("lifeline_record_writer_backlog", 0)

        await carrier.hang_up(call)
        await hotline.closed("Metrics caller")
        after = await shows("lifeline_calls", 0)
        assert after.value("lifeline_operators", state="talking") == 0

        rows = await hotline.sql("SELECT * FROM calls")
        personal = {PAUSE_NOTE, *OPERATORS, *(f"Operator {o}" for o in OPERATORS)}
        for row in rows:
            personal |= {row["caller_name"], row["caller_number"], row["channel_id"],
                         str(row["id"]), row["id"].hex}
        personal.discard("")
        assert len(rows) == 2
        for value in after.label_values():
            assert not any(item in value for item in personal), value
