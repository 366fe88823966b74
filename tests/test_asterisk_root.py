"""The chrooted Asterisk root answers localhost and its own host name from /etc/hosts, not
from DNS (issue 11: without the file, a slow resolver stalled SIP for seconds); a server's
root is built where its service runs it, apart from the one the demo and the tests share."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from devstack import __main__ as devstack_main
from devstack import asterisk


def test_hosts_text_names_localhost_and_the_machine() -> None:
    lines = [line.split() for line in asterisk.hosts_text("pbx-1").splitlines()]
    assert ["127.0.0.1", "localhost"] in lines
    assert ["127.0.1.1", "pbx-1"] in lines


def test_the_root_resolves_its_names_from_its_hosts_file(
    asterisk_runtime: asterisk.Runtime,
) -> None:
    if not asterisk_runtime.chrooted:
        pytest.skip("a system Asterisk uses the machine's own /etc/hosts")
    hosts = asterisk_runtime.host_path("/etc/hosts").read_text()
    assert hosts == asterisk.hosts_text(socket.gethostname())
    # getent follows the root's nsswitch.conf (files, then dns): an answer from the file.
    for name, address in ((socket.gethostname(), "127.0.1.1"), ("localhost", "127.0.0.1")):
        found = subprocess.run(
            ["chroot", str(asterisk_runtime.root), "getent", "ahostsv4", name],
            capture_output=True, text=True, timeout=10, check=True).stdout
        assert found.split()[0] == address, found


@pytest.mark.parametrize(("argv", "root"), [
    (["asterisk-root"], asterisk.SERVICE_ROOT),
    (["asterisk-root", "/srv/pbx-root"], Path("/srv/pbx-root")),
    (["asterisk-root", "pbx-root"], Path.cwd() / "pbx-root"),
])
def test_asterisk_root_builds_the_service_root_unless_told_where(
        argv: list[str], root: Path) -> None:
    """`./dev.sh asterisk-root [DIR]`: a server's root, never the cached one the demo and
    the tests share and rebuild (deploy/systemd/lifeline-asterisk.service runs SERVICE_ROOT)."""
    args = devstack_main.parser().parse_args(argv)
    assert devstack_main.root_dir(args.dir) == root
    assert not asterisk.SERVICE_ROOT.is_relative_to(asterisk.DEFAULT_CACHE)
