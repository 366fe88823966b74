"""compose.yaml, the image's entrypoint and docker/make-secrets.sh agree, and the stack starts.

The structure is read by a YAML parser when the environment has one, else by `docker compose
config` (which needs no engine), else skipped. The secret names are cross-checked in the
text everywhere. Building and starting the stack needs a Docker engine: skipped without one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.asterisk import free_port
from lifeline_pbx import crypto
from lifeline_pbx.paths import HOME
from tests.waiting import wait_for

COMPOSE = HOME / "compose.yaml"
ENTRYPOINT = HOME / "docker" / "entrypoint.sh"
MAKE_SECRETS = HOME / "docker" / "make-secrets.sh"
TEST_ENV = {"CARRIER_IP": "127.0.0.2"}


def _docker_answers(*args: str) -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", *args], capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def compose_model() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def entrypoint_file_variables() -> set[str]:
    """The settings the entrypoint reads from VAR_FILE (its `secrets=(...)` array)."""
    block = re.search(r"^secrets=\((.*?)\)$", ENTRYPOINT.read_text(), re.S | re.M)
    assert block is not None
    return set(block.group(1).split())


def test_compose_secrets_entrypoint_and_make_secrets_agree() -> None:
    text = COMPOSE.read_text()
    declared = dict(re.findall(r"^  (\w+):\n    file: \./secrets/(\w+)$", text, re.M))
    assert declared and all(name == file for name, file in declared.items()), declared
    uses = re.findall(r"^      (\w+)_FILE: /run/secrets/(\w+)$", text, re.M)
    assert {secret for _, secret in uses} == set(declared)
    readable = entrypoint_file_variables() | {"POSTGRES_PASSWORD"}  # the postgres image's own
    assert {var for var, _ in uses} <= readable
    made = set(re.findall(r"^write_once (\w+) ", MAKE_SECRETS.read_text(), re.M))
    assert made == set(declared)


def test_compose_structure() -> None:
    model = compose_model()
    services = model["services"]
    assert set(services) == {"db", "pbx"}
    db, pbx = services["db"], services["pbx"]
    assert "pg_isready" in db["healthcheck"]["test"]
    assert pbx["healthcheck"]["test"] == ["CMD", "lifeline-healthcheck"]
    assert pbx["network_mode"] == "host"
    assert pbx["depends_on"]["db"]["condition"] == "service_healthy"
    assert {v.split(":")[1] if isinstance(v, str) else v["target"] for v in pbx["volumes"]} == {
        "/var/lib/lifeline-pbx", "/var/spool/asterisk", "/var/lib/asterisk"}
    assert any("/var/lib/postgresql/data" in str(v) for v in db["volumes"])
    for service in (db, pbx):
        mounted = {s if isinstance(s, str) else s["source"] for s in service["secrets"]}
        for key, value in service["environment"].items():
            if key.endswith("_FILE"):
                assert value.removeprefix("/run/secrets/") in mounted, key
            else:
                assert "password" not in key.lower() or key.endswith("_FILE"), key
    assert all(str(s["file"]).endswith(name) for name, s in model["secrets"].items())
    # The app connects as lifeline_app; the admin login is a separate URL and secret.
    env = pbx["environment"]
    assert "lifeline_app@" in env["LIFELINE_DATABASE_URL"]
    assert "lifeline_admin@" in env["LIFELINE_ADMIN_DATABASE_URL"]


def test_make_secrets_writes_private_usable_files_once(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    script = tmp_path / "docker" / "make-secrets.sh"
    shutil.copy(MAKE_SECRETS, script)
    subprocess.run(["sh", str(script)], check=True, capture_output=True, timeout=30)
    secrets = tmp_path / "secrets"
    assert secrets.stat().st_mode & 0o777 == 0o700
    files = {p.name: p for p in secrets.iterdir()}
    assert set(files) == {"db_admin_password", "db_app_password", "data_keys", "lookup_key"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files.values())
    keys = crypto.key_ring(crypto.parse_data_keys("data_keys", files["data_keys"].read_text()),
                           crypto.parse_key("lookup_key", files["lookup_key"].read_text()))
    assert keys.open(keys.seal("x", "t"), "t") == "x"
    assert re.fullmatch(r"[0-9a-f]{48}", files["db_app_password"].read_text())
    before = {name: p.read_text() for name, p in files.items()}
    again = subprocess.run(["sh", str(script)], check=True, capture_output=True, text=True,
                           timeout=30)
    assert {name: p.read_text() for name, p in files.items()} == before
    assert again.stdout.count("kept secrets/") == 4


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    if not _docker_answers("info"):
        pytest.skip("no Docker engine answers here (`docker info` fails): the compose stack "
                    "is built and started only where one runs")
    if not _docker_answers("compose", "version"):
        pytest.skip("the Docker engine answers but the `docker compose` plugin is missing")
    (tmp_path / "docker").mkdir()
    shutil.copy(MAKE_SECRETS, tmp_path / "docker" / "make-secrets.sh")
    subprocess.run(["sh", str(tmp_path / "docker" / "make-secrets.sh")], check=True, timeout=30)
    override = tmp_path / "compose.override.yaml"
    override.write_text("secrets:\n" + "".join(
        f"  {name}:\n    file: {tmp_path / 'secrets' / name}\n"
        for name in ("db_admin_password", "db_app_password", "data_keys", "lookup_key")))
    project = f"lifeline-test-{os.getpid()}"
    env = {**os.environ, **TEST_ENV, "LIFELINE_DB_PORT": str(free_port()),
           "LIFELINE_WEB_PORT": str(free_port()), "SIP_PORT": str(free_port(kind=2))}
    command = ["docker", "compose", "-p", project, "-f", str(COMPOSE), "-f", str(override)]
    try:
        subprocess.run([*command, "up", "-d", "--build", "--wait", "--wait-timeout", "1200"],
                       check=True, timeout=1800, env=env)
        yield project, env
    finally:
        subprocess.run([*command, "down", "-v"], check=False, timeout=300, env=env)


async def test_the_compose_stack_starts_healthy(stack: tuple[str, dict[str, str]]) -> None:
    _, env = stack
    url = f"http://127.0.0.1:{env['LIFELINE_WEB_PORT']}/healthz"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    await wait_for(healthy, timeout=120, what="the pbx service's /healthz says ok")
