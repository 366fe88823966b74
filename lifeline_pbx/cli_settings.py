"""Which settings each `lifeline` command reads, said in its --help: a sysadmin writing a
timer or a script gives it those and no more (a backup needs no data key)."""

from __future__ import annotations

import argparse

EVERY = "every setting, as lifeline serve reads them"
APP_DB = "database_url only"
ADMIN_DB = "admin_database_url only; no data key (sealed values are copied as they are)"

# command (or the start of one) -> the settings it reads; the longest match wins
READS = {
    "migrate": "admin_database_url (else database_url) only",
    "demo-data": APP_DB,
    "serve": "every setting (`lifeline config check` reads them the same way)",
    "config": EVERY,
    "asterisk-config": "none (the values come from --set and --set-file)",
    "prompts": "none",
    "keys new": "none",
    "keys rotate": "database_url, data_keys and lookup_key",
    "operator": APP_DB,
    "facility": APP_DB,
    "line": "database_url, and prompts_local_dir (else prompts_dir): the prompts a line plays",
    "queue": APP_DB,
    "user": APP_DB,
    "audit": APP_DB,
    "db": "admin_database_url only",
    "retention": APP_DB,
    "doctor": EVERY + "; it names each one that is missing or wrong",
    "language": EVERY,
    "prompt": EVERY,
    "backup": ADMIN_DB,
    "restore": ADMIN_DB,
}


def reads(command: str) -> str | None:
    """The settings `command` ("keys rotate") reads, None if the table does not say."""
    words = command.split()
    for end in range(len(words), 0, -1):
        found = READS.get(" ".join(words[:end]))
        if found is not None:
            return found
    return None


def describe(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Give every subcommand a description for its --help: its one-line help, and the
    settings it reads."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, sub in action.choices.items():
            command = f"{path} {name}".strip()
            said = sub.description or helps.get(name) or ""
            settings = reads(command)
            sub.description = (f"{said[:1].upper()}{said[1:]}."
                               + (f" Settings read: {settings}." if settings else ""))
            describe(sub, command)
