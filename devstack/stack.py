"""`./dev.sh up`: the whole hotline on this machine, with demo data, until Ctrl-C.

PostgreSQL: LIFELINE_DATABASE_URL if set (migrated with LIFELINE_ADMIN_DATABASE_URL, else
with it), else a private throwaway cluster reached only through its unix socket with a
password, deleted at Ctrl-C (point LIFELINE_DATABASE_URL at a real server to keep data); the
app connects as the lifeline_app role either way. Asterisk: the system one or the cached root
(see devstack/asterisk.py), running the repo's own configuration. The web UI is plain HTTP on
127.0.0.1 unless --web-bind says otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import asterisk_config, crypto, db_roles, demo, logs
from lifeline_pbx import config as config_module
from lifeline_pbx.app import serve
from lifeline_pbx.config import ENV_PREFIX, Config
from lifeline_pbx.errors import LifelineError
from lifeline_pbx.paths import HOME
from lifeline_pbx.prompts import synthesis

DEMO_KEYS = Path("/var/lib/lifeline-pbx/demo-keys")
# Settings the demo takes from the environment, to practise monitoring; the others are its own.
FROM_ENVIRONMENT = ("metrics_host", "metrics_port", "log_format", "log_level")
DEMO_CALLER_PASSWORD = "lifeline-demo-caller"  # noqa: S105 - the demo's, printed at start


def demo_settings_path(web_bind: str, web_port: int) -> Path:
    """Where a demo writes its settings: one file per demo (two demos on one machine listen
    on different web addresses), beside the keys, deleted when that demo stops."""
    where = str(web_port) if web_bind == "127.0.0.1" else f"{web_bind}-{web_port}"
    return DEMO_KEYS.with_name(f"demo-settings-{where}.toml")


def _address_for_phones(bind: str) -> str:
    if bind not in ("0.0.0.0", ""):  # noqa: S104
        return bind
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


class UnsafeKeyFile(LifelineError):
    pass


def _check_private(path: Path) -> None:
    """Refuse a key file, or its folder, that someone other than us could read or replace."""
    info = path.lstat()
    if info.st_uid != os.geteuid():
        raise UnsafeKeyFile(f"{path} belongs to uid {info.st_uid}, not to us: remove it")
    writable_by_others = 0o022 if path.is_dir() else 0o077
    if info.st_mode & writable_by_others:
        raise UnsafeKeyFile(f"{path} has mode {info.st_mode & 0o777:o}: "
                            f"chmod {'755' if path.is_dir() else '600'} {path}")


def demo_keys(path: Path = DEMO_KEYS) -> tuple[tuple[tuple[str, bytes], ...], bytes]:
    """The demo's sealing keys: LIFELINE_DATA_KEYS/LIFELINE_LOOKUP_KEY, else a key file kept
    beside the demo's data (mode 0600, in a folder only we may write), made at first start."""
    if "LIFELINE_DATA_KEYS" in os.environ and "LIFELINE_LOOKUP_KEY" in os.environ:
        return (crypto.parse_data_keys("data_keys", os.environ["LIFELINE_DATA_KEYS"]),
                crypto.parse_key("lookup_key", os.environ["LIFELINE_LOOKUP_KEY"]))
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    _check_private(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"demo1:{crypto.new_key()}\n{crypto.new_key()}\n")
    _check_private(path)
    data, lookup = path.read_text().split()
    return crypto.parse_data_keys("data_keys", data), crypto.parse_key("lookup_key", lookup)


def app_config(database_url: str, instance: asterisk.Instance, web_bind: str, web_port: int,
               keys: tuple[tuple[tuple[str, bytes], ...], bytes]) -> Config:
    """The demo app's settings: the app role's DSN, the demo's keys, the instance's ARI,
    and the prompts folder as the app sees it (outside Asterisk's root: to list, hear and
    upload prompts)."""
    return Config(
        database_url=database_url,
        prompts_dir=asterisk.PROMPTS_DIR,
        prompts_local_dir=str(instance.runtime.host_path(asterisk.PROMPTS_DIR)),
        data_keys=keys[0],
        lookup_key=keys[1],
        ari_url=instance.ari_url,
        ari_user=instance.ari_user,
        ari_password=instance.ari_password,
        web_host=web_bind,
        web_port=web_port,
        ami_host=instance.values["ami_host"],
        ami_port=int(instance.values["ami_port"]),
        ami_user=instance.values["ami_user"],
        ami_secret=instance.values["ami_secret"],
    )


# The settings app_config chooses, written for LIFELINE_CONFIG; the rest keep their defaults.
_WRITTEN = ("database_url", "prompts_dir", "prompts_local_dir", "ari_url", "ari_user",
            "ari_password", "web_host", "web_port", "ami_host", "ami_port", "ami_user",
            "ami_secret")


def settings_toml(config: Config) -> str:
    """The demo app's settings as a TOML file `lifeline --config` (or LIFELINE_CONFIG)
    reads: what doctor, backup and the other commands need to act on the running demo."""
    def encoded(key: bytes) -> str:
        return base64.b64encode(key).decode()

    values: dict[str, object] = {name: getattr(config, name) for name in _WRITTEN}
    values["data_keys"] = ",".join(f"{kid}:{encoded(key)}" for kid, key in config.data_keys)
    values["lookup_key"] = encoded(config.lookup_key)
    return "".join(f"{name} = {json.dumps(value)}\n" for name, value in values.items())


def demo_settings(path: Path, text: str, environ: Mapping[str, str]) -> Config:
    """Write the demo's settings file (0600, in a folder only we may write) and read it back
    as the app runs with it, with FROM_ENVIRONMENT taken from `environ`."""
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    _check_private(path.parent)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    chosen = {ENV_PREFIX + name.upper() for name in FROM_ENVIRONMENT}
    return config_module.load(path, {k: v for k, v in environ.items() if k in chosen})


def _browser_address(web_bind: str, sip_bind: str) -> str:
    if web_bind in ("0.0.0.0", ""):  # noqa: S104
        return _address_for_phones(sip_bind)
    return web_bind


async def _database(admin_dsn: str, app_dsn: str | None) -> str:
    """Migrate and load the demo data as admin; return the app role's DSN (app_dsn if given,
    else lifeline_app's with a new password)."""
    await demo.install(admin_dsn)
    return app_dsn or await db_roles.set_app_password(admin_dsn)


def ports_taken(sip_bind: str, sip_port: int, web_bind: str, web_port: int) -> list[str]:
    """What holds the ports the demo needs, said before anything starts: Asterisk would
    otherwise start with no SIP (softphones unanswered, a line in its log) and the web UI
    fail after the database and the PBX were up."""
    wanted = ((sip_bind, sip_port, socket.SOCK_DGRAM, "SIP (UDP)", "--sip-port"),
              (web_bind, web_port, socket.SOCK_STREAM, "the web UI", "--web-port"))
    return [f"{what}: {host}:{port} is in use (another PBX, a demo or a test run on this "
            f"machine); stop it, or choose another port with {option}"
            for host, port, kind, what, option in wanted
            if not asterisk.can_bind(host, port, kind)]


def run_stack(sip_bind: str, sip_port: int, web_port: int, web_bind: str = "127.0.0.1") -> None:
    taken = ports_taken(sip_bind, sip_port, web_bind, web_port)
    if taken:
        raise SystemExit("\n".join(taken))
    cluster = None
    settings_path = demo_settings_path(web_bind, web_port)
    given_admin = os.environ.get("LIFELINE_ADMIN_DATABASE_URL")
    dsn = os.environ.get("LIFELINE_DATABASE_URL")
    admin_dsn = given_admin or dsn
    if not admin_dsn:
        cluster = Cluster(durable=True)
        cluster.start()
        admin_dsn = cluster.dsn()
    rt = asterisk.runtime()
    print("generating voice prompts (first run only takes a while) ...", flush=True)
    synthesis.generate(rt.host_path(asterisk.PROMPTS_DIR))
    instance = asterisk.make_instance(
        rt,
        "pbx",
        [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
        sip_bind=sip_bind,
        sip_port=sip_port,
        http_port=asterisk.free_port(),
        rtp_start=asterisk_config.RTP_RANGE[0],
        extra={"demo_caller_password": DEMO_CALLER_PASSWORD,
               "rtp_end": str(asterisk_config.RTP_RANGE[1])},
    )
    try:
        app_dsn = asyncio.run(_database(admin_dsn, dsn if given_admin else None))
        instance.start()
        config = demo_settings(settings_path, settings_toml(
            app_config(app_dsn, instance, web_bind, web_port, demo_keys())), os.environ)
        logs.use(config.log_format, config.log_level)
        host = _address_for_phones(sip_bind)
        browser = _browser_address(web_bind, sip_bind)
        if web_bind not in ("127.0.0.1", "localhost", "::1"):
            print(f"WARNING: the web UI is plain HTTP on {web_bind}: anyone on that network "
                  "can read what is typed into it. Prefer an SSH tunnel or a TLS proxy "
                  "(docs/operations.md).", flush=True)
        users = "\n".join(
            f"             {u} / {pw} ({role}{', takes calls on ' + op if op else ''}"
            f"{'; set up an authenticator app at first sign-in' if role == 'admin' else ''})"
            for u, _, role, pw, op in demo.DEMO_USERS
        )
        name, _, password, _ = demo.DEMO_OPERATOR
        print(
            f"""
Lifeline PBX is running. Ctrl-C stops everything.
  Browser:   http://{browser}:{web_port}/  sign in as
{users}
  Carrier trunk (facility phones): SIP to {host}:{sip_port}, from 127.0.0.2, DIDs:
             {", ".join(line[0] for *_, lines in demo.DEMO_FACILITIES for line in lines)}
  Operator softphone: server {host}:{sip_port} (UDP), user {demo.DEMO_OPERATOR[1]},
             password {password} ({name}; logged in and ready; *2 pause, *3 resume,
             *0 log out, *1 log in again)
  Caller softphone (plays a detained person): server {host}:{sip_port}, user caller,
             password {DEMO_CALLER_PASSWORD}; dial 15550100101 (English menu) or
             15550100201 (Spanish menu)
  Asterisk log: {instance.log_path} (deleted at Ctrl-C)
""",
            flush=True,
        )
        print(practice_lines(admin_dsn, app_dsn, settings_path, DEMO_KEYS, config), flush=True)
        asyncio.run(serve(config))
    finally:
        instance.stop()
        shutil.rmtree(instance.host_base, ignore_errors=True)
        settings_path.unlink(missing_ok=True)
        if cluster is not None:
            cluster.stop()


def practice_lines(admin_dsn: str, app_dsn: str, settings: Path, keys: Path,
                   config: Config) -> str:
    """What a sysadmin needs to practise operations on the running demo (after the lines a
    user needs): its settings file, both database logins, the keys, the monitoring."""
    lifeline = Path(sys.executable).with_name("lifeline")
    metrics = (f"http://{config.metrics_host}:{config.metrics_port}/metrics"
               if config.metrics_port else "off (LIFELINE_METRICS_PORT=9464 ./dev.sh up)")
    return f"""To practise operations on this demo (docs/operations.md):
  Settings:  LIFELINE_CONFIG={settings} (the app's; deleted at Ctrl-C), e.g.
             LIFELINE_CONFIG={settings} {lifeline} doctor
  Keys:      {keys} (data key, then lookup key; kept for the next run)
  App login (database_url):  {app_dsn}
  Admin login (LIFELINE_ADMIN_DATABASE_URL: migrate, backup, restore):
             {admin_dsn}
  Metrics:   {metrics}; logs: {config.log_format} (LIFELINE_LOG_FORMAT=json ./dev.sh up)
"""
