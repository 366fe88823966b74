"""The shipped Asterisk configuration renders completely, and nothing else is rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeline_pbx import asterisk_config
from lifeline_pbx.errors import ConfigError
from lifeline_pbx.operators import store
from lifeline_pbx.operators.pjsip import TRANSPORT, pjsip_objects
from lifeline_pbx.paths import HOME


def values() -> dict[str, str]:
    return {
        **asterisk_config.directories("/srv/x"),
        "astmoddir": "/usr/lib/asterisk/modules", "astdatadir": "/usr/share/asterisk",
        "sip_bind": "192.0.2.1", "sip_port": "5060", "http_bind": "127.0.0.1",
        "http_port": "8088", "ari_user": "lifeline", "ari_password": "pw", "ari_app": "lifeline",
        "rtp_start": "10000", "rtp_end": "20000", "prompts_dir": "/var/lib/lifeline-pbx/prompts",
        "moh_dir": "/var/lib/lifeline-pbx/prompts/moh", "default_language": "en",
        "carrier_host": "192.0.2.10", "carrier_match": "192.0.2.10",
        "ami_host": "127.0.0.1", "ami_port": "5038", "ami_user": "lifeline-security",
        "ami_secret": "s3cret",
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


@pytest.mark.parametrize("bad", ["pw;more", "pw\n[evil]\ntype = endpoint", "pw\r"])
def test_a_value_that_would_change_the_config_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="setting 'ari_password': a newline or ';'"):
        asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path,
                                    {**values(), "ari_password": bad})


def sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """The [name] sections of an Asterisk .conf with their settings (templates included)."""
    found: list[tuple[str, dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("["):
            found.append((line[1:line.index("]")], {}))
        elif "=" in line and found:
            key, _, value = line.partition("=")
            found[-1][1][key.strip()] = value.strip()
    return found


def test_every_endpoint_names_a_transport_that_exists(tmp_path: Path) -> None:
    """Without one, Asterisk works out its media address per call by resolving its own
    host name (issue 11: a slow resolver stalled SIP)."""
    asterisk_config.render_tree([*asterisk_config.SHIPPED_SOURCES, HOME / "asterisk-conf" / "demo"],
                                tmp_path, {**values(), "demo_caller_password": "pw"})
    pjsip = sections((tmp_path / "pjsip.conf").read_text())
    pjsip += sections((tmp_path / "pjsip_local.conf").read_text())
    transports = {name for name, fields in pjsip if fields.get("type") == "transport"}
    endpoints = {name: fields for name, fields in pjsip if fields.get("type") == "endpoint"}
    assert set(endpoints) == {"carrier", "carrier-out", "caller"}
    assert {name: fields.get("transport") for name, fields in endpoints.items()} == {
        "carrier": "transport-udp", "carrier-out": "transport-udp", "caller": "transport-udp"}
    assert transports == {"transport-udp"}
    operator_endpoint = pjsip_objects(store.Operator(1, "A", "op-a", "0" * 32, ("en",), True))[2]
    assert operator_endpoint[2]["transport"] == TRANSPORT
    assert TRANSPORT in transports


# The hardest case of issue 11 on this 2-core box: 40 calls per second, each about 14 s in
# the PBX (3 s menu, ringing, 10 s talk), so about 560 calls at once.
PEAK_CALLS = 40 * 14


@pytest.mark.parametrize(("start", "end", "calls"), [
    (10000, 19999, 2500), (10000, 10999, 250), (10000, 10002, 0), (10000, 10003, 1),
])
def test_rtp_calls_counts_four_ports_per_call(start: int, end: int, calls: int) -> None:
    assert asterisk_config.rtp_calls(start, end) == calls


def test_the_shipped_rtp_range_outlasts_the_processor(tmp_path: Path) -> None:
    start, end = asterisk_config.RTP_RANGE
    assert asterisk_config.rtp_calls(start, end) >= 2 * PEAK_CALLS
    asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path,
                                {**values(), "rtp_start": str(start), "rtp_end": str(end)})
    rtp = dict(sections((tmp_path / "rtp.conf").read_text()))["general"]
    assert (int(rtp["rtpstart"]), int(rtp["rtpend"])) == asterisk_config.RTP_RANGE


NAT = {"external_signaling_address": "198.51.100.7", "external_media_address": "198.51.100.7",
       "local_net": "10.0.0.0/8, 192.168.1.0/24"}


def test_the_nat_settings_are_in_the_transport_only_when_set(tmp_path: Path) -> None:
    plain = asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path / "a", values())
    nat = asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path / "b",
                                      {**values(), **NAT})
    shipped = (tmp_path / "a" / "pjsip.conf").read_text()
    assert shipped == asterisk_config.render_text(
        (HOME / "asterisk-conf" / "pjsip.conf").read_text(), values())
    assert "external" not in shipped and "local_net" not in shipped
    assert [p.name for p in plain] == [p.name for p in nat]
    added = (tmp_path / "b" / "pjsip.conf").read_text().removeprefix(shipped)
    assert added.splitlines()[2:] == [
        "[transport-udp](+)", "external_signaling_address = 198.51.100.7",
        "external_media_address = 198.51.100.7", "local_net = 10.0.0.0/8",
        "local_net = 192.168.1.0/24"]


def test_one_public_address_without_the_other_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="setting 'external_media_address': behind NAT"):
        asterisk_config.render_tree(asterisk_config.SHIPPED_SOURCES, tmp_path, {
            **values(), "external_signaling_address": "198.51.100.7", "local_net": ""})
