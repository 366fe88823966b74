"""Run the `lifeline` command in this process, as a script runs it (its own event loop, in
a thread), with the settings a test gives in the environment: a new Python process per
command spends about a second importing the app before it does anything.

Output is what the command prints (stdout and stderr together); `lifeline serve`, signals
and the installed entry point are tested as real processes in tests/test_cli.py."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator, Mapping

from lifeline_pbx import cli
from lifeline_pbx.config import ENV_PREFIX

_one_at_a_time = threading.Lock()  # the environment and sys.std* are the process's


async def lifeline(*args: str, env: Mapping[str, str], stdin: str = "",
                   only_these: bool = False) -> tuple[int, str]:
    """Exit code and output of `lifeline ARGS` with `env` set (and, with only_these, no
    other LIFELINE_ setting of this process's environment)."""
    return await asyncio.to_thread(_run, args, env, stdin, only_these)


def lifeline_here(*args: str, env: Mapping[str, str]) -> tuple[int, str]:
    """The same, in this thread: for a test that is not a coroutine."""
    return _run(args, env, "", False)


def _run(args: tuple[str, ...], env: Mapping[str, str], stdin: str,
         only_these: bool) -> tuple[int, str]:
    out = io.StringIO()
    with _one_at_a_time, _environment(env, only_these), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out), _stdin(stdin):
        try:
            cli.main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return code, out.getvalue()


@contextlib.contextmanager
def _environment(env: Mapping[str, str], only_these: bool) -> Iterator[None]:
    saved = dict(os.environ)
    if only_these:
        for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
            del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved
