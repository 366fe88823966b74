"""How an operator is named to other staff (the console's transfer list, its words on how a
call ended or was cut off). Pure."""

from __future__ import annotations

from collections.abc import Mapping


def operator_name(username: str, names: Mapping[str, str]) -> str:
    """Their display name, with their SIP username when another operator has the same name;
    the username when no name is known. names: SIP username -> display name."""
    name = names.get(username, "")
    if not name:
        return username
    twins = [u for u, n in names.items() if n == name]
    return f"{name} ({username})" if len(twins) > 1 else name
