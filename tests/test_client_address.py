"""The client's address: X-Forwarded-For is believed only from a trusted proxy, from the right."""

from __future__ import annotations

import ipaddress

import pytest

from lifeline_pbx.web.client_address import Network, client_address

PROXIES: list[Network] = [ipaddress.ip_network("10.0.0.0/24"),
                          ipaddress.ip_network("fd00::/64")]


@pytest.mark.parametrize("peer, headers, client", [
    ("192.0.2.5", [], "192.0.2.5"),
    ("192.0.2.5", ["203.0.113.9"], "192.0.2.5"),  # not a proxy of ours: header ignored
    ("10.0.0.1", [], "10.0.0.1"),  # the proxy itself (a health check)
    ("10.0.0.1", ["203.0.113.9"], "203.0.113.9"),
    ("10.0.0.1", ["198.51.100.1, 203.0.113.9"], "203.0.113.9"),  # left part is the client's
    ("10.0.0.1", ["203.0.113.9, 10.0.0.2"], "203.0.113.9"),  # two proxies of ours
    ("10.0.0.1", ["198.51.100.1", "203.0.113.9, 10.0.0.2"], "203.0.113.9"),  # several headers
    ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # only proxies: the farthest
    ("10.0.0.1", ["203.0.113.9, not-an-address"], "10.0.0.1"),  # garbage: stop at our proxy
    ("10.0.0.1", ["203.0.113.9, "], "203.0.113.9"),  # an empty entry is skipped
    ("10.0.0.1", ["203.0.113.9:51234"], "203.0.113.9"),  # with a port
    ("10.0.0.1", ["[2001:db8::7]:443"], "2001:db8::7"),
    ("10.0.0.1", ["2001:db8::7"], "2001:db8::7"),
    ("fd00::1", ["203.0.113.9"], "203.0.113.9"),  # an IPv6 proxy
    ("::ffff:10.0.0.1", ["203.0.113.9"], "203.0.113.9"),  # IPv4 seen through an IPv6 socket
    ("::ffff:192.0.2.5", [], "192.0.2.5"),
    ("10.0.1.1", ["203.0.113.9"], "10.0.1.1"),  # just outside the trusted network
    (None, ["203.0.113.9"], "unknown"),  # a Unix socket
])
def test_client_address(peer: str | None, headers: list[str], client: str) -> None:
    assert client_address(peer, headers, PROXIES) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("10.0.0.1", ["203.0.113.9"], []) == "10.0.0.1"
