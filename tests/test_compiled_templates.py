"""Templates are compiled once per process, not once per app (web/compiled_templates.py)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from lifeline_pbx.web.compiled_templates import CompiledTemplates


def environment(cache: CompiledTemplates, directory: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=True,
                              bytecode_cache=cache)


def test_a_second_app_reuses_the_code_and_a_changed_template_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "page.html").write_text("<p>{{ name }}</p>")
    cache = CompiledTemplates()
    assert environment(cache, tmp_path).get_template("page.html").render(name="<b>") == (
        "<p>&lt;b&gt;</p>")

    second = environment(cache, tmp_path)
    monkeypatch.setattr(second, "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert second.get_template("page.html").render(name="x") == "<p>x</p>"

    (tmp_path / "page.html").write_text("<div>{{ name }}</div>")
    monkeypatch.undo()
    assert environment(cache, tmp_path).get_template("page.html").render(name="y") == (
        "<div>y</div>")
