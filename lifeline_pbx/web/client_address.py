"""Who is at the other end: the TCP peer, or, when the peer is a proxy we were told to trust
(setting `trusted_proxies`), the address that proxy saw.

X-Forwarded-For is read from the right: each trusted proxy appends the address it received
the request from, so the first untrusted address from the right is the client. Anything
further left was written by the client and could be anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from lifeline_pbx.resources import CONFIG

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HEADER = "X-Forwarded-For"


def _parse(text: str) -> IP | None:
    """An address as proxies write it: bare, '[v6]:port' or 'v4:port'; None if not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   trusted: Sequence[Network]) -> str:
    """The client's address, from the peer and every X-Forwarded-For header, in order."""
    address = _parse(peer) if peer else None
    if address is None:
        return peer or "unknown"  # a Unix socket: no address to speak of
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while hops and any(address in network for network in trusted):
        hop = _parse(hops.pop())
        if hop is None:  # not written by a proxy of ours: the last one we trust is all we know
            break
        address = hop
    return str(address)


def of(request: web.Request) -> str:
    return client_address(request.remote, request.headers.getall(HEADER, []),
                          request.app[CONFIG].trusted_proxies)
