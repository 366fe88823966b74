"""The shipped Asterisk configuration renders completely, and nothing else is rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline_pbx import asterisk_config
from lifeline_pbx.errors import ConfigError


def values() -> dict[str, str]:
    return {
        **asterisk_config.directories("/srv/x"),
        "astmoddir": "/usr/lib/asterisk/modules", "astdatadir": "/usr/share/asterisk",
        "sip_bind": "192.0.2.1", "sip_port": "5060", "http_bind": "127.0.0.1",
        "http_port": "8088", "ari_user": "lifeline", "ari_password": "pw", "ari_app": "lifeline",
        "rtp_start": "10000", "rtp_end": "20000", "prompts_dir": "/var/lib/lifeline-pbx/prompts",
        "moh_dir": "/var/lib/lifeline-pbx/prompts/moh", "default_language": "en",
        "carrier_host": "192.0.2.10", "carrier_match": "192.0.2.10",
        "ami_port": "5038", "ami_user": "lifeline-security", "ami_secret": "s3cret",
    }


def test_shipped_config_renders_without_leftover_placeholders(tmp_path: Path) -> None:
    written = asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path, values())
    names = {p.name for p in written}
    assert {"asterisk.conf", "pjsip.conf", "extensions.conf", "ari.conf", "http.conf"} <= names
    for path in written:
        assert not asterisk_config.PLACEHOLDER.search(path.read_text()), path.name
    manager = (tmp_path / "manager.conf").read_text()
    assert "bindaddr = 127.0.0.1" in manager and "read = security" in manager
    dialplan = (tmp_path / "extensions.conf").read_text()
    assert "Stasis(lifeline,inbound,${EXTEN})" in dialplan


def test_a_missing_value_names_the_placeholder(tmp_path: Path) -> None:
    incomplete = values()
    del incomplete["sip_port"]
    with pytest.raises(ConfigError, match="sip_port"):
        asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path, incomplete)


def test_later_sources_override_earlier(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x.conf").write_text("first @v@")
    (second / "x.conf").write_text("second @v@")
    (first / "y.conf").write_text("only first")
    out = tmp_path / "out"
    asterisk_config.render_tree([first, second], out, {"v": "1"})
    assert (out / "x.conf").read_text() == "second 1"
    assert (out / "y.conf").read_text() == "only first"
