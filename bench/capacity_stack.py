"""The parts bench/capacity.py and bench/path_to_person.py drive: PostgreSQL, three
Asterisk instances, the app process.

PBX: the repo's asterisk-conf/ and dialplan/ as the tests run them, plus, for the reference
flow only, app_queue with a queue of the same operators (a DID of its own in the carrier's
context, so the repo's dialplan is otherwise unchanged). Carrier and phones: the suite's
test configuration (tests/asterisk/, with the suite's trunk account), the phones' pjsip.conf
made for N operators.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from devstack import asterisk
from devstack.postgres import Cluster
from lifeline_pbx import asterisk_config, crypto, db_roles, demo
from lifeline_pbx.operators.sip_credentials import sip_md5_cred
from lifeline_pbx.paths import HOME
from lifeline_pbx.prompts import synthesis, tones
from tests.carrier import TRUNK_PASSWORD, TRUNK_USER

DID = "15550100101"  # the demo line, made single-language (no menu) for the bench
REFERENCE_DID = "15559990001"  # the same IVR and queue in dialplan + app_queue
IVR_PROMPTS = ("greeting", "confidentiality", "triage-9")
TESTS_ASTERISK = HOME / "tests" / "asterisk"
# Port ranges clear of the suite's (20000-59999, tests/conftest.py RTP_BASE).
PBX_RTP = asterisk_config.RTP_RANGE
CARRIER_RTP = (61000, 63998)
PHONES_RTP = (64000, 65498)


def operator_names(count: int) -> list[str]:
    return [f"op-{i:04d}" for i in range(1, count + 1)]


def phone_password(username: str) -> str:
    return f"{username}-bench-Secret-2024"


# --- CPU of process trees ----------------------------------------------------------------
def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, clock ticks used by the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    # fields[1] is ppid; 11..14 utime, stime, cutime, cstime (stat(5) numbering minus 3)
    return int(fields[1]), sum(int(f) for f in fields[11:15])


def tree_cpu_ms(root: int) -> float:
    """CPU milliseconds used so far by root and every process below it."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            stats[int(entry)] = found
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
    return total * 1000.0 / os.sysconf("SC_CLK_TCK")


# --- prompts -----------------------------------------------------------------------------
def bench_prompts(rt: asterisk.Runtime, seconds_each: float) -> str:
    """The prompt set re-cut as tones of one length (music on hold and tones kept)."""
    synthesis.generate(rt.host_path(asterisk.PROMPTS_DIR))
    inside = f"{asterisk.PROMPTS_DIR}-bench-{int(seconds_each * 1000)}ms"
    source, target = rt.host_path(asterisk.PROMPTS_DIR), rt.host_path(inside)
    tone = tones.samples(((660, seconds_each),))
    for wav in source.glob("*/*.wav"):
        out = target / wav.parent.name / wav.name
        if out.exists():
            continue
        if wav.parent.name in ("moh", tones.LANGUAGE):
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(wav.read_bytes())
        else:
            tones.write_wav(out, tone)
    return inside


# --- Asterisk configuration overlays -------------------------------------------------------
def _reference_dialplan(menu_timeout: int, ring_timeout: int) -> str:
    prompts = "&".join(f"@prompts_dir@/en/{name}" for name in IVR_PROMPTS)
    return f"""
; --- bench/capacity.py: the reference flow, the same IVR into app_queue.
[from-carrier]
exten => {REFERENCE_DID},1,Goto(bench-app-queue,s,1)

[bench-app-queue]
exten => s,1,Answer()
 same => n,Playback({prompts})
 same => n,Wait({menu_timeout})
 same => n,Set(QUEUED_AT=${{STRFTIME(,,%s.%3q)}})
 same => n,Queue(bench,b(bench-predial^s^1(${{QUEUED_AT}})),,,{ring_timeout * 30})
 same => n,Hangup()

; On each member's channel before it rings: the caller's queue entry time, for the phone.
[bench-predial]
exten => s,1,Set(PJSIP_HEADER(add,X-Bench-Queued)=${{ARG1}})
 same => n,Return()
"""


def _queues_conf(members: list[str], ring_timeout: int) -> str:
    lines = [
        "[general]", "persistentmembers = no", "shared_lastcall = no", "",
        "[bench]", "strategy = leastrecent", "ringinuse = no", "autofill = yes",
        "wrapuptime = 0", f"timeout = {ring_timeout}", "retry = 1", "joinempty = yes",
        "leavewhenempty = no", "announce-frequency = 0", "periodic-announce-frequency = 0",
        "musicclass = default",
    ]
    lines += [f"member => PJSIP/{m}" for m in members]
    return "\n".join(lines) + "\n"


def pbx_overlay(folder: Path, members: list[str], menu_timeout: int, ring_timeout: int) -> Path:
    """extensions.conf and modules.conf as shipped plus the reference flow; queues.conf."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = (HOME / "dialplan" / "extensions.conf").read_text()
    (folder / "extensions.conf").write_text(
        shipped + _reference_dialplan(menu_timeout, ring_timeout))
    modules = (HOME / "asterisk-conf" / "modules.conf").read_text()
    (folder / "modules.conf").write_text(
        modules + "\n; bench reference flow\nload => app_queue.so\nload => app_stack.so\n")
    (folder / "queues.conf").write_text(_queues_conf(members, ring_timeout))
    return folder


def phones_overlay(folder: Path, names: list[str]) -> Path:
    """The test phones' configuration with one registering phone per operator."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TESTS_ASTERISK / "phones" / "extensions.conf", folder / "extensions.conf")
    text = (TESTS_ASTERISK / "phones" / "pjsip.conf").read_text()
    head = text[:text.index("; --- op-a")]
    parts = [head]
    for name in names:
        parts.append(f"""
[{name}](phone)
from_user = {name}
outbound_auth = {name}
aors = {name}

[{name}]
type = aor
contact = sip:@pbx_host@

[{name}]
type = auth
auth_type = userpass
username = {name}
password = {phone_password(name)}

[{name}](reg)
client_uri = sip:{name}@@pbx_host@
contact_user = {name}
outbound_auth = {name}
endpoint = {name}
""")
    (folder / "pjsip.conf").write_text("".join(parts))
    return folder


# --- the database ------------------------------------------------------------------------
async def add_operators(con: asyncpg.Connection, names: list[str], queue_id: int,
                        languages: list[str]) -> None:
    """An operator per name, in the queue, logged in and ready; their phones' passwords."""
    ids = await con.fetch(
        """INSERT INTO operators (display_name, sip_username, sip_md5_cred, languages)
           SELECT 'Bench ' || u, u, c, $3 FROM unnest($1::text[], $2::text[]) AS t(u, c)
           RETURNING id""",
        names, [sip_md5_cred(n, phone_password(n)) for n in names], languages)
    await con.executemany("INSERT INTO operator_queues VALUES ($1, $2)",
                          [(r["id"], queue_id) for r in ids])
    await con.executemany(
        """INSERT INTO operator_status (operator_id, logged_in, paused, idle_since)
           VALUES ($1, true, false, now())""", [(r["id"],) for r in ids])


async def staff_database(admin_dsn: str, names: list[str], menu_timeout: int,
                         ring_timeout: int) -> str:
    """Demo data, the bench line and queue, N operators logged in; the app role's DSN."""
    await demo.install(admin_dsn)
    con = await asyncpg.connect(admin_dsn)
    try:
        line = await con.fetchrow("SELECT id, queue_id FROM lines WHERE did = $1", DID)
        assert line is not None, "the demo line is missing"
        await con.execute("DELETE FROM line_languages WHERE line_id = $1", line["id"])
        await con.execute(
            """UPDATE lines SET menu_timeout_seconds = $2, record_calls = false
               WHERE id = $1""", line["id"], menu_timeout)
        await con.execute(
            """UPDATE queues SET language_wait_seconds = 0, ring_timeout_seconds = $2,
                   wrapup_seconds = 0, max_wait_seconds = 600, announce_every_seconds = 600
               WHERE id = $1""", line["queue_id"], ring_timeout)
        await add_operators(con, names, line["queue_id"], ["en"])
    finally:
        await con.close()
    return await db_roles.set_app_password(admin_dsn, "bench-app-Secret-2024")


# --- the stack ---------------------------------------------------------------------------
@dataclass
class Stack:
    scratch: Path
    cluster: Cluster
    admin_dsn: str
    app_dsn: str
    pbx: asterisk.Instance
    carrier: asterisk.Instance
    phones: asterisk.Instance
    prompts_dir: str
    names: list[str]
    app: subprocess.Popen[bytes] | None = None
    app_port: int = 0  # the app's web port (its /healthz says when it is up)

    @property
    def instances(self) -> list[asterisk.Instance]:
        return [self.pbx, self.carrier, self.phones]

    def postgres_pid(self) -> int:
        assert self.cluster.process is not None
        return self.cluster.process.pid

    def asterisk_pid(self) -> int:
        assert self.pbx.process is not None
        return self.pbx.process.pid

    def start_app(self, cpu_profile: bool = False) -> subprocess.Popen[bytes]:
        """`lifeline serve` in a process of its own, so its CPU is its own, with the bench's
        probe (bench/app_probe.py: ARI requests and events counted, CPU profile on demand)."""
        self.app_port = asterisk.free_port()
        env = {
            **os.environ,
            "LIFELINE_DATABASE_URL": self.app_dsn,
            "LIFELINE_ARI_URL": self.pbx.ari_url,
            "LIFELINE_ARI_USER": self.pbx.ari_user,
            "LIFELINE_ARI_PASSWORD": self.pbx.ari_password,
            "LIFELINE_DATA_KEYS": f"bench:{crypto.new_key()}",
            "LIFELINE_LOOKUP_KEY": crypto.new_key(),
            "LIFELINE_PROMPTS_DIR": self.prompts_dir,
            "LIFELINE_PROMPTS_LOCAL_DIR": str(self.pbx.runtime.host_path(self.prompts_dir)),
            "LIFELINE_WEB_PORT": str(self.app_port),
            "LIFELINE_BENCH_PROBE": str(self.scratch),
            "LIFELINE_BENCH_CPU_PROFILE": "1" if cpu_profile else "0",
        }
        log = open(self.scratch / "app.log", "ab")  # noqa: SIM115
        self.app = subprocess.Popen(
            [sys.executable, "-m", "bench.app_probe"], env=env, stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=asterisk.die_with_parent)
        log.close()
        return self.app

    def stop_app(self) -> None:
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            self.app.wait(30)
        self.app = None

    def close(self) -> None:
        self.stop_app()
        for instance in self.instances:
            instance.stop()
            shutil.rmtree(instance.host_base, ignore_errors=True)
        self.cluster.stop()


def scratch_folder(keep: Path | None, prefix: str) -> Path:
    """`keep` (made if missing), else a new temporary folder."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix=prefix))
    keep.mkdir(parents=True, exist_ok=True)
    return keep


async def build(operators: int, menu_timeout: int, ring_timeout: int, prompt_seconds: float,
                keep: Path | None) -> Stack:
    """bench/capacity.py's stack: the line and queue made for it, tones for prompts, and
    app_queue's reference flow in the PBX."""
    scratch = scratch_folder(keep, "lifeline-capacity-")
    names = operator_names(operators)
    return await start_stack(
        "bench", scratch, names,
        staff=lambda dsn: staff_database(dsn, names, menu_timeout, ring_timeout),
        prompts=lambda rt: bench_prompts(rt, prompt_seconds),
        pbx_overlays=[pbx_overlay(scratch / "pbx-conf", names, menu_timeout, ring_timeout)])


async def start_stack(name: str, scratch: Path, names: list[str], *,
                      staff: Callable[[str], Awaitable[str]],
                      prompts: Callable[[asterisk.Runtime], str],
                      pbx_overlays: Sequence[Path] = ()) -> Stack:
    """In `scratch` (a folder that exists): PostgreSQL staffed by `staff` (admin DSN -> the
    app's DSN), and the three Asterisk instances started: the PBX (the shipped configuration
    and the demo's, then `pbx_overlays`), the carrier, and a phone per name; with the
    prompts `prompts` makes."""
    cluster = Cluster()
    cluster.start()
    try:
        admin_dsn = cluster.dsn()
        app_dsn = await staff(admin_dsn)
        rt = asterisk.runtime()
        prompts_dir = prompts(rt)
    except BaseException:
        cluster.stop()
        raise
    pbx_port = asterisk.free_port("127.0.0.1", kind=2)
    carrier_port = asterisk.free_port("127.0.0.2", kind=2)
    pbx = asterisk.make_instance(
        rt, f"{name}-pbx",
        [*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo", *pbx_overlays],
        sip_bind="127.0.0.1", sip_port=pbx_port, http_port=asterisk.free_port(),
        rtp_start=PBX_RTP[0],
        extra={"rtp_end": str(PBX_RTP[1]), "carrier_host": f"127.0.0.2:{carrier_port}",
               "carrier_match": "127.0.0.2", "prompts_dir": prompts_dir,
               "moh_dir": f"{prompts_dir}/moh", "demo_caller_password": "bench-demo-caller",
               "trunk_user": TRUNK_USER, "trunk_password": TRUNK_PASSWORD})
    carrier = asterisk.make_instance(
        rt, f"{name}-carrier", [HOME / "asterisk-conf", TESTS_ASTERISK / "carrier"],
        sip_bind="127.0.0.2", sip_port=carrier_port, http_port=asterisk.free_port(),
        rtp_start=CARRIER_RTP[0],
        extra={"rtp_end": str(CARRIER_RTP[1]), "pbx_host": f"127.0.0.1:{pbx_port}",
               "pbx_match": "127.0.0.1", "trunk_password": TRUNK_PASSWORD})
    phones = asterisk.make_instance(
        rt, f"{name}-phones",
        [HOME / "asterisk-conf", phones_overlay(scratch / "phones-conf", names)],
        sip_bind="127.0.0.3", sip_port=asterisk.free_port("127.0.0.3", kind=2),
        http_port=asterisk.free_port(), rtp_start=PHONES_RTP[0],
        extra={"rtp_end": str(PHONES_RTP[1]), "pbx_host": f"127.0.0.1:{pbx_port}"})
    stack = Stack(scratch, cluster, admin_dsn, app_dsn, pbx, carrier, phones, prompts_dir,
                  names)
    try:
        for instance in stack.instances:
            instance.start()
    except BaseException:
        stack.close()
        raise
    return stack


def wait_until(probe: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition until it holds; raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
