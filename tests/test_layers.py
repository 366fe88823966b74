"""Views parse, call the feature's functions, and render: no SQL and no transaction in them.

Pure AST, nothing imported: every module web/routes.py registers routes from is read for
the calls that only a store module or a unit of work should make.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lifeline_pbx"
ROUTES = PACKAGE / "web" / "routes.py"
SQL_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "transaction",
             "copy_records_to_table", "copy_from_query", "copy_to_table"}


def feature_modules() -> list[Path]:
    """The files of the lifeline_pbx modules that web/routes.py imports."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(ROUTES.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lifeline_pbx"):
            base = PACKAGE.parent.joinpath(*str(node.module).split("."))
            found |= {base / f"{alias.name}.py" for alias in node.names
                      if (base / f"{alias.name}.py").exists()}
            if base.with_suffix(".py").exists():
                found.add(base.with_suffix(".py"))
    return sorted(found - {ROUTES})


def sql_calls(path: Path) -> list[str]:
    return [f"{path.parent.name}/{path.name}:{node.lineno} .{node.func.attr}()"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS]


def test_every_feature_module_is_read() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in feature_modules()}
    assert {"cases/views.py", "web/login.py", "cases/pages.py", "web/health.py",
            "voicemail/views.py", "admin/reference_views.py", "admin/queue_views.py",
            "admin/operator_views.py"} <= names
    assert len(names) == 20


def test_no_view_runs_sql_or_opens_a_transaction() -> None:
    assert [call for path in feature_modules() for call in sql_calls(path)] == []


def test_the_check_sees_sql(tmp_path: Path) -> None:
    view = tmp_path / "views.py"
    view.write_text("async def page(con):\n    async with con.transaction():\n"
                    "        return await con.fetchval('SELECT 1')\n")
    assert sorted(sql_calls(view)) == [f"{tmp_path.name}/views.py:2 .transaction()",
                                       f"{tmp_path.name}/views.py:3 .fetchval()"]
