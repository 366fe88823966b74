"""What an operator types into a softphone: server, port, transport, username, realm.

Shown with a SIP secret, once, by the admin pages and `lifeline operator`. The server is
the `sip_address` setting when set (the address phones reach Asterisk at, which the app
cannot know behind NAT), else the host the admin's browser reached the web UI by, on
SIP's usual port.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifeline_pbx.operators.sip_credentials import SIP_REALM

SIP_PORT = 5060
TRANSPORT = "UDP"  # asterisk-conf/pjsip.conf's only transport


@dataclass(frozen=True)
class Settings:
    server: str
    port: int
    transport: str
    username: str
    realm: str = SIP_REALM


def split_address(address: str) -> tuple[str, int]:
    """`host`, `host:port` or `[v6]:port` -> (host, port); the port is 5060 when absent."""
    text = address.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    return host, int(port) if port.isdigit() and 0 < int(port) < 65536 else SIP_PORT


def settings(username: str, sip_address: str, browser_host: str) -> Settings:
    """The softphone settings for this operator. browser_host: the web request's host."""
    if sip_address.strip():
        server, port = split_address(sip_address)
    else:
        server, port = split_address(browser_host)[0] or "this server's address", SIP_PORT
    return Settings(server, port, TRANSPORT, username)
