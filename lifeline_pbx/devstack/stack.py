"""`lifeline up`: the whole hotline on this machine, with demo data, until Ctrl-C.

PostgreSQL: LIFELINE_DATABASE_URL if set, else a private throwaway cluster, deleted at
Ctrl-C (point LIFELINE_DATABASE_URL at a real server to keep data). Asterisk: the system one or
the cached root (see devstack/asterisk.py), running the repo's own configuration.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from pathlib import Path

from lifeline_pbx import asterisk_config, crypto, demo, prompt_gen
from lifeline_pbx.config import Config
from lifeline_pbx.devstack import asterisk
from lifeline_pbx.devstack.postgres import Cluster
from lifeline_pbx.paths import HOME
from lifeline_pbx.service import serve

DEMO_KEYS = Path("/var/lib/lifeline-pbx/demo-keys")
DEMO_CALLER_PASSWORD = "lifeline-demo-caller"  # noqa: S105 - the demo's, printed at start


def _address_for_phones(bind: str) -> str:
    if bind not in ("0.0.0.0", ""):  # noqa: S104
        return bind
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def demo_keys() -> tuple[tuple[tuple[str, bytes], ...], bytes]:
    """The demo's sealing keys: LIFELINE_DATA_KEYS/LIFELINE_LOOKUP_KEY, else a key file kept
    beside the demo's data (mode 0600), made at first start."""
    if "LIFELINE_DATA_KEYS" in os.environ and "LIFELINE_LOOKUP_KEY" in os.environ:
        return (crypto.parse_data_keys("data_keys", os.environ["LIFELINE_DATA_KEYS"]),
                crypto.parse_key("lookup_key", os.environ["LIFELINE_LOOKUP_KEY"]))
    DEMO_KEYS.parent.mkdir(parents=True, exist_ok=True)
    if not DEMO_KEYS.exists():
        fd = os.open(DEMO_KEYS, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"demo1:{crypto.new_key()}\n{crypto.new_key()}\n")
    data, lookup = DEMO_KEYS.read_text().split()
    return crypto.parse_data_keys("data_keys", data), crypto.parse_key("lookup_key", lookup)


def run_stack(sip_bind: str, sip_port: int, web_port: int) -> None:
    cluster = None
    dsn = os.environ.get("LIFELINE_DATABASE_URL")
    if not dsn:
        cluster = Cluster(durable=True)
        cluster.start()
        dsn = cluster.dsn()
    rt = asterisk.runtime()
    print("generating voice prompts (first run only takes a while) ...", flush=True)
    prompt_gen.generate(rt.host_path(asterisk.PROMPTS_DIR))
    instance = asterisk.make_instance(
        rt,
        "pbx",
        [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
        sip_bind=sip_bind,
        sip_port=sip_port,
        http_port=asterisk.free_port(),
        rtp_start=10000,
        extra={"demo_caller_password": DEMO_CALLER_PASSWORD},
    )
    try:
        asyncio.run(demo.install(dsn))
        instance.start()
        data_keys, lookup_key = demo_keys()
        config = Config(
            database_url=dsn,
            data_keys=data_keys,
            lookup_key=lookup_key,
            ari_url=instance.ari_url,
            ari_user=instance.ari_user,
            ari_password=instance.ari_password,
            web_host="0.0.0.0",  # noqa: S104 - the demo is meant to be reached from a laptop
            web_port=web_port,
        )
        host = _address_for_phones(sip_bind)
        users = "\n".join(
            f"             {u} / {pw} ({role}{', takes calls on ' + op if op else ''}"
            f"{'; set up an authenticator app at first sign-in' if role == 'admin' else ''})"
            for u, _, role, pw, op in demo.DEMO_USERS
        )
        name, _, password, _ = demo.DEMO_OPERATOR
        print(
            f"""
Lifeline PBX is running. Ctrl-C stops everything.
  Browser:   http://{host}:{web_port}/  sign in as
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
        asyncio.run(serve(config))
    finally:
        instance.stop()
        shutil.rmtree(instance.host_base, ignore_errors=True)
        if cluster is not None:
            cluster.stop()
