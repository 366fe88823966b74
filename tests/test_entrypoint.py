"""docker/entrypoint.sh, run by bash as the image runs it, with `lifeline`, `asterisk`,
`setpriv` and `find` replaced on PATH by stubs that record how they were called: no
container can run here (no Docker engine), and what is checked is the script's own work:
settings refused before anything starts, secrets read from files, what it hands on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lifeline_pbx import asterisk_config, config
from lifeline_pbx.paths import HOME

ENTRYPOINT = HOME / "docker" / "entrypoint.sh"

# One stub serves every command: it appends {"name", "argv", "env", "password_file"} to
# $STUB_LOG. `lifeline serve` exits with $STUB_SERVE_EXIT; `asterisk` stays up until the
# entrypoint stops it; `lifeline config check` fails when $STUB_CONFIG_BAD is set; `setpriv`
# runs the command after its options; `find` finds nothing.
STUB = """\
import json, os, signal, sys, time
name, argv = os.path.basename(sys.argv[0]), sys.argv[1:]
record = {"name": name, "argv": argv, "password_file": None,
          "env": {k: v for k, v in os.environ.items()
                  if k.startswith(("LIFELINE_", "PGPASSWORD", "CARRIER_IP"))}}
if "--password-file" in argv:
    record["password_file"] = open(argv[argv.index("--password-file") + 1]).read()
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if name == "setpriv":
    command = [a for a in argv if not a.startswith("--")]
    os.execvp(command[0], command)
if name == "asterisk":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()
if argv[:2] == ["config", "check"] and os.environ.get("STUB_CONFIG_BAD"):
    sys.exit("lifeline: setting 'data_keys': expected id:base64 entries")
if argv[:1] == ["serve"]:  # stop only once asterisk is up, as a real app would be later
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and '"name": "asterisk"' not in open(
            os.environ["STUB_LOG"]).read():
        time.sleep(0.01)
    sys.exit(int(os.environ.get("STUB_SERVE_EXIT", "0")))
"""


@dataclass
class Run:
    returncode: int
    stderr: str
    calls: list[dict[str, Any]]

    def commands(self) -> list[str]:
        return [" ".join([c["name"], *c["argv"][:2]]) for c in self.calls]

    def call(self, command: str) -> dict[str, Any]:
        return next(c for c in self.calls if " ".join([c["name"], *c["argv"]]).startswith(command))

    def rendered(self) -> dict[str, str]:
        argv = self.call("lifeline asterisk-config")["argv"]
        return dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--set")


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("lifeline", "asterisk", "setpriv", "find"):
        stub = bin_dir / name
        stub.write_text(f"#!{sys.executable}\n{STUB}")
        stub.chmod(0o755)
    return bin_dir


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / "secrets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(value + "\n")  # as an editor saves it: the newline is not part of it
    path.chmod(0o600)
    return str(path)


EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - where the container's SIP listens
DATA_KEYS = "k1:" + "A" * 43 + "="
LOOKUP_KEY = "B" * 43 + "="


def base_env(stubs: Path) -> dict[str, str]:
    """A complete docker-run style environment (URLs with their passwords in them)."""
    return {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "STUB_LOG": str(stubs.parent / "calls.jsonl"),
        "ASTERISK_MODDIR": "/usr/lib/x86_64-linux-gnu/asterisk/modules",
        "LIFELINE_DATABASE_URL": "postgresql://lifeline_app:pw@127.0.0.1/lifeline",
        "LIFELINE_DATA_KEYS": DATA_KEYS,
        "LIFELINE_LOOKUP_KEY": LOOKUP_KEY,
        "CARRIER_IP": "203.0.113.7",
    }


def run(stubs: Path, env: dict[str, str], *command: str) -> Run:
    result = subprocess.run(["/bin/bash", str(ENTRYPOINT), *command], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    log = stubs.parent / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return Run(result.returncode, result.stderr, calls)


STARTS = {"lifeline asterisk-config", "lifeline prompts", "lifeline migrate", "asterisk -f",
          "lifeline serve", "setpriv --reuid=lifeline"}


NAT_ENV = {"EXTERNAL_SIGNALING_ADDRESS": "198.51.100.7", "EXTERNAL_MEDIA_ADDRESS": "198.51.100.7",
           "LOCAL_NET": "10.0.0.0/8, 192.168.1.0/24"}


@pytest.mark.parametrize(("change", "message"), [
    ({"LIFELINE_DATABASE_URL": None}, "set LIFELINE_DATABASE_URL (or LIFELINE_DATABASE_URL_FILE)"),
    ({"LIFELINE_DATA_KEYS": None}, "set LIFELINE_DATA_KEYS (or LIFELINE_DATA_KEYS_FILE): id:key"),
    ({"LIFELINE_LOOKUP_KEY": None}, "set LIFELINE_LOOKUP_KEY (or LIFELINE_LOOKUP_KEY_FILE)"),
    ({"CARRIER_IP": None}, "set CARRIER_IP: the SIP address of the facility phone contractor"),
    ({"CARRIER_IP": "203.0.113.7\n[evil]"}, "expected an IP address or host name"),
    ({"CARRIER_IP": "203.0.113.7;x"}, "CARRIER_IP=203.0.113.7;x: expected an IP address"),
    ({"SIP_PORT": "five"}, "SIP_PORT=five: expected a port number"),
    ({"SIP_PORT": "70000"}, "SIP_PORT=70000: expected a port number"),
    ({"RTP_START": "20000", "RTP_END": "10000"}, "RTP_START-RTP_END (20000-10000) must lie"),
    ({"RTP_END": "10100"}, "hold at least 400 ports (100 calls)"),
    ({"RTP_START": "80"}, "must lie in 1024-65535"),
    ({"LIFELINE_ARI_PASSWORD": "pw;rest"}, "LIFELINE_ARI_PASSWORD=(hidden): letters, digits"),
    ({"LIFELINE_AMI_SECRET": "a b"}, "LIFELINE_AMI_SECRET=(hidden): letters, digits"),
    ({"LIFELINE_DATA_KEYS_FILE": "FILE"}, "set LIFELINE_DATA_KEYS or LIFELINE_DATA_KEYS_FILE, "
                                          "not both"),
    ({"LIFELINE_LOOKUP_KEY": None, "LIFELINE_LOOKUP_KEY_FILE": "/nonexistent/lookup_key"},
     "LIFELINE_LOOKUP_KEY_FILE: cannot read /nonexistent/lookup_key"),
    ({"LIFELINE_LOOKUP_KEY": None, "LIFELINE_LOOKUP_KEY_FILE": "EMPTY"}, "/empty is empty"),
    ({"STUB_CONFIG_BAD": "1"}, "lifeline: setting 'data_keys': expected id:base64 entries"),
    ({"ASTERISK_MODDIR": None}, "no chan_pjsip.so under /usr/lib: is asterisk-modules installed?"),
    ({"LIFELINE_TRUNK_USER": "lifeline"}, "set LIFELINE_TRUNK_PASSWORD_FILE: a readable file"),
    ({"LIFELINE_TRUNK_PASSWORD_FILE": "FILE"}, "set LIFELINE_TRUNK_USER (or LIFELINE_TRUNK_USER"),
    ({"LIFELINE_TRUNK_USER": "a;b", "LIFELINE_TRUNK_PASSWORD_FILE": "FILE"},
     "LIFELINE_TRUNK_USER=a;b: letters, digits"),
    ({"EXTERNAL_SIGNALING_ADDRESS": "198.51.100.7"},
     "set EXTERNAL_MEDIA_ADDRESS: the server's public address, as EXTERNAL_SIGNALING_ADDRESS "
     "(behind NAT both are set)"),
    ({"EXTERNAL_MEDIA_ADDRESS": "198.51.100.7", "LOCAL_NET": "10.0.0.0/8"},
     "set EXTERNAL_SIGNALING_ADDRESS: the server's public address, as EXTERNAL_MEDIA_ADDRESS"),
    ({"EXTERNAL_SIGNALING_ADDRESS": "198.51.100.7", "EXTERNAL_MEDIA_ADDRESS": "198.51.100.7;x"},
     "EXTERNAL_MEDIA_ADDRESS=198.51.100.7;x: expected an IP address or host name"),
    ({"LOCAL_NET": "10.0.0.0/8"}, "LOCAL_NET=10.0.0.0/8: set EXTERNAL_SIGNALING_ADDRESS and "
                                  "EXTERNAL_MEDIA_ADDRESS with it"),
    ({**NAT_ENV, "LOCAL_NET": "10.0.0.0/8\n[evil]"},
     "LOCAL_NET=10.0.0.0/8\n[evil]: expected networks, comma-separated"),
])
def test_a_missing_or_bad_setting_stops_before_anything_starts(
    stubs: Path, tmp_path: Path, change: dict[str, str | None], message: str
) -> None:
    env = base_env(stubs)
    for key, value in change.items():
        if value is None:
            env.pop(key)
        elif value == "FILE":
            env[key] = secret(tmp_path, "value", "k2:" + "C" * 43 + "=")
        elif value == "EMPTY":
            env[key] = secret(tmp_path, "empty", "")
        else:
            env[key] = value
    result = run(stubs, env)
    assert result.returncode != 0
    assert message in result.stderr
    assert not STARTS & {" ".join(c.split()[:2]) for c in result.commands()}, result.commands()
    assert "pw;rest" not in result.stderr and "a b" not in result.stderr  # secrets not echoed


def compose_env(stubs: Path, tmp_path: Path) -> dict[str, str]:
    """As compose.yaml gives it: URLs without passwords, every secret in a file."""
    env = base_env(stubs)
    for key in ("LIFELINE_DATA_KEYS", "LIFELINE_LOOKUP_KEY"):
        env[f"{key}_FILE"] = secret(tmp_path, key.lower(), env.pop(key))
    env.update({
        "LIFELINE_DATABASE_URL": "postgresql://lifeline_app@127.0.0.1:5432/lifeline",
        "LIFELINE_DATABASE_PASSWORD_FILE": secret(tmp_path, "db_app_password", "app-pw-1"),
        "LIFELINE_ADMIN_DATABASE_URL": "postgresql://lifeline_admin@127.0.0.1:5432/lifeline",
        "LIFELINE_ADMIN_DATABASE_PASSWORD_FILE": secret(tmp_path, "db_admin", "admin-pw-1"),
        "LIFELINE_ARI_PASSWORD_FILE": secret(tmp_path, "ari", "ari-pw-1"),
        "STUB_SERVE_EXIT": "3",
    })
    return env


def test_secrets_from_files_reach_each_command_and_no_further(
    stubs: Path, tmp_path: Path
) -> None:
    result = run(stubs, compose_env(stubs, tmp_path))
    assert result.returncode == 3, result.stderr  # the app stopped: so does the container
    commands = result.commands()
    assert commands[:5] == [
        "lifeline config check", "lifeline asterisk-config --out", "lifeline prompts --out",
        "lifeline migrate", "lifeline db app-role"]
    assert sorted(commands[5:]) == [  # the two start together; the app not as root
        "asterisk -f -n", "lifeline serve", "setpriv --reuid=lifeline --regid=lifeline"]
    check = result.call("lifeline config check")["env"]
    assert (check["LIFELINE_DATA_KEYS"], check["LIFELINE_LOOKUP_KEY"]) == (DATA_KEYS, LOOKUP_KEY)
    assert result.call("lifeline migrate")["env"]["PGPASSWORD"] == "admin-pw-1"
    app_role = result.call("lifeline db app-role")
    assert (app_role["password_file"], app_role["env"]["PGPASSWORD"]) == ("app-pw-1", "admin-pw-1")
    serve = result.call("lifeline serve")["env"]
    assert serve["PGPASSWORD"] == "app-pw-1"
    assert serve["LIFELINE_ARI_PASSWORD"] == "ari-pw-1"
    assert serve["LIFELINE_DATA_KEYS"] == DATA_KEYS
    assert not {k for k in serve if k.startswith("LIFELINE_ADMIN") or k.endswith("_FILE")}
    assert "admin-pw-1" not in json.dumps(serve)
    values = result.rendered()
    assert values["ari_password"] == "ari-pw-1"
    assert values["ami_secret"] == serve["LIFELINE_AMI_SECRET"]
    assert re.fullmatch(r"[0-9a-f]{48}", values["ami_secret"])


def test_rendered_asterisk_settings(stubs: Path, tmp_path: Path) -> None:
    env = {**base_env(stubs), "SIP_PORT": "5070"}
    result = run(stubs, env)
    values = result.rendered()
    assert {k: values[k] for k in ("sip_bind", "sip_port", "http_bind", "http_port",
                                   "carrier_host", "carrier_match", "astmoddir", "ari_user")} == {
        "sip_bind": EVERY_ADDRESS, "sip_port": "5070",
        "http_bind": "127.0.0.1", "http_port": "8088",
        "carrier_host": "203.0.113.7", "carrier_match": "203.0.113.7",
        "astmoddir": env["ASTERISK_MODDIR"], "ari_user": "lifeline"}
    assert (int(values["rtp_start"]), int(values["rtp_end"])) == asterisk_config.RTP_RANGE
    # What the entrypoint sets is all the shipped configuration needs, and renders cleanly.
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path / "etc", values)
    http = (tmp_path / "etc" / "http.conf").read_text()
    assert "bindaddr = 127.0.0.1" in http


def rendered_pjsip(values: dict[str, str], out: Path) -> str:
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, out, values)
    return (out / "pjsip.conf").read_text()


def test_behind_nat_the_transport_gets_the_public_address(stubs: Path, tmp_path: Path) -> None:
    shipped = rendered_pjsip(run(stubs, base_env(stubs)).rendered(), tmp_path / "shipped")
    result = run(stubs, {**base_env(stubs), **NAT_ENV})
    assert result.returncode == 0, result.stderr
    added = rendered_pjsip(result.rendered(), tmp_path / "nat").removeprefix(shipped)
    assert added.splitlines()[2:] == [
        "[transport-udp](+)", "external_signaling_address = 198.51.100.7",
        "external_media_address = 198.51.100.7", "local_net = 10.0.0.0/8",
        "local_net = 192.168.1.0/24"]


@pytest.mark.parametrize("nat", [{}, dict.fromkeys(NAT_ENV, "")])  # unset, or empty (compose)
def test_without_nat_settings_pjsip_conf_is_the_shipped_one(
    stubs: Path, tmp_path: Path, nat: dict[str, str]
) -> None:
    values = run(stubs, {**base_env(stubs), **nat}).rendered()
    assert not set(values) & set(asterisk_config.NAT_VALUES)
    assert rendered_pjsip(values, tmp_path) == asterisk_config.render_text(
        (HOME / "asterisk-conf" / "pjsip.conf").read_text(), values)


def test_the_trunk_password_reaches_asterisk_config_as_a_file_only(
    stubs: Path, tmp_path: Path
) -> None:
    password = secret(tmp_path, "trunk", "trunk-pw-1")
    env = {**base_env(stubs), "LIFELINE_TRUNK_USER": "lifeline-ngo",
           "LIFELINE_TRUNK_PASSWORD_FILE": password}
    result = run(stubs, env)
    argv = result.call("lifeline asterisk-config")["argv"]
    assert result.rendered()["trunk_user"] == "lifeline-ngo"
    assert argv[argv.index("--set-file") + 1] == f"trunk_password={password}"
    assert "trunk-pw-1" not in json.dumps(result.calls) + result.stderr
    assert "trunk_user" not in run(stubs, base_env(stubs)).rendered()  # no trunk: none set


def test_ari_password_is_made_at_each_start_when_not_given(stubs: Path) -> None:
    made = []
    for _ in range(2):
        result = run(stubs, base_env(stubs))
        password = result.rendered()["ari_password"]
        assert re.fullmatch(r"[0-9a-f]{48}", password)
        assert result.call("lifeline serve")["env"]["LIFELINE_ARI_PASSWORD"] == password
        made.append(password)
    assert made[0] != made[1]


def test_without_the_admin_login_nothing_is_migrated(stubs: Path) -> None:
    result = run(stubs, base_env(stubs))
    assert result.returncode == 0
    assert "LIFELINE_ADMIN_DATABASE_URL is not set: not migrating" in result.stderr
    assert "lifeline migrate" not in result.commands()
    assert "PGPASSWORD" not in result.call("lifeline serve")["env"]  # the URL holds it


def test_a_command_runs_alone_with_the_apps_login(stubs: Path, tmp_path: Path) -> None:
    """`docker compose exec pbx lifeline-entrypoint lifeline user add ...`: the secrets
    files are read as for the app, and nothing else starts."""
    result = run(stubs, compose_env(stubs, tmp_path), "lifeline", "user", "add", "ana")
    assert result.returncode == 0, result.stderr
    assert result.commands() == ["lifeline config check", "lifeline user add"]
    env = result.call("lifeline user add")["env"]
    assert (env["PGPASSWORD"], env["LIFELINE_DATA_KEYS"]) == ("app-pw-1", DATA_KEYS)
    assert not {k for k in env if k.startswith("LIFELINE_ADMIN") or k.endswith("_FILE")}


def test_entrypoint_scripts_are_executable() -> None:
    for script in ("entrypoint.sh", "healthcheck.sh", "make-secrets.sh"):
        assert os.access(HOME / "docker" / script, os.X_OK), script


def test_every_secret_setting_of_the_app_is_read_from_its_file(
    stubs: Path, tmp_path: Path
) -> None:
    """config.SECRET_SETTINGS, each given only as LIFELINE_X_FILE, reach the app as
    LIFELINE_X: the entrypoint reads them, as root, for an app that may not read the files."""
    env = {k: v for k, v in base_env(stubs).items()
           if k.removeprefix(config.ENV_PREFIX).lower() not in config.SECRET_SETTINGS}
    values = {name: {"data_keys": DATA_KEYS, "lookup_key": LOOKUP_KEY}.get(name, f"{name}-1")
              for name in config.SECRET_SETTINGS}
    for name, value in values.items():
        env[f"{config.ENV_PREFIX}{name.upper()}{config.FILE_SUFFIX}"] = secret(tmp_path, name,
                                                                              value)
    result = run(stubs, env)
    assert result.returncode == 0, result.stderr
    check = result.call("lifeline config check")["env"]
    assert {name: check.get(config.ENV_PREFIX + name.upper()) for name in values} == values
    assert not [k for k in check if k.endswith(config.FILE_SUFFIX)]
