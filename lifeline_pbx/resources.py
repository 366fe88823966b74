"""The app's long-lived resources, each under its own typed key.

lifeline_pbx/app.py (create_app) puts them in the app and opens and closes each in its
cleanup_ctx; views and the engine read the one they need, e.g. `request.app[POOL]`. The
call engine's parts (ARI .. SIP_GUARD, HUB) are there only when the app runs with calls.
"""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
from aiohttp import web

from lifeline_pbx.alerts.feed import SupervisorFeed
from lifeline_pbx.alerts.watch import AlertWatch
from lifeline_pbx.ari.client import AriClient
from lifeline_pbx.calls.dispatch import CallDispatcher
from lifeline_pbx.calls.lines import LineDirectory
from lifeline_pbx.calls.records import RecordWriter
from lifeline_pbx.config import Config
from lifeline_pbx.config_watch import ConfigWatch
from lifeline_pbx.console.live import LiveHub
from lifeline_pbx.crypto import KeyRing
from lifeline_pbx.escalation.runner import Escalations
from lifeline_pbx.monitoring.instruments import Metrics
from lifeline_pbx.operators.sip_sync import OperatorSync
from lifeline_pbx.outbound.legs import OutboundLegs
from lifeline_pbx.pg_listen import Listener
from lifeline_pbx.queues.acd import Acd
from lifeline_pbx.recordings.vault import Vault
from lifeline_pbx.sipguard.guard import SipGuard
from lifeline_pbx.supervision.listen_in import ListenIn
from lifeline_pbx.supervision.queue_figures import Board
from lifeline_pbx.supervision.shared_read import SharedRead
from lifeline_pbx.tasks import TaskRegistry
from lifeline_pbx.transfers.service import Transfers

CONFIG = web.AppKey("config", Config)
KEY_RING = web.AppKey("key_ring", KeyRing)
TASKS = web.AppKey("tasks", TaskRegistry)
LISTENER = web.AppKey("listener", Listener)  # the one LISTEN connection (pg_listen.py)
POOL: web.AppKey[asyncpg.Pool[asyncpg.Record]] = web.AppKey("pool")
METRICS = web.AppKey("metrics", Metrics)  # served by monitoring/endpoint.py
# What needs a person though calls are answered (start_checks.py): /healthz, admins' pages.
PROBLEMS: web.AppKey[list[str]] = web.AppKey("problems")
# Spike alerts, voicemail alerts and their emails (lifeline_pbx/alerts/): with or without calls.
FEED = web.AppKey("supervisor_feed", SupervisorFeed)  # the supervisors' screens' live feed
ALERTS = web.AppKey("alert_watch", AlertWatch)

# The call engine (lifeline_pbx/engine.py).
HTTP = web.AppKey("ari_http", aiohttp.ClientSession)  # the ARI client's HTTP session
ARI = web.AppKey("ari", AriClient)
CONNECTED = web.AppKey("ari_connected", asyncio.Event)  # set while ARI's events flow
LINES = web.AppKey("lines", LineDirectory)
CONFIG_WATCH = web.AppKey("config_watch", ConfigWatch)  # reloads on 'lifeline_config'
WRITER = web.AppKey("record_writer", RecordWriter)
ACD = web.AppKey("acd", Acd)
DISPATCHER = web.AppKey("dispatcher", CallDispatcher)
OUTBOUND = web.AppKey("outbound_legs", OutboundLegs)  # every leg the PBX places (guarded)
ESCALATIONS = web.AppKey("escalations", Escalations)  # emergency on-call runs
VAULT = web.AppKey("recording_vault", Vault)
OPERATOR_SYNC = web.AppKey("operator_sync", OperatorSync)
SIP_GUARD = web.AppKey("sip_guard", SipGuard)  # absent when no AMI secret is set
HUB = web.AppKey("console_hub", LiveHub)  # the operator consoles' live feed
LISTEN_IN = web.AppKey("listen_in", ListenIn)  # supervisors on live calls
# The live queue view's labels, today's figures and the answered calls with no intake, read
# once for every browser polling within the refresh (supervision/views.py).
QUEUE_FIGURES = web.AppKey("queue_figures", SharedRead[Board])

TRANSFERS = web.AppKey("transfers", Transfers)  # operators' conference and relay legs
