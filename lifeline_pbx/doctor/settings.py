"""The settings and the files they name: do they load, are the keys sound, who may read them.

The settings file holds the data keys, the lookup key and the database password: nobody
but the service's user (and its group, read-only) may read it. The prompts folder is
checked in doctor/prompts.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lifeline_pbx import config
from lifeline_pbx.doctor import prompts as prompts_folder
from lifeline_pbx.doctor.report import Check
from lifeline_pbx.errors import ConfigError

PRIVATE_MASK = 0o027  # group write, anything for others
MIN_DISTINCT_BYTES = 16  # 32 random bytes have about 30 different values
KEY_SETTINGS = ("data_keys", "lookup_key")
MANIFEST = ("after a restore: the keys the backup was made with, whose ids its manifest.json "
            "lists as data_key_ids")


@dataclass(frozen=True)
class PathFacts:
    path: str
    exists: bool
    mode: int = 0


@dataclass(frozen=True)
class Facts:
    problem: str  # why the settings do not load; "" when they do
    problem_setting: str = ""  # the setting (or LIFELINE_<NAME>_FILE) it is about
    sealed: Mapping[str, int] | None = None  # key id -> values sealed in the database
    data_keys: tuple[tuple[str, bytes], ...] = ()
    lookup_key: bytes = b""
    settings_file: PathFacts | None = None  # None: the environment alone
    prompts: prompts_folder.Facts | None = None


def checks(f: Facts) -> list[Check]:
    results = [Check("the settings load", not f.problem, f.problem,
                     load_fix(f.problem_setting, f.sealed))]
    if f.settings_file is not None and f.settings_file.exists:
        results.append(_private(f.settings_file))
    if f.problem:
        return results
    results += [_distinct(f), _random(f)]
    if f.prompts is not None:
        results += prompts_folder.checks(f.prompts)
    return results


def load_fix(setting: str, sealed: Mapping[str, int] | None) -> str:
    """How to put right the setting that did not load. A key: the ones the database was
    sealed with, when it holds sealed values (None: it could not be looked at)."""
    if setting.endswith(config.FILE_SUFFIX):
        return (f"give the secret one way: {setting.removesuffix(config.FILE_SUFFIX)}, or "
                f"{setting} naming a file the service's user may read")
    if setting not in KEY_SETTINGS:
        return "set it in the settings file (LIFELINE_CONFIG) or as LIFELINE_<NAME>"
    if sealed == {}:
        return ("nothing in the database is sealed yet: `lifeline keys new` makes a key "
                "(data_keys takes it as id:key)")
    if setting == "lookup_key":
        return ("configure the lookup_key the records were written with, kept with the data "
                "keys: a new one does not find the people already recorded")
    if sealed is None:
        return (f"configure the keys the database was sealed with, as id:key ({MANIFEST}); "
                "only for a new, empty database make one with `lifeline keys new`")
    return (f"the database holds values sealed under {', '.join(sorted(sealed))}: configure "
            f"those keys as id:key in data_keys ({MANIFEST}); a new key cannot open them")


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


def _path(path: Path) -> PathFacts:
    try:
        st = path.stat()
    except FileNotFoundError:
        return PathFacts(str(path), False)
    return PathFacts(str(path), True, st.st_mode)


def gather(path: Path | None, environ: Mapping[str, str] | None = None
           ) -> tuple[Facts, config.Config | None]:
    env = os.environ if environ is None else environ
    named = path or (Path(env["LIFELINE_CONFIG"]) if "LIFELINE_CONFIG" in env else None)
    settings_file = _path(named) if named is not None else None
    try:
        cfg = config.load(path, environ)
    except ConfigError as exc:
        return Facts(str(exc), exc.setting, settings_file=settings_file), None
    folder = prompts_folder.gather(cfg.prompts_local_dir or cfg.prompts_dir,
                            "prompts_local_dir" if cfg.prompts_local_dir else "prompts_dir",
                            named)
    return Facts("", data_keys=cfg.data_keys, lookup_key=cfg.lookup_key,
                 settings_file=settings_file, prompts=folder), cfg
