"""The settings and the files they name: do they load, are the keys sound, who may read them.

The settings file holds the data keys, the lookup key and the database password: nobody
but the service's user (and its group, read-only) may read it. Anyone who may write into
the prompts folder decides what callers hear.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lifeline_pbx import config
from lifeline_pbx.doctor.report import Check
from lifeline_pbx.errors import ConfigError

PRIVATE_MASK = 0o027  # group write, anything for others
MIN_DISTINCT_BYTES = 16  # 32 random bytes have about 30 different values


@dataclass(frozen=True)
class PathFacts:
    path: str
    exists: bool
    is_dir: bool = False
    mode: int = 0


@dataclass(frozen=True)
class Facts:
    problem: str  # why the settings do not load; "" when they do
    data_keys: tuple[tuple[str, bytes], ...] = ()
    lookup_key: bytes = b""
    settings_file: PathFacts | None = None  # None: the environment alone
    prompts: PathFacts | None = None
    prompts_named_local: bool = False  # prompts_local_dir was set: the folder must be here


def checks(f: Facts) -> list[Check]:
    results = [Check("the settings load", not f.problem, f.problem,
                     "set it in the settings file (LIFELINE_CONFIG) or as LIFELINE_<NAME>; "
                     "`lifeline keys new` makes a key")]
    if f.settings_file is not None and f.settings_file.exists:
        results.append(_private(f.settings_file))
    if f.problem:
        return results
    results += [_distinct(f), _random(f)]
    if f.prompts is not None:
        results.append(_prompts(f.prompts, f.prompts_named_local))
    return results


def _private(p: PathFacts) -> Check:
    loose = p.mode & PRIVATE_MASK
    return Check(f"only the service may read the settings file {p.path}", not loose,
                 f"its mode is {p.mode & 0o777:04o}: it holds the keys and the database "
                 "password", f"chmod 600 {p.path} (or 640 for the service's group)")


def _distinct(f: Facts) -> Check:
    keys = [(kid, key) for kid, key in f.data_keys] + [("lookup_key", f.lookup_key)]
    same = [f"{a} and {b}" for i, (a, x) in enumerate(keys) for b, y in keys[i + 1:] if x == y]
    return Check("the data keys and the lookup key are all different", not same,
                 "the same key is used as " + "; ".join(same),
                 "make each with `lifeline keys new`; replace a data key by rotation "
                 "(docs/operations.md), never in place")


def _random(f: Facts) -> Check:
    keys = [(kid, key) for kid, key in f.data_keys] + [("lookup_key", f.lookup_key)]
    weak = [name for name, key in keys if len(set(key)) < MIN_DISTINCT_BYTES]
    return Check("the keys look random", not weak,
                 "too few different bytes to be random (a placeholder?): " + ", ".join(weak),
                 "make keys with `lifeline keys new`; replace a data key by rotation")


def _prompts(p: PathFacts, named_local: bool) -> Check:
    if not p.exists:
        return Check(f"the prompts folder {p.path} is here", not named_local,
                     "prompts_local_dir names it but it does not exist",
                     "mount Asterisk's prompts folder there, or unset prompts_local_dir")
    loose = not p.is_dir or p.mode & 0o002
    return Check(f"only the service may change the prompts in {p.path}", not loose,
                 "it is not a directory" if not p.is_dir else
                 f"anyone may write into it (mode {p.mode & 0o777:04o}) and change what "
                 "callers hear", f"chmod o-w {p.path}")


def _path(path: Path) -> PathFacts:
    try:
        st = path.stat()
    except FileNotFoundError:
        return PathFacts(str(path), False)
    return PathFacts(str(path), True, stat.S_ISDIR(st.st_mode), st.st_mode)


def gather(path: Path | None, environ: Mapping[str, str] | None = None
           ) -> tuple[Facts, config.Config | None]:
    env = os.environ if environ is None else environ
    named = path or (Path(env["LIFELINE_CONFIG"]) if "LIFELINE_CONFIG" in env else None)
    settings_file = _path(named) if named is not None else None
    try:
        cfg = config.load(path, environ)
    except ConfigError as exc:
        return Facts(str(exc), settings_file=settings_file), None
    prompts = _path(Path(cfg.prompts_local_dir or cfg.prompts_dir))
    return Facts("", cfg.data_keys, cfg.lookup_key, settings_file, prompts,
                 bool(cfg.prompts_local_dir)), cfg
