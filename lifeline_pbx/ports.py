"""Opening the app's listening ports (the web UI's, the metrics endpoint's): a port that
cannot be opened ends the start with one line naming the setting, not a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import errno
from collections.abc import Iterator

from aiohttp import web

from lifeline_pbx.errors import StartRefused


def bind_problem(code: int | None, name: str, host: str, port: int) -> str | None:
    """What a failed bind of `{name}_host`:`{name}_port` means for whoever set them; None
    for an error that is not about the address (left to surface as it is)."""
    if code == errno.EADDRINUSE:
        return f"{name}_port {port} on {host} is in use by another program"
    if code == errno.EADDRNOTAVAIL:
        return f"{name}_host {host} is not an address of this machine"
    if code == errno.EACCES:
        return (f"{name}_port {port} on {host} may not be opened by this user (a port below "
                "1024 needs root or CAP_NET_BIND_SERVICE)")
    return None


@contextlib.contextmanager
def _named(name: str, host: str, port: int) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        problem = bind_problem(exc.errno, name, host, port)
        if problem is None:
            raise
        raise StartRefused(problem) from None


async def listen(site: web.TCPSite, name: str, host: str, port: int) -> None:
    with _named(name, host, port):
        await site.start()


async def ensure_free(name: str, host: str, port: int) -> None:
    """StartRefused if host:port cannot be listened on now. `lifeline serve` asks before it
    starts anything: a second one started by mistake stops before its call engine connects
    to Asterisk beside the first's."""
    with _named(name, host, port):
        server = await asyncio.get_running_loop().create_server(
            asyncio.Protocol, host, port, reuse_address=True)  # as aiohttp's site binds
    server.close()
    await server.wait_closed()
