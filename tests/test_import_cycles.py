"""No import cycle inside lifeline_pbx. Pure AST: nothing is imported or run.

Every import counts, also those under `if TYPE_CHECKING:` and inside functions: a cycle
hidden that way still ties the modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lifeline_pbx"

def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that this module imports (by name)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    found.add(full)  # from package import module
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(frozenset(group))
    return found


def package_cycles(root: Path) -> list[frozenset[str]]:
    known = modules(root)
    return cycles({name: imported(name, path, known) for name, path in known.items()})


def test_no_import_cycle_in_the_package() -> None:
    found = [sorted(group) for group in package_cycles(PACKAGE)]
    assert found == [], f"import cycles: {found}"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("files, expected", [
    ({"a.py": "import pkg.b\n", "b.py": "from pkg import a\n"}, [{"pkg.a", "pkg.b"}]),
    ({"a.py": "from .b import x\n", "b.py": "from . import c\n", "c.py": "from .a import y\n"},
     [{"pkg.a", "pkg.b", "pkg.c"}]),
    ({"a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
      "b.py": "def f():\n    from pkg.a import x\n"}, [{"pkg.a", "pkg.b"}]),
    ({"sub/__init__.py": "from .c import x\n", "sub/c.py": "from ..a import y\n",
      "a.py": "from pkg.sub import c\n"}, [{"pkg.a", "pkg.sub.c"}]),
    ({"a.py": "import pkg.b\n", "b.py": "import os\n"}, []),
], ids=["import-and-from", "relative-three", "type-checking-and-local", "subpackage", "none"])
def test_the_check_finds_cycles(tmp_path: Path, files: dict[str, str],
                                expected: list[set[str]]) -> None:
    assert [set(group) for group in package_cycles(_package(tmp_path, files))] == expected
