"""Views parse, call one of the feature's functions, and render: no SQL and no transaction
in them, and one service call per view.

Pure AST, nothing imported: every module web/routes.py registers routes from is read for
the calls that only a store module or a unit of work should make, and for view functions
that await more than one call.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lifeline_pbx"
ROUTES = PACKAGE / "web" / "routes.py"
SQL_CALLS = {"fetch", "fetchrow", "fetchval", "execute", "executemany", "transaction",
             "copy_records_to_table", "copy_from_query", "copy_to_table"}
# Awaits that are a view's own work, not a service call: reading the request's body, and
# writing a streamed or WebSocket response.
VIEW_OWN = {"form_data", "json_object", "upload_body", "post", "json", "text", "read", "multipart",
            "prepare", "write", "drain", "write_eof", "send_json", "send_str", "send_bytes"}


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


def awaited(node: ast.Await) -> str:
    call = node.value.func if isinstance(node.value, ast.Call) else node.value
    if isinstance(call, ast.Attribute):
        return call.attr
    return call.id if isinstance(call, ast.Name) else ast.dump(call)


def views_with_many_calls(path: Path) -> list[str]:
    """View functions (and the helpers they share: async, the request first) awaiting more
    than one call besides reading the request and writing the response, closures included
    (a nested `async def` is the view's too)."""
    found = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(fn, ast.AsyncFunctionDef) and fn.args.args
                and fn.args.args[0].arg == "request"):
            continue
        calls = [name for node in ast.walk(fn) if isinstance(node, ast.Await)
                 if (name := awaited(node)) not in VIEW_OWN]
        if len(calls) > 1:
            found.append(f"{path.parent.name}/{path.name}:{fn.lineno} {fn.name} {calls}")
    return found


def test_every_feature_module_is_read() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in feature_modules()}
    assert {"cases/views.py", "web/login.py", "cases/pages.py", "web/health.py",
            "voicemail/views.py", "recordings/views.py", "admin/reference_views.py",
            "admin/facility_views.py", "admin/line_views.py", "admin/queue_views.py",
            "admin/operator_views.py", "prompts/views.py", "transfers/views.py"} <= names
    assert len(names) == 37


def test_no_view_runs_sql_or_opens_a_transaction() -> None:
    assert [call for path in feature_modules() for call in sql_calls(path)] == []


def test_each_view_makes_one_service_call() -> None:
    """A page's reads, a save with the choices its refused form shows again: one function
    of the feature each (docs/decisions.md, "One service call per view")."""
    assert [view for path in feature_modules() for view in views_with_many_calls(path)] == []


def test_the_one_call_check_sees_a_second_call(tmp_path: Path) -> None:
    view = tmp_path / "views.py"
    view.write_text(
        "async def save(request):\n"
        "    data = await form_data(request)\n"
        "    async with request.app[POOL].acquire() as con:\n"
        "        saved = await work.save(con, data)\n"
        "    return render(request, 'page.html', saved=saved)\n"
        "async def page(request):\n"
        "    async with request.app[POOL].acquire() as con:\n"
        "        found = await work.listing(con)\n"
        "        async def again():\n"
        "            return await pick_lists.users(con)\n"
        "        return render(request, 'page.html', found=found, users=await again())\n"
        "async def _send(ws, request):\n"
        "    await ws.send_json(await hub.state())\n"
        "    await ws.close()\n")
    assert views_with_many_calls(view) == [
        f"{tmp_path.name}/views.py:6 page ['listing', 'users', 'again']"]


def test_the_check_sees_sql(tmp_path: Path) -> None:
    view = tmp_path / "views.py"
    view.write_text("async def page(con):\n    async with con.transaction():\n"
                    "        return await con.fetchval('SELECT 1')\n")
    assert sorted(sql_calls(view)) == [f"{tmp_path.name}/views.py:2 .transaction()",
                                       f"{tmp_path.name}/views.py:3 .fetchval()"]
