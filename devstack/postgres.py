"""Throwaway PostgreSQL clusters for the tests and the demo stack.

A Cluster is initdb'd into a fresh private directory (0700) and deleted again by stop():
under /var/tmp for the demo, in memory (/dev/shm, when it has room) for the tests, whose
thousand databases copied and dropped cost more in ext4's file creation than in PostgreSQL.
Nothing is trusted: every connection, over TCP or the unix socket, must give the
superuser's password (SCRAM-SHA-256), generated per cluster and kept in a 0600 file beside
the data. The demo's (durable) cluster listens on its unix socket only, inside the data
directory, which only the server's OS user and root can enter; the tests' cluster also
listens on 127.0.0.1 (a free port). PostgreSQL refuses to run as root, so when we are root
the server runs as the `postgres` OS user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import quote

from devstack.asterisk import die_with_parent, free_port

SUPERUSER = "postgres"
_TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                  "max_wal_size": "'256MB'"}
_SCRATCH = Path("/dev/shm")  # noqa: S108 - a private 0700 directory is made inside
_SCRATCH_NEEDED = 2 << 30  # bytes free in memory for a test cluster to live there
_START_ATTEMPTS = 3  # another process may take the free port between picking and binding it


class PostgresStartError(RuntimeError):
    pass


def _parent_dir(durable: bool) -> str:
    """Where a cluster's directory goes: a throwaway one in memory when there is room."""
    if not durable and _SCRATCH.is_dir() and shutil.disk_usage(_SCRATCH).free >= _SCRATCH_NEEDED:
        return str(_SCRATCH)
    return "/var/tmp"  # noqa: S108 - a private 0700 directory is made inside


class _RunAs(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]


def bin_dir() -> Path:
    """The PostgreSQL server binaries: the newest /usr/lib/postgresql/<N>/bin, else PATH's."""
    versions = [
        d for d in Path("/usr/lib/postgresql").glob("*/bin") if (d / "initdb").exists()
    ]
    numbered = [d for d in versions if d.parent.name.isdigit()]
    if numbered:
        return max(numbered, key=lambda d: int(d.parent.name))
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresStartError(
        "no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or on PATH: "
        "apt-get install postgresql"
    )


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _locale_args() -> list[str]:
    """C.UTF-8 (Unicode-aware upper/lower, bytewise sort) when the system has it."""
    result = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    names = {n.lower().replace("-", "") for n in result.stdout.split()}
    return ["--locale=C.UTF-8"] if "c.utf8" in names else ["--no-locale"]


@dataclass
class Cluster:
    """One private PostgreSQL server; start() it, use dsn(), stop() it to delete everything."""

    # True: the demo stack (fsync & co. on, unix socket only); False: tests (fast, and TCP).
    durable: bool = False
    bin: Path = field(default_factory=bin_dir)
    port: int = 0
    base: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def log_path(self) -> Path:
        return self._base() / "server.log"

    @property
    def password_file(self) -> Path:
        return self._base() / "superuser-password"

    @property
    def host(self) -> str:
        """Where clients connect: the socket's directory (demo) or 127.0.0.1 (tests)."""
        return str(self.data_dir) if self.durable else "127.0.0.1"

    def _base(self) -> Path:
        if self.base is None:
            raise PostgresStartError("the cluster has not been started")
        return self.base

    def _run_as(self) -> _RunAs:
        """subprocess arguments that drop root to the postgres user (nothing otherwise)."""
        if os.geteuid() != 0:
            return _RunAs()
        try:
            user = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresStartError(
                f"running as root but there is no {SUPERUSER!r} OS user to run the server as"
            ) from None
        return _RunAs(user=user.pw_uid, group=user.pw_gid, extra_groups=[])

    def _tool(self, name: str, *args: str, timeout: float = 60.0) -> str:
        result = subprocess.run(
            [str(self.bin / name), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.base,
            # In the environment, not on the command line, where every local user can read it.
            env={**os.environ, "PGPASSWORD": self.password},
            **self._run_as(),
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"{name} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def start(self, timeout: float = 60.0) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="lifeline-pg-", dir=_parent_dir(self.durable)))
        run_as = self._run_as()
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password + "\n")
        if run_as:
            for path in (self.base, self.password_file):
                os.chown(path, run_as["user"], run_as["group"])
        initdb = ["-D", str(self.data_dir), "--auth=scram-sha-256", f"--username={SUPERUSER}",
                  f"--pwfile={self.password_file}"]
        initdb += ["--encoding=UTF8", *_locale_args()]
        if not self.durable:
            initdb.append("--no-sync")
        self._tool("initdb", *initdb, timeout=timeout)
        for attempt in range(_START_ATTEMPTS):
            self.port = free_port()
            self._write_settings()
            if self._launch(timeout) or attempt == _START_ATTEMPTS - 1:
                break
        if self.process is None:
            tail = self.log_tail()
            self.stop()
            raise PostgresStartError(f"PostgreSQL did not start:\n{tail}")

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "''" if self.durable else "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.data_dir}'",
            "unix_socket_permissions": "0700",
            "password_encryption": "'scram-sha-256'",
            "max_connections": "200",
        }
        if not self.durable:
            settings.update(_TEST_SETTINGS)
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        # postgresql.auto.conf is read last, so rewriting it wins over postgresql.conf.
        (self.data_dir / "postgresql.auto.conf").write_text(lines)

    def _launch(self, timeout: float) -> bool:
        """Start the server; True when it accepts connections, False if the port was taken."""
        with open(self.log_path, "wb") as log:  # one attempt per log
            process = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.base,
                preexec_fn=None if self.durable else die_with_parent,
                **self._run_as(),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if "could not bind" in self.log_tail(20):
                    return False
                raise PostgresStartError(f"PostgreSQL exited at start:\n{self.log_tail()}")
            if self._ready():
                self.process = process
                return True
            time.sleep(0.05)
        _kill(process)
        tail = self.log_tail()
        self.stop()
        raise PostgresStartError(f"PostgreSQL did not accept connections in {timeout}s\n{tail}")

    def _ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-t", "1", "-h", self.host,
             "-p", str(self.port), "-U", SUPERUSER, "-d", "postgres"],
            check=False,
            timeout=10,
        )
        return result.returncode == 0

    def dsn(self, dbname: str = "postgres", *, with_password: bool = True) -> str:
        """The superuser's DSN, password included unless with_password is False."""
        login = f"{SUPERUSER}:{quote(self.password, safe='')}" if with_password else SUPERUSER
        if self.durable:
            return f"postgresql://{login}@/{dbname}?host={quote(self.host)}&port={self.port}"
        # No TLS on the tests' loopback: without it asyncpg tries TLS first at every connect.
        return f"postgresql://{login}@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL (outside any transaction) through psql and return its unaligned output."""
        return self._tool(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-d", self.dsn(dbname, with_password=False), "-c", sql,
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        sql = f"CREATE DATABASE {quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {quote_ident(template)}"
        self.psql(sql)

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the server down (fast mode) and delete its directory, log included."""
        self.halt(timeout)
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)

    def resume(self, timeout: float = 60.0) -> None:
        """Start a halted server again on the same port, with its data."""
        if not self._launch(timeout):
            raise PostgresStartError(f"port {self.port} was taken while the server was down")

    def halt(self, timeout: float = 30.0) -> None:
        """Shut the server down but keep its data: a database outage, for tests."""
        if self.process is not None and self.process.poll() is None:
            try:
                self._tool(
                    "pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast",
                    "-w", "-t", str(int(timeout)), timeout=timeout + 5,
                )
                self.process.wait(timeout)
            except (PostgresStartError, subprocess.TimeoutExpired):
                _kill(self.process)
        self.process = None

    def log_tail(self, lines: int = 60) -> str:
        if self.base is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.log_path}\n" + "\n".join(text)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Immediate shutdown (SIGQUIT), then SIGKILL for the whole process group."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return
