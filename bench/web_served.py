"""`lifeline serve` on a benchmark's database, its web UI alone (ARI points where nothing
listens), for the benchmarks that time pages: the app as it runs for real, a process of
its own, its CPU and memory readable by pid; signing in to it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from devstack.asterisk import free_port
from lifeline_pbx.crypto import KeyRing


@contextlib.asynccontextmanager
async def web_served(dsn: str, keys: KeyRing) -> AsyncIterator[tuple[str, int]]:
    """The app's base URL and pid, once it answers its health check."""
    port = free_port()
    env = {**os.environ, "LIFELINE_DATABASE_URL": dsn, "LIFELINE_WEB_PORT": str(port),
           "LIFELINE_ARI_URL": f"http://127.0.0.1:{free_port()}/ari",  # nothing listens
           "LIFELINE_ARI_USER": "bench", "LIFELINE_ARI_PASSWORD": "bench",
           "LIFELINE_DATA_KEYS": ",".join(f"{k}:{base64.b64encode(v).decode()}"
                                          for k, v in keys.keys.items()),
           "LIFELINE_LOOKUP_KEY": base64.b64encode(keys.lookup_key).decode(),
           "LIFELINE_LOG_LEVEL": "WARNING"}
    app = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lifeline_pbx.cli", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(base + "/healthz"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)  # polling the app's start-up, with a deadline
            else:
                raise RuntimeError("the app did not start")
        yield base, app.pid
    finally:
        app.terminate()
        await asyncio.wait_for(app.wait(), 10)


async def sign_in(http: aiohttp.ClientSession, base: str, user: str, password: str) -> None:
    """Signs `http` in through the login form (its session cookie kept in its jar)."""
    page = await (await http.get(base + "/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert token, "no sign-in form"
    async with http.post(base + "/login", allow_redirects=False, data={
            "csrf_token": token.group(1), "username": user, "password": password,
            "next": "/"}) as r:
        assert r.status == 303, f"sign-in refused: {r.status}"


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.+)$", status,
                                                         re.MULTILINE)}
