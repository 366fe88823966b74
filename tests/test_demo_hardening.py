"""The demo stack on a shared machine: another local user (`nobody`) gets nothing from it.

Each refusal is paired with the same access succeeding for whoever should have it, so a
refusal for some other reason (a wrong path, a server that is down) cannot pass for one.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devstack import __main__ as devstack_main
from devstack import asterisk, stack
from devstack.postgres import Cluster
from lifeline_pbx import config

OTHER_USER = "nobody"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="runs commands as another user")


def as_other_user(
    *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    pwd.getpwnam(OTHER_USER)  # KeyError names the missing user
    clean = {"PATH": os.environ["PATH"], **(env or {})}  # no PGPASSWORD of ours
    return subprocess.run(["runuser", "-u", OTHER_USER, "--", *command], capture_output=True,
                          text=True, timeout=30, check=False, cwd="/", env=clean)


def psql(cluster: Cluster, host: str, *, password: str | None = None,
         other_user: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(cluster.bin / "psql"), "-X", "-w", "-A", "-t", "-h", host, "-p",
               str(cluster.port), "-U", "postgres", "-d", "postgres", "-c", "SELECT 7"]
    env = {} if password is None else {"PGPASSWORD": password}
    if other_user:
        return as_other_user(*command, env=env)
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False,
                          env={"PATH": os.environ["PATH"], **env})


@pytest.fixture
def demo_cluster() -> Iterator[Cluster]:
    cluster = Cluster(durable=True)  # as `./dev.sh up` starts it
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_the_demo_database_has_no_tcp_and_wants_the_password_on_its_socket(
    demo_cluster: Cluster,
) -> None:
    socket_dir = str(demo_cluster.data_dir)

    over_tcp = psql(demo_cluster, "127.0.0.1", password=demo_cluster.password)
    assert over_tcp.returncode != 0 and "Connection refused" in over_tcp.stderr, over_tcp
    by_socket = psql(demo_cluster, socket_dir, password=demo_cluster.password)
    assert by_socket.returncode != 0 and "Permission denied" in by_socket.stderr, by_socket
    # The server's owner (root here reaches the socket) still needs the password...
    no_password = psql(demo_cluster, socket_dir, other_user=False)
    assert no_password.returncode != 0 and "no password supplied" in no_password.stderr
    wrong = psql(demo_cluster, socket_dir, password="guess", other_user=False)
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    # ...which works.
    right = psql(demo_cluster, socket_dir, password=demo_cluster.password, other_user=False)
    assert (right.returncode, right.stdout.strip()) == (0, "7"), right.stderr

    assert demo_cluster.password_file.stat().st_mode & 0o777 == 0o600
    assert as_other_user("cat", str(demo_cluster.password_file)).returncode != 0
    assert "trust" not in _active_hba_lines(demo_cluster)


def test_the_test_database_wants_the_password_over_tcp(own_cluster: Cluster) -> None:
    no_password = psql(own_cluster, "127.0.0.1")
    assert no_password.returncode != 0 and "no password supplied" in no_password.stderr
    wrong = psql(own_cluster, "127.0.0.1", password="postgres")
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    right = psql(own_cluster, "127.0.0.1", password=own_cluster.password)
    assert (right.returncode, right.stdout.strip()) == (0, "7"), right.stderr
    assert "trust" not in _active_hba_lines(own_cluster)


def _active_hba_lines(cluster: Cluster) -> str:
    lines = (cluster.data_dir / "pg_hba.conf").read_text().splitlines()
    return "\n".join(line for line in lines if line.strip() and not line.startswith("#"))


def test_the_asterisk_instance_files_are_private(pbx: asterisk.Instance) -> None:
    base = pbx.host_base
    secrets = {
        base / "etc" / "ari.conf": pbx.ari_password,
        base / "lib" / "astdb.sqlite3": "",
        pbx.log_path: "",
    }
    for path, content in secrets.items():
        assert content in path.read_text(errors="replace")  # there, and root reads it
        refused = as_other_user("cat", str(path))
        assert refused.returncode != 0 and "Permission denied" in refused.stderr, path
    assert base.stat().st_mode & 0o777 == 0o700
    assert as_other_user("ls", str(base)).returncode != 0


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder every local user may enter, as /var/lib/lifeline-pbx is."""
    path = Path(tempfile.mkdtemp(prefix="lifeline-keys-", dir="/var/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_the_demo_keys_file_is_private(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFELINE_DATA_KEYS", raising=False)
    monkeypatch.delenv("LIFELINE_LOOKUP_KEY", raising=False)
    keys_file = shared_dir / "demo" / "demo-keys"

    first = stack.demo_keys(keys_file)

    assert stack.demo_keys(keys_file) == first  # kept, not remade
    assert keys_file.stat().st_mode & 0o777 == 0o600
    assert as_other_user("ls", str(keys_file.parent)).returncode == 0  # the folder is open...
    refused = as_other_user("cat", str(keys_file))  # ...the file is not
    assert refused.returncode != 0 and "Permission denied" in refused.stderr

    keys_file.chmod(0o644)
    with pytest.raises(stack.UnsafeKeyFile, match="chmod 600"):
        stack.demo_keys(keys_file)
    keys_file.chmod(0o600)
    keys_file.parent.chmod(0o777)
    with pytest.raises(stack.UnsafeKeyFile, match="chmod 755"):
        stack.demo_keys(keys_file)


@pytest.mark.parametrize(("argv", "host"), [
    (["up"], "127.0.0.1"),
    (["up", "--web-bind", "0.0.0.0"], "0.0.0.0"),  # noqa: S104 - chosen, and warned about
])
def test_the_demo_web_ui_is_on_loopback_unless_asked(argv: list[str], host: str) -> None:
    args = devstack_main.parser().parse_args(argv)
    instance = asterisk.make_instance(
        asterisk.Runtime(Path("/"), "/modules"), "pbx", [], sip_bind=args.sip_bind,
        sip_port=args.sip_port, http_port=8088, rtp_start=10000)
    keys = ((("k", bytes(32)),), bytes(32))

    config = stack.app_config("postgresql://lifeline_app@/x?host=/tmp", instance,
                              args.web_bind, args.web_port, keys)

    assert (config.web_host, config.web_port) == (host, 8080)
    # prompts heard and uploaded where the PBX reads them, seen from outside its root
    assert (config.prompts_dir, config.prompts_local_dir) == (
        asterisk.PROMPTS_DIR, str(instance.runtime.host_path(asterisk.PROMPTS_DIR)))
    # the demo runs the SIP guard against its own Asterisk's AMI user
    assert (config.ami_host, config.ami_port, config.ami_user, config.ami_secret) == (
        instance.values["ami_host"], int(instance.values["ami_port"]), instance.values["ami_user"],
        instance.values["ami_secret"])
    assert config.ami_secret


def test_the_demo_writes_its_settings_and_takes_monitoring_from_the_environment(
        shared_dir: Path) -> None:
    """`./dev.sh up` writes the settings it runs with into a file LIFELINE_CONFIG can name
    (doctor, backup, keys on the demo), private; the metrics and log settings come from the
    environment, the rest does not (the demo's own ports and logins win)."""
    instance = asterisk.make_instance(
        asterisk.Runtime(Path("/"), "/modules"), "pbx", [], sip_bind="127.0.0.1",
        sip_port=5060, http_port=8088, rtp_start=10000)
    keys = ((("demo1", bytes(range(32))), ("old", bytes(32))), bytes(range(1, 33)))
    chosen = stack.app_config("postgresql://lifeline_app:pw@/lifeline?host=/tmp", instance,
                              "127.0.0.1", 8080, keys)
    path = shared_dir / "demo" / "demo-settings.toml"
    environ = {"LIFELINE_METRICS_PORT": "9464", "LIFELINE_LOG_FORMAT": "json",
               "LIFELINE_WEB_PORT": "9999", "LIFELINE_DATABASE_URL": "postgresql://x@/y"}

    running = stack.demo_settings(path, stack.settings_toml(chosen), environ)

    assert running == replace(chosen, metrics_port=9464, log_format="json")
    assert config.load(path, {}) == chosen  # what the commands read from the file
    assert path.stat().st_mode & 0o777 == 0o600
    lines = stack.practice_lines("postgresql://postgres:s@/postgres", chosen.database_url,
                                 path, stack.DEMO_KEYS, running)
    assert f"LIFELINE_CONFIG={path}" in lines and "postgresql://postgres:s@/postgres" in lines
    assert chosen.database_url in lines and "http://127.0.0.1:9464/metrics" in lines


@pytest.mark.parametrize(("web_bind", "web_port", "name"), [
    ("127.0.0.1", 8080, "demo-settings-8080.toml"),
    ("127.0.0.1", 8081, "demo-settings-8081.toml"),
    ("192.0.2.10", 8080, "demo-settings-192.0.2.10-8080.toml"),
])
def test_each_demo_writes_its_settings_to_a_file_of_its_own(
        web_bind: str, web_port: int, name: str) -> None:
    """Two demos on one machine (on different web addresses) neither overwrite nor, when
    one stops, delete each other's settings."""
    assert stack.demo_settings_path(web_bind, web_port) == stack.DEMO_KEYS.with_name(name)


@pytest.mark.parametrize(("held", "said"), [
    ((), []),
    (("sip",), ["SIP (UDP)"]),
    (("web",), ["the web UI"]),
    (("sip", "web"), ["SIP (UDP)", "the web UI"]),
])
def test_the_demo_names_a_port_already_in_use_before_it_starts(
    held: tuple[str, ...], said: list[str],
) -> None:
    """Another PBX (or a demo, or a test run) holding a port: `./dev.sh up` stops at once
    and says which, rather than start Asterisk without SIP or the web UI last of all."""
    with contextlib.ExitStack() as sockets:
        ports = {}
        for name, kind in (("sip", socket.SOCK_DGRAM), ("web", socket.SOCK_STREAM)):
            sock = sockets.enter_context(socket.socket(socket.AF_INET, kind))
            sock.bind(("127.0.0.1", 0))
            if kind == socket.SOCK_STREAM:
                sock.listen()
            ports[name] = sock.getsockname()[1]
            if name not in held:  # free again (a port just released is not handed out at once)
                sock.close()
        taken = stack.ports_taken("127.0.0.1", ports["sip"], "127.0.0.1", ports["web"])
        assert [line.split(":")[0] for line in taken] == said
        for line, name in zip(taken, held, strict=True):
            assert f"127.0.0.1:{ports[name]} is in use" in line
            assert f"--{name}-port" in line
        if taken:
            with pytest.raises(SystemExit, match="is in use"):
                stack.run_stack("127.0.0.1", ports["sip"], ports["web"])
