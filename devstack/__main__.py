"""`python -m devstack up`: the whole hotline on this machine with demo data (`./dev.sh up`).
`python -m devstack asterisk-root [DIR]`: only the Asterisk 22 root, for a server
(`./dev.sh asterisk-root`; deploy/systemd/lifeline-asterisk.service runs it)."""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from lifeline_pbx import logs


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m devstack", description="Lifeline PBX demo stack")
    sub = top.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="provision and run everything on this machine")
    up.add_argument("--sip-bind", default="0.0.0.0")  # noqa: S104 - softphones must reach it
    up.add_argument("--sip-port", type=int, default=5060)
    up.add_argument("--web-port", type=int, default=8080)
    up.add_argument("--web-bind", default="127.0.0.1",
                    help="address the web UI listens on (plain HTTP: keep it on loopback)")
    root = sub.add_parser("asterisk-root",
                          help="build an Asterisk 22 root (once) for a server and print its path")
    root.add_argument("dir", nargs="?", default=None,
                      help="where (default: the service's, /var/lib/lifeline-pbx/asterisk-root)")
    return top


def root_dir(given: str | None) -> Path:
    """Where `asterisk-root` builds: the directory given, else the service's root."""
    from devstack.asterisk import SERVICE_ROOT

    return Path(given).absolute() if given else SERVICE_ROOT


def main(argv: list[str] | None = None) -> None:
    logs.install(os.environ.get("LIFELINE_LOG_FORMAT", "text").strip().lower())
    args = parser().parse_args(argv)
    if args.command == "asterisk-root":
        from devstack.asterisk import built_root

        print(built_root(root_dir(args.dir)))
        return
    from devstack.stack import run_stack

    with contextlib.suppress(KeyboardInterrupt):
        run_stack(sip_bind=args.sip_bind, sip_port=args.sip_port, web_port=args.web_port,
                  web_bind=args.web_bind)


if __name__ == "__main__":
    main()
