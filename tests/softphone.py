"""A genuine softphone: Debian's baresip (1.0.0), run with a private config directory.

It registers to the PBX with one account and answers every call by itself
(`answermode=auto`). It sends an 8 kHz mono WAV as its microphone (`aufile`: its `ausine`
source refuses anything but 48 kHz) and, through the `sndfile` module, writes what it
hears and what it sends to WAV files in its directory.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import time
import wave
from pathlib import Path

from devstack.asterisk import die_with_parent

SIP_HOST = "127.0.0.1"
READY = "baresip is ready."  # what baresip 1.0.0 prints once it has started


class SoftphoneError(RuntimeError):
    pass


def write_tone(path: Path, seconds: int = 600) -> None:
    """An 8 kHz mono 16-bit WAV of a quiet 400 Hz sine: the softphone's microphone.

    Long on purpose: baresip 1.0.0 hangs up a call when its aufile source reaches the end.
    """
    period = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * n / 20)))
                      for n in range(20))  # 400 Hz = 20 samples at 8 kHz
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(period * (400 * seconds))


def config_text(directory: Path, rtp_start: int) -> str:
    settings = [
        ("poll_method", "epoll"),
        ("sip_listen", f"{SIP_HOST}:0"),  # a port of the system's choosing: none to race for
        ("call_local_timeout", "120"),
        ("call_max_calls", "4"),
        ("audio_source", f"aufile,{directory / 'microphone.wav'}"),
        ("audio_player", "aufile,/dev/null"),  # 1.0.0's aufile only reads; sndfile records
        ("audio_alert", "aufile,/dev/null"),
        ("rtp_ports", f"{rtp_start}-{rtp_start + 99}"),
        ("module_path", "/usr/lib/baresip/modules"),
        ("module", "g711.so"),
        ("module", "aufile.so"),
        ("module", "sndfile.so"),
        ("snd_path", str(directory / "heard")),
        ("module_tmp", "uuid.so"),
        ("module_tmp", "account.so"),
        ("module_app", "menu.so"),
    ]
    return "".join(f"{key}\t{value}\n" for key, value in settings)


def account_line(username: str, password: str, pbx_sip: str, display_name: str = "") -> str:
    """One baresip account: register every 60 s, answer calls by itself."""
    name = f'"{display_name}" ' if display_name else ""
    return f"{name}<sip:{username}@{pbx_sip}>;auth_pass={password};answermode=auto;regint=60\n"


class Softphone:
    """One baresip process with one account, registering to pbx_sip ("host:port")."""

    def __init__(
        self, directory: Path, username: str, password: str, pbx_sip: str, rtp_start: int = 36000,
        commands: tuple[str, ...] = (),
    ) -> None:
        self.commands = commands  # baresip commands run at start, e.g. "/dial 15550100101"
        self.directory = directory
        self.username = username
        self.password = password
        self.pbx_sip = pbx_sip
        self.rtp_start = rtp_start
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / "baresip.log"

    def start(self) -> None:
        binary = shutil.which("baresip")
        if binary is None:
            raise SoftphoneError("baresip is not installed: apt-get install baresip (dev.sh does)")
        (self.directory / "heard").mkdir(parents=True, exist_ok=True)
        write_tone(self.directory / "microphone.wav")
        (self.directory / "config").write_text(config_text(self.directory, self.rtp_start))
        (self.directory / "accounts").write_text(
            account_line(self.username, self.password, self.pbx_sip))
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "-f", str(self.directory), *(a for c in self.commands for a in ("-e", c))],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=die_with_parent,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 10) -> None:
        """Until baresip says it is ready (its accounts loaded, its SIP socket bound); its
        commands (`-e`) run from then on. A baresip that exits first fails here, with its log."""
        deadline = time.monotonic() + timeout
        while READY not in self.log_text():
            if not self.running():
                raise SoftphoneError(f"baresip exited at start:\n{self.log_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise SoftphoneError(f"baresip not ready in {timeout}s:\n{self.log_text()[-2000:]}")
            time.sleep(0.02)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def heard_files(self) -> list[Path]:
        """The WAV files of what the softphone received (sndfile's `-dec` dumps)."""
        return sorted((self.directory / "heard").glob("*-dec.wav"))

    def stop(self, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
