"""PostgreSQL's own client programs (pg_dump, pg_restore, psql) run on a DSN.

They come with Debian's postgresql-client. The password goes to them in the environment
(PGPASSWORD), never on a command line, which every local user can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from lifeline_pbx.backup.manifest import BackupError

CLIENT_DIRS = Path("/usr/lib/postgresql")
_CHUNK = 1 << 16


def program(name: str) -> str:
    """The newest installed version of a client program (a pg_dump older than the server
    refuses to dump it), else the one on PATH."""
    numbered = [p for p in CLIENT_DIRS.glob(f"*/bin/{name}") if p.parent.parent.name.isdigit()]
    if numbered:
        return str(max(numbered, key=lambda p: int(p.parent.parent.name)))
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: apt-get install postgresql-client")
    return found


def libpq_target(dsn: str) -> tuple[str, dict[str, str]]:
    """dsn without its password, and the environment that gives the password to libpq."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn, {}
    userinfo, _, where = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return (urlunsplit(parts._replace(netloc=f"{user}@{where}")),
            {"PGPASSWORD": unquote(parts.password)})


def _failure(program_name: str, code: int | None, stderr: bytes) -> BackupError:
    lines = stderr.decode(errors="replace").strip().splitlines()[-8:]
    return BackupError(f"{program_name} failed (exit {code}):\n" + "\n".join(lines))


async def dump(dsn: str, snapshot: str, out: Path) -> None:
    """pg_dump's custom format of the whole database, as of an exported snapshot."""
    target, env = libpq_target(dsn)
    process = await asyncio.create_subprocess_exec(
        program("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
        "--lock-wait-timeout=60s", "--no-password", f"--file={out}", f"--dbname={target}",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **env})
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise _failure("pg_dump", process.returncode, stderr)


async def restore(dsn: str, dump_file: Path, tail_sql: str, *, clean: bool) -> None:
    """The dump as SQL (pg_restore), then tail_sql, in one transaction (psql): an error
    anywhere, in either program, leaves the database as it was."""
    target, env = libpq_target(dsn)
    options = ["--clean", "--if-exists"] if clean else []
    reader = await asyncio.create_subprocess_exec(
        program("pg_restore"), "--no-owner", *options, "--file=-", str(dump_file),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    writer = await asyncio.create_subprocess_exec(
        program("psql"), "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1",
        "--single-transaction", "--file=-", f"--dbname={target}",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **env})
    assert reader.stdout is not None and reader.stderr is not None
    assert writer.stdin is not None and writer.stderr is not None

    async def pump() -> bool:
        """Whether pg_restore read the whole dump."""
        assert reader.stdout is not None and writer.stdin is not None
        try:
            while chunk := await reader.stdout.read(_CHUNK):
                writer.stdin.write(chunk)
                await writer.stdin.drain()
            if await reader.wait() != 0:  # psql commits at the end of its input: never then
                writer.kill()
                return False
            writer.stdin.write(tail_sql.encode())
            await writer.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):  # psql stopped at an error
            with contextlib.suppress(ProcessLookupError):
                reader.kill()
        finally:
            writer.stdin.close()
        return True

    read_all, read_errors, write_errors = await asyncio.gather(
        pump(), reader.stderr.read(), writer.stderr.read())
    await reader.wait()
    await writer.wait()
    if not read_all:
        raise _failure("pg_restore", reader.returncode, read_errors)
    if writer.returncode != 0:
        raise _failure("psql", writer.returncode, write_errors)
