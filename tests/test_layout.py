"""The house rules of the code: no import cycles, no Streamlit in `analysis/`, stages that declare what they do."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.pipeline import STAGES, Stage, check_stages
from analysis.settings import ROOT

PACKAGE = ROOT / "analysis"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of `analysis` the file imports, at any level (function-level imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        # a package's own __init__ is imported on the way to any of its modules: that is no cycle
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = _imports(path, modules) - {name} - ancestors
    return graph


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_graph_sees_imports() -> None:
    graph = _graph()
    assert "analysis.stages.actors" in graph["analysis.pipeline"]
    assert "analysis.models.stance" in graph["analysis.stages.stance"]  # a function-level import


def test_analysis_never_imports_streamlit() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_stages_are_modules_of_the_stages_package() -> None:
    for stage in STAGES:
        assert stage.run.__module__.startswith(f"analysis.stages.{stage.name}"), stage


def test_stage_declarations_are_checked() -> None:
    check_stages()
    swapped = (STAGES[0], STAGES[3], STAGES[2], *STAGES[4:])  # stance before statements
    with pytest.raises(RuntimeError, match="needs statements"):
        check_stages(swapped)
    with pytest.raises(RuntimeError, match="no stage adds"):
        check_stages(STAGES[:-1])
    twice = Stage("again", STAGES[1].run, needs={}, adds={"countries": ("iso3",)})
    with pytest.raises(RuntimeError, match="adds countries"):
        check_stages((*STAGES, twice))


def test_a_stage_must_add_exactly_what_it_declares() -> None:
    from analysis.pipeline import run_stages
    from analysis.stages.article import Article

    article = Article("0123456789abcdef", "Text.")

    def countries() -> dict:
        return {"countries": [{"iso3": "FRA", "name": "France"}]}

    honest = Stage("countries", countries, needs={}, adds={"countries": ("iso3", "name")})
    tables = run_stages(article, stages=(honest,))
    assert tables["countries"]["name"].tolist() == ["France"] and tables["actors"].empty
    sloppy = Stage("countries", countries, needs={}, adds={"countries": ("iso3",)})
    with pytest.raises(RuntimeError, match="does not declare"):
        run_stages(article, stages=(sloppy,))
