"""Keeps the engine's view of the prompts folder current. Registered with the config watch
(config_watch.py) for the 'prompts' notification (an upload, a revert: prompts/work.py) and
run after every (re)LISTEN: the recordings the database keeps are written where missing or
different (a new volume, a restore, a change made while nobody listened), then the folder
is scanned again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from lifeline_pbx.prompts import store, work
from lifeline_pbx.prompts.library import PromptLibrary

TABLES = frozenset({store.PAYLOAD})


def prompt_reload(pool: asyncpg.Pool, library: PromptLibrary) -> Callable[[], Awaitable[None]]:
    async def reload() -> None:
        folder = library.local_dir
        if folder is not None:
            await work.materialise(pool, folder)
        await asyncio.to_thread(library.refresh)

    return reload
