"""The `lifeline` command as a user runs it: a separate process, real settings."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp

from lifeline_pbx.devstack import asterisk
from tests.waiting import wait_for


def lifeline_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "lifeline_pbx.cli", *args]


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd(*args), env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_a_bad_setting_stops_start_up_and_names_it() -> None:
    code, out = await run(
        {"LIFELINE_DATABASE_URL": "postgresql://x@127.0.0.1/y", "LIFELINE_ARI_URL": "http://h",
         "LIFELINE_ARI_USER": "u", "LIFELINE_ARI_PASSWORD": "p", "LIFELINE_WEB_PORT": "99999"},
        "serve",
    )
    assert code == 2
    assert "web_port" in out and "1-65535" in out


async def test_a_missing_setting_is_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("migrate"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 2
    assert "database_url" in out.decode()


async def test_migrate_then_serve_then_stop_on_sigterm(
    empty_dsn: str, pbx: asterisk.Instance, prompts_dir: str
) -> None:
    port = asterisk.free_port()
    env = {
        "LIFELINE_DATABASE_URL": empty_dsn, "LIFELINE_ARI_URL": pbx.ari_url,
        "LIFELINE_ARI_USER": pbx.ari_user, "LIFELINE_ARI_PASSWORD": pbx.ari_password,
        "LIFELINE_WEB_PORT": str(port), "LIFELINE_PROMPTS_DIR": prompts_dir,
    }
    code, out = await run(env, "migrate")
    assert code == 0 and "0001_calls" in out
    code, out = await run(env, "demo-data")
    assert code == 0
    process = await asyncio.create_subprocess_exec(
        *lifeline_cmd("serve"), env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def healthy() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await wait_for(healthy, timeout=20, what="lifeline serve healthy")
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 15)
    assert code == 0
