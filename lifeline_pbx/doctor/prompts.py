"""The prompts folder the app reads (prompts_local_dir, else prompts_dir, as `lifeline serve`
does): is it here, and may only the service change it? Whoever may write into it, into a
language's subfolder or over a prompt's file decides what callers hear.

The service is the user doctor runs as (its settings are private to the service's user),
root, and the owner and group of the settings file when there is one (doctor run as root),
and every user whose primary group is that group: the README's install makes the settings
file root:lifeline and the prompts folder user lifeline's (`useradd --system lifeline`).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lifeline_pbx.doctor.report import Check

SHOWN = 3  # paths named per problem; the rest counted


@dataclass(frozen=True)
class Entry:
    path: str  # "." for the folder itself, else relative to it: "en", "en/greeting.wav"
    mode: int
    uid: int
    gid: int


@dataclass(frozen=True)
class Facts:
    path: str
    setting: str  # the setting that names it
    exists: bool
    is_dir: bool = False
    entries: tuple[Entry, ...] = ()  # the folder, every subfolder and file in it (no links)
    service_uids: frozenset[int] = frozenset({0})
    service_gids: frozenset[int] = frozenset({0})
    service: str = "root:root"  # user:group, for chown


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class Service:
    uids: frozenset[int]
    gids: frozenset[int]
    owner: Owner  # whom a chown gives the folder to


def service(runs_as: Owner, settings_file: Owner | None, users: Iterable[Owner],
            folder: Owner) -> Service:
    """Who the service is, given who doctor runs as, who owns the settings file, every user
    (uid, primary group) and who owns the folder. A chown gives the folder to the app's user
    (not root: the app writes uploads into it), keeping its owner when that is the service:
    taking it from the app's user would break prompt uploads."""
    owner = settings_file or runs_as
    in_group = sorted(u.uid for u in users if u.gid == owner.gid and u.uid != 0)
    uids = frozenset({0, runs_as.uid, owner.uid, *in_group})
    gids = frozenset({0, runs_as.gid, owner.gid})
    if folder.uid != 0 and folder.uid in uids:
        uid = folder.uid
    elif owner.uid == 0 and len(in_group) == 1:
        uid = in_group[0]
    else:
        uid = owner.uid
    return Service(uids, gids, Owner(uid, owner.gid))


def checks(f: Facts) -> list[Check]:
    here = Check(f"the prompts folder {f.path} is here", f.exists and f.is_dir,
                 f"{f.setting} names it but it is not a directory" if f.exists else
                 f"{f.setting} names it but it does not exist: the app cannot tell which "
                 "prompts are recorded, and prompt uploads are refused",
                 f"`lifeline prompts --out {f.path}` makes the prompts; if Asterisk runs on "
                 "another machine, mount its prompts folder here and set prompts_local_dir")
    return [here, _only_the_service(f)] if here.ok else [here]


def _only_the_service(f: Facts) -> Check:
    anyone = [f"{e.path} ({e.mode & 0o777:04o})" for e in f.entries if e.mode & 0o002]
    group = [f"{e.path} (gid {e.gid})" for e in f.entries
             if e.mode & 0o020 and e.gid not in f.service_gids]
    owner = [f"{e.path} (uid {e.uid})" for e in f.entries if e.uid not in f.service_uids]
    problems = [f"{what}: {_some(paths)}" for what, paths in (
        ("anyone may write", anyone), ("another group may write", group),
        ("owned by another user than the service's", owner)) if paths]
    fixes = ([f"chown -R {f.service} {f.path}"] if group or owner else []) + (
        [f"chmod -R o-w {f.path}"] if anyone else [])
    return Check(f"only the service may change the prompts in {f.path}", not problems,
                 "; ".join(problems) + " (and so change what callers hear)",
                 " && ".join(fixes))


def _some(paths: list[str]) -> str:
    more = f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


def gather(folder: str, setting: str, settings_file: Path | None) -> Facts:
    root = Path(folder)
    try:
        st = root.stat()
    except FileNotFoundError:
        return Facts(folder, setting, False)
    owner = None
    if settings_file is not None:
        try:
            file = settings_file.stat()
        except OSError:
            pass
        else:
            owner = Owner(file.st_uid, file.st_gid)
    users = (Owner(u.pw_uid, u.pw_gid) for u in pwd.getpwall())
    found = service(Owner(os.geteuid(), os.getegid()), owner, users,
                    Owner(st.st_uid, st.st_gid))
    return Facts(folder, setting, True, stat.S_ISDIR(st.st_mode),
                 _entries(root) if stat.S_ISDIR(st.st_mode) else (),
                 found.uids, found.gids, f"{_user(found.owner.uid)}:{_group(found.owner.gid)}")


def _entries(root: Path) -> tuple[Entry, ...]:
    found = []
    paths = [root] + [Path(d) / n for d, dirs, files in os.walk(root) for n in dirs + files]
    for path in paths:
        try:
            st = path.lstat()
        except OSError:
            continue  # gone meanwhile
        if not stat.S_ISLNK(st.st_mode):
            found.append(Entry(str(path.relative_to(root)), st.st_mode, st.st_uid, st.st_gid))
    return tuple(found)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
