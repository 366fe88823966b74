"""Loopback addresses of this test process's own (devstack/asterisk.py own_loopback), for
servers a test starts on a fixed port: no other process binds there, so no port has to be
picked free and released first (another process could take it in between)."""

from __future__ import annotations

from devstack import asterisk

APP_HOST = asterisk.own_loopback(4)  # the app's web UI or metrics run in a subprocess
NOBODY = asterisk.own_loopback(5)  # nothing ever listens here: connections are refused
NOBODY_URL = f"http://{NOBODY}:9"
METRICS_PORT = 9464
WEB_PORT = 8080
