"""Find or build an Asterisk 22, and run instances of it with the repo's own configuration.

Used by `./dev.sh up` (the demo stack) and by the tests. A system `asterisk` is used when
one is installed; otherwise a Debian-unstable root built once with debootstrap and cached
outside the repo, whose binary runs under chroot (it shares the host's network).
"""

from __future__ import annotations

import base64
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lifeline_pbx import asterisk_config
from lifeline_pbx.paths import HOME
from lifeline_pbx.prompts import synthesis

DEFAULT_CACHE = "/var/cache/lifeline-pbx"
CACHE_DIR = Path(os.environ.get("LIFELINE_CACHE", DEFAULT_CACHE))
DEBIAN_MIRROR = os.environ.get("LIFELINE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PROMPTS_DIR = "/var/lib/lifeline-pbx/prompts"


def catalogue_prompts_dir() -> str:
    """Where the tests and benchmarks generate this source tree's prompts in the shared
    Asterisk root: a folder per catalogue (prompts/*.toml and how they are synthesised).
    Worktrees whose texts differ would otherwise remake each other's files while the
    other's calls play them."""
    digest = hashlib.sha256(repr((synthesis.SPEED_WPM, synthesis.SPEECH_EFFECTS)).encode())
    for path in sorted((HOME / "prompts").glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{PROMPTS_DIR}-{digest.hexdigest()[:12]}"


def shipped_prompts(rt: Runtime) -> str:
    """This tree's prompts, made in catalogue_prompts_dir (Asterisk's path). A new folder
    starts as a copy of the shared one (PROMPTS_DIR, copied under its generator's lock), so
    only the prompts whose text differs are synthesised: minutes saved on a loaded box."""
    folder = catalogue_prompts_dir()
    target, base = rt.host_path(folder), rt.host_path(PROMPTS_DIR)
    if not target.exists() and base.is_dir():
        scratch = target.with_name(f".{target.name}.{os.getpid()}")
        with synthesis.locked(base):
            shutil.copytree(base, scratch, ignore=shutil.ignore_patterns(".prompt-gen.lock"))
        try:
            scratch.rename(target)
        except OSError:  # another process seeded it first
            shutil.rmtree(scratch, ignore_errors=True)
    synthesis.generate(target)
    return folder
_READY_MARK = ".lifeline-ready"


class AsteriskStartError(RuntimeError):
    pass


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """For Popen(preexec_fn=...): the child gets SIGTERM when the process that started it
    dies, so an interrupted test run leaves no Asterisk behind (Linux only)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


ASTERISK = "/usr/sbin/asterisk"  # inside the root
FOREGROUND = ("-f", "-n")  # in the foreground (a service manager's child), no colours
# The server's Asterisk (deploy/systemd/lifeline-asterisk.service): a root of its own, its
# configuration rendered into the root's /etc/asterisk. Not the cached root the demo and
# the tests share: that one is rebuilt at will, this one holds the production Asterisk's
# configuration, database and spool, so it lives with the state (/var/lib), not the cache.
SERVICE_ROOT = Path("/var/lib/lifeline-pbx/asterisk-root")
SERVICE_CONF = "/etc/asterisk/asterisk.conf"


def built_root(root: Path | None = None) -> Path:
    """A chroot root, built once, with its hosts file: `root` (a server's: SERVICE_ROOT),
    else LIFELINE_ASTERISK_ROOT, else the cached one the tests and the demo run."""
    forced = os.environ.get("LIFELINE_ASTERISK_ROOT")
    root = root or (Path(forced) if forced else CACHE_DIR / "asterisk-root")
    ensure_root(root)
    give_hosts_file(root)
    return root


@dataclass(frozen=True)
class Runtime:
    """Where an asterisk binary lives: root is "/" for a system install, else a chroot."""

    root: Path
    moddir: str

    @property
    def chrooted(self) -> bool:
        return self.root != Path("/")

    def command(self, *args: str) -> list[str]:
        if self.chrooted:
            return ["chroot", str(self.root), ASTERISK, *args]
        return ["asterisk", *args]

    def host_path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")


def _moddir(root: Path) -> str:
    for candidate in [*sorted(root.glob("usr/lib/*/asterisk/modules")),
                      root / "usr/lib/asterisk/modules"]:
        if (candidate / "chan_pjsip.so").exists():
            return "/" + str(candidate.relative_to(root))
    raise AsteriskStartError(f"no Asterisk modules directory with chan_pjsip.so under {root}")


def runtime() -> Runtime:
    """A system Asterisk if installed (and LIFELINE_ASTERISK_ROOT unset), else the cached root."""
    forced = os.environ.get("LIFELINE_ASTERISK_ROOT")
    if not forced and shutil.which("asterisk"):
        return Runtime(Path("/"), _moddir(Path("/")))
    root = built_root()
    return Runtime(root, _moddir(root))


def hosts_text(hostname: str) -> str:
    return (f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            f"127.0.1.1\t{hostname}\n")


def give_hosts_file(root: Path) -> None:
    """The root shares the host's network and host name but has no /etc/hosts: without one,
    Asterisk's lookups of localhost and of its own name go to DNS, and a slow resolver
    stalls SIP for seconds. Rewritten when the host name changes (atomically: the root is
    shared by concurrent runs)."""
    import socket

    target, text = root / "etc" / "hosts", hosts_text(socket.gethostname())
    if target.exists() and target.read_text() == text:
        return
    staged = target.with_name(f".hosts.{os.getpid()}")
    staged.write_text(text)
    staged.chmod(0o644)
    os.replace(staged, target)


def ensure_root(root: Path) -> None:
    """Build the Debian-unstable root once (about a minute, ~500 MB); later calls reuse it."""
    if (root / _READY_MARK).exists():
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".asterisk-root.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / _READY_MARK).exists():
            return
        if not shutil.which("debootstrap"):
            raise AsteriskStartError("no asterisk and no debootstrap: apt-get install debootstrap")
        building = root.with_name(root.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        subprocess.run(
            [
                "debootstrap", "--variant=minbase", "--include=asterisk,asterisk-modules",
                "sid", str(building), DEBIAN_MIRROR,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)
        building.rename(root)
        (root / _READY_MARK).write_text("built by devstack.asterisk\n")


SIP_PORT = 5060
HTTP_PORT = 8088
AMI_PORT = 5038


def own_loopback(role: int, pid: int | None = None) -> str:
    """A loopback address that is this process's alone (one per role, 1 to 255), where the
    tests' Asterisks listen on the usual ports: no other process can hold them there (but
    one bound to every address: usual_port), as it can hold a port picked free and released
    before Asterisk binds it. 127.0.0.0/8 is all
    loopback on Linux; the pid (at most 2^15 by default) is spelled in the middle bytes."""
    pid = os.getpid() if pid is None else pid
    return f"127.{100 + (pid >> 8) % 150}.{pid & 255}.{role}"


def can_bind(host: str, port: int, kind: int = 1) -> bool:
    """Whether `port` can be bound on `host` now (kind 1 = TCP, 2 = UDP)."""
    import socket

    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:  # as Asterisk's own listeners: past TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def usual_port(host: str, port: int, kind: int = 1) -> int:
    """`port` if it can be bound on `host` now, else the next one that can. On an
    own_loopback address only a process bound to every address can hold a port: a PBX
    running on this machine on 0.0.0.0:5060 (`./dev.sh up` among them) would leave the
    tests' Asterisks unable to listen, and every call test waiting in vain."""
    for candidate in range(port, port + 100):
        if can_bind(host, candidate, kind):
            return candidate
    raise OSError(f"no port free on {host} from {port} to {port + 99}")


def free_port(host: str = "127.0.0.1", kind: int = 1) -> int:
    """A port nobody listens on now (kind 1 = TCP, 2 = UDP). Another process may take it
    before it is bound again: the tests' Asterisks use own_loopback instead."""
    import socket

    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    """One running Asterisk with its own directories, ports and log."""

    runtime: Runtime
    name: str
    sources: Sequence[Path]
    values: Mapping[str, str]
    ari_url: str
    ari_user: str
    ari_password: str
    base: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def host_base(self) -> Path:
        return self.runtime.host_path(self.base)

    @property
    def conf(self) -> str:
        return f"{self.base}/etc/asterisk.conf"

    @property
    def log_path(self) -> Path:
        return self.host_base / "log" / "messages.log"

    def start(self, timeout: float = 60.0) -> None:
        # Private to the service: the rendered ari.conf holds ARI's password, and astdb,
        # the logs and the recordings are nobody else's business on a shared machine.
        self.host_base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.host_base.chmod(0o700)
        for sub in ("etc", "lib", "spool/recording", "run", "log"):
            (self.host_base / sub).mkdir(parents=True, exist_ok=True)
        asterisk_config.render_tree(self.sources, self.host_base / "etc", self.values)
        console = open(self.host_base / "log" / "console.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.runtime.command(*FOREGROUND, "-C", self.conf),
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        console.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AsteriskStartError(f"{self.name} exited at start:\n{self.log_tail()}")
            if self._ari_answers():
                return
            time.sleep(0.1)
        self.stop()
        raise AsteriskStartError(
            f"{self.name}: ARI did not answer in {timeout}s\n{self.log_tail()}"
        )

    def _ari_answers(self) -> bool:
        token = base64.b64encode(f"{self.ari_user}:{self.ari_password}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - our own http:// URL
            f"{self.ari_url}/ari/asterisk/info", headers={"Authorization": f"Basic {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                json.load(response)
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            return False

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command against this instance and return its output."""
        result = subprocess.run(
            self.runtime.command("-C", self.conf, "-rx", command),
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        return result.stdout + result.stderr

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log_tail(self, lines: int = 60) -> str:
        path = self.log_path if self.log_path.exists() else self.host_base / "log" / "console.log"
        if not path.exists():
            return ""
        return f"--- {path}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def make_instance(
    rt: Runtime,
    name: str,
    sources: Sequence[Path],
    *,
    sip_bind: str,
    sip_port: int,
    http_port: int,
    rtp_start: int,
    extra: Mapping[str, str] | None = None,
    base: str | None = None,
    http_bind: str = "127.0.0.1",
) -> Instance:
    """An Instance whose files live in a fresh private directory (inside the root if chrooted)."""
    base = base or f"/srv/lifeline-asterisk/{name}-{uuid.uuid4().hex[:8]}"
    ari_user, ari_password = "lifeline", uuid.uuid4().hex
    values = {
        **asterisk_config.directories(base),
        "astmoddir": rt.moddir,
        "astdatadir": "/usr/share/asterisk",
        "sip_bind": sip_bind,
        "sip_port": str(sip_port),
        "http_bind": http_bind,
        "http_port": str(http_port),
        "ari_user": ari_user,
        "ari_password": ari_password,
        "ari_app": "lifeline",
        "rtp_start": str(rtp_start),
        "rtp_end": str(rtp_start + 998),
        "prompts_dir": PROMPTS_DIR,
        "moh_dir": f"{PROMPTS_DIR}/moh",
        "default_language": "en",
        "carrier_host": "127.0.0.2:5060",
        "carrier_match": "127.0.0.2",
        # AMI, for the SIP guard's security events (asterisk-conf/manager.conf)
        # On the instance's own loopback address the usual port (unless a process bound to
        # every address holds it); on 127.0.0.1, any.
        "ami_host": http_bind,
        "ami_port": str(usual_port(http_bind, AMI_PORT) if http_bind != "127.0.0.1"
                        else free_port()),
        "ami_user": "lifeline-security",
        "ami_secret": uuid.uuid4().hex,
        **(extra or {}),
    }
    return Instance(
        runtime=rt,
        name=name,
        sources=sources,
        values=values,
        ari_url=f"http://{http_bind}:{http_port}",
        ari_user=ari_user,
        ari_password=ari_password,
        base=base,
    )
