"""Every `lifeline` command's --help says what it does and which settings it reads (a
backup's timer needs admin_database_url, not the data keys)."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Iterator

import pytest

from lifeline_pbx import cli, config
from lifeline_pbx.cli_settings import READS, reads
from tests import cli_run

HELP = {
    # command -> words its --help must hold
    "backup": ("admin_database_url", "no data key"),
    "restore": ("admin_database_url", "no data key"),
    "migrate": ("Bring the database schema up to date", "admin_database_url (else "
                "database_url)"),
    "serve": ("Run the ARI app", "every setting"),
    "db app-role": ("admin_database_url",),
    "keys rotate": ("data_keys and lookup_key",),
    "keys new": ("Settings read: none",),
    "user add": ("database_url only",),
    "line add": ("prompts_local_dir",),
    "doctor": ("names each one that is missing or wrong",),
    "asterisk-config": ("--set-file",),
}


@pytest.mark.parametrize("command", HELP)
def test_a_command_s_help_says_which_settings_it_reads(command: str) -> None:
    code, out = cli_run.lifeline_here(*command.split(), "--help", env={})
    assert code == 0
    text = " ".join(out.split())  # as argparse wraps it
    assert all(word in text for word in HELP[command]), text


def subcommands(parser: argparse.ArgumentParser, path: str = ""
                ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{path} {name}".strip(), sub
                yield from subcommands(sub, f"{path} {name}".strip())


def test_every_command_has_a_description_and_every_leaf_its_settings() -> None:
    found = dict(subcommands(cli.parser()))
    assert len(found) > 50
    for command, sub in found.items():
        assert sub.description and len(sub.description) > 10, command
        leaf = not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        if leaf:
            assert reads(command) is not None, f"{command}: which settings does it read?"
            assert "Settings read: " in sub.description, command


def test_the_settings_table_names_real_commands_and_real_settings() -> None:
    """Each READS entry starts a command, and each setting it names (a snake_case word) is
    a setting of config.Config: a renamed command or setting is not left behind in it."""
    commands = set(dict(subcommands(cli.parser())))
    settings = {item.name for item in dataclasses.fields(config.Config)}
    for command, said in READS.items():
        assert command in commands, command
        named = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", said))
        assert named <= settings, (command, named - settings)
