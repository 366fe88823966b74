"""Render asterisk-conf/ and dialplan/ into a directory Asterisk reads.

The same renderer serves production (`lifeline asterisk-config`), the demo stack and the
tests, so what the tests run is what ships. Placeholders are words between @ signs;
Asterisk's own syntax never uses that form, so no escaping is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from lifeline_pbx.errors import ConfigError
from lifeline_pbx.paths import HOME

SHIPPED_SOURCES = (HOME / "asterisk-conf", HOME / "dialplan")
PLACEHOLDER = re.compile(r"@([a-z_]+)@")
# Each call through the PBX holds two RTP sessions (the caller's leg and the operator's), each
# an even RTP port and the odd RTCP port above it. The shipped range (the image's, `lifeline
# up`'s) carries 2,500 calls: over twice what 2 cores can carry (docs/decisions.md), so the
# processor runs out before the ports do.
RTP_PORTS_PER_CALL = 4
RTP_RANGE = (10000, 19999)


def rtp_calls(start: int, end: int) -> int:
    """How many calls through the PBX the RTP port range start-end (inclusive) carries."""
    return (end - start + 1) // RTP_PORTS_PER_CALL


def render_text(text: str, values: Mapping[str, str], source: str = "<text>") -> str:
    used = set(PLACEHOLDER.findall(text))
    missing = sorted(used - set(values))
    if missing:
        raise ConfigError(missing[0], f"no value to render {source}")
    # In Asterisk's configuration a newline starts a new setting and ';' a comment that cuts
    # the value short (a password would silently lose its end).
    unsafe = sorted(name for name in used if any(c in values[name] for c in "\n\r;"))
    if unsafe:
        raise ConfigError(unsafe[0], f"a newline or ';' cannot go into {source}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_tree(
    sources: Sequence[Path], out_dir: Path, values: Mapping[str, str]
) -> list[Path]:
    """Write every *.conf of the sources into out_dir; a later source overrides an earlier one."""
    chosen: dict[str, Path] = {}
    for source in sources:
        for path in sorted(source.glob("*.conf")):
            chosen[path.name] = path
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in sorted(chosen.items()):
        target = out_dir / name
        text = render_text(path.read_text(), values, str(path))
        target.write_text(text + nat_section(values) if name == NAT_FILE else text)
        written.append(target)
    if TRUNK_VALUES[0] in values:
        written.append(write_trunk(out_dir, values))
    return written


# A server behind 1:1 NAT (a cloud VM with a private address, its public one mapped by the
# provider): the public address Asterisk must write into SIP headers and SDP for the carrier
# (else the carrier sends the audio to the private address: calls connect, nobody hears),
# and the networks it reaches directly (local_net: comma-separated). Appended to the
# transport of pjsip.conf only when set: unset, nothing is rendered.
NAT_FILE = "pjsip.conf"
NAT_ADDRESSES = ("external_signaling_address", "external_media_address")
NAT_VALUES = (*NAT_ADDRESSES, "local_net")


def nat_section(values: Mapping[str, str]) -> str:
    given = {name: values.get(name, "").strip() for name in NAT_VALUES}
    if not any(given.values()):
        return ""
    for name, other in (NAT_ADDRESSES, NAT_ADDRESSES[::-1]):
        if given[name] and not given[other]:
            raise ConfigError(other, f"behind NAT set both {name} and {other} "
                              "(1:1 NAT: the same public address)")
    nets = [net.strip() for net in given["local_net"].split(",") if net.strip()]
    settings = [(name, given[name]) for name in NAT_ADDRESSES if given[name]]
    settings += [("local_net", net) for net in nets]
    lines = "".join(render_text(f"{name} = @{name}@\n", {name: value}, NAT_FILE)
                    for name, value in settings)
    return ("\n; Behind NAT (lifeline asterisk-config --set external_signaling_address=...)\n"
            f"[transport-udp](+)\n{lines}")


# The outbound trunk's account (asterisk-conf/pjsip.conf, [carrier-out]): kept out of the
# shipped files and out of every other rendered file, in one only its owner reads.
TRUNK_FILE = "pjsip_trunk.conf"
TRUNK_VALUES = ("trunk_user", "trunk_password")
_TRUNK = """; Written by `lifeline asterisk-config`: the outbound trunk's account. Keep it private.
[carrier-out](+)
from_user = @trunk_user@
outbound_auth = carrier-out-auth

[carrier-out-auth]
type = auth
auth_type = userpass
username = @trunk_user@
password = @trunk_password@
"""


def write_trunk(out_dir: Path, values: Mapping[str, str]) -> Path:
    """pjsip_trunk.conf, readable by its owner alone (Asterisk's user in the image)."""
    text = render_text(_TRUNK, {name: values.get(name, "") for name in TRUNK_VALUES},
                       TRUNK_FILE)
    for name in TRUNK_VALUES:
        if not values.get(name, "").strip():
            raise ConfigError(name, "the outbound trunk needs both trunk_user and trunk_password")
    target = out_dir / TRUNK_FILE
    target.touch(mode=0o600)
    target.chmod(0o600)
    target.write_text(text)
    return target


def directories(base: str) -> dict[str, str]:
    """Asterisk's directories for an instance whose private files live under base."""
    return {
        "astetcdir": f"{base}/etc",
        "astvarlibdir": f"{base}/lib",
        "astspooldir": f"{base}/spool",
        "astrundir": f"{base}/run",
        "astlogdir": f"{base}/log",
    }
