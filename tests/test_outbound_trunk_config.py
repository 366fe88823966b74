"""The outbound trunk in the shipped Asterisk configuration: its account only in a private
file, and no dialplan that could dial anything a caller typed."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lifeline_pbx import asterisk_config
from lifeline_pbx.errors import ConfigError
from lifeline_pbx.operators.store import username_problems
from lifeline_pbx.paths import HOME
from tests.test_asterisk_config import values

SECRET = "tr-Secret-9f2c"


def test_trunk_account_goes_into_a_private_file_only(tmp_path: Path) -> None:
    written = asterisk_config.render_tree(
        asterisk_config.SHIPPED_SOURCES, tmp_path,
        {**values(), "trunk_user": "acct-77", "trunk_password": SECRET})
    trunk = tmp_path / asterisk_config.TRUNK_FILE
    assert trunk in written
    assert stat.S_IMODE(trunk.stat().st_mode) == 0o600
    text = trunk.read_text()
    assert "[carrier-out](+)" in text and "from_user = acct-77" in text
    assert f"password = {SECRET}" in text and "outbound_auth = carrier-out-auth" in text
    others = [p for p in written if p != trunk]
    assert not any(SECRET in p.read_text() for p in others)
    pjsip = (tmp_path / "pjsip.conf").read_text()
    assert "[carrier-out]" in pjsip and "#tryinclude pjsip_trunk.conf" in pjsip


def test_no_trunk_account_no_file(tmp_path: Path) -> None:
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path, values())
    assert not (tmp_path / asterisk_config.TRUNK_FILE).exists()


@pytest.mark.parametrize(("user", "password", "name"), [
    ("acct", "", "trunk_password"), ("acct", "a;b", "trunk_password"),
    ("acct\nx", "pw", "trunk_user")])
def test_a_bad_trunk_account_is_refused_by_name(tmp_path: Path, user: str, password: str,
                                               name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        asterisk_config.write_trunk(tmp_path, {"trunk_user": user, "trunk_password": password})


def test_the_command_reads_the_password_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "trunk-password"
    secret.write_text(SECRET + "\n")
    sets = [arg for name, value in values().items() for arg in ("--set", f"{name}={value}")]
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "lifeline_pbx.cli", "asterisk-config", "--out", str(out), *sets,
         "--set", "trunk_user=acct-77", "--set-file", f"trunk_password={secret}"],
        capture_output=True, text=True, check=True)
    assert SECRET not in run.stdout + run.stderr
    assert f"password = {SECRET}\n" in (out / asterisk_config.TRUNK_FILE).read_text()


def test_the_dialplan_dials_nothing() -> None:
    """No Dial, no Originate, no channel built from ${EXTEN}: the only way out is the
    app's guarded legs (outbound/legs.py)."""
    for path in (HOME / "dialplan").glob("*.conf"):
        text = re.sub(r";.*", "", path.read_text())
        for app in ("Dial(", "Originate(", "Page(", "Queue(", "ChanSpy(", "System(",
                    "Goto(carrier-out", "PJSIP/"):
            assert app.lower() not in text.lower(), (path.name, app)


def test_no_operator_account_may_take_the_trunks_names(tmp_path: Path) -> None:
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path,
                                {**values(), "trunk_user": "acct", "trunk_password": SECRET})
    names = set()
    for path in (tmp_path / "pjsip.conf", tmp_path / asterisk_config.TRUNK_FILE):
        names |= {m.group(1) for m in re.finditer(r"^\[([^\]]+)\]", path.read_text(), re.M)}
    assert {"carrier-out", "carrier-out-contact", "carrier-out-auth"} <= names
    for name in names - {"global", "transport-udp"}:
        assert username_problems(name), name
