"""The code's structure: no import cycles inside qnb (counting imports inside functions and
``TYPE_CHECKING`` blocks), modules of one job, and a layout whose file names answer where
things happen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qnb"
MAX_LINES = 400  # a longer module says why at its top (a line starting "Longer than 400")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module of qnb that ``path`` imports anywhere: at the top, inside functions, and
    under ``TYPE_CHECKING`` (a type's import is a dependency too). ``from X import name``
    counts as an import of ``X.name`` when that is a module, else of ``X``."""
    modules = {module_name(p, root) for p in root.rglob("*.py")}
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == root.name}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != root.name:
                continue
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules
                          else target)
    return {m for m in found if m in modules and m != name}


def import_cycles(root: Path) -> list[list[str]]:
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = {name: all_imports(path, root) for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_the_check_finds_cycles_at_the_top_inside_functions_and_for_types(tmp_path):
    pkg = tmp_path / "qnb"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("x = 1\ndef f():\n    from qnb import a\n")  # hidden in a body
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .sub import d\n")
    (pkg / "sub" / "d.py").write_text("from .. import c\n")
    (pkg / "e.py").write_text("from . import a\n")  # depends on a cycle, is not in one
    assert import_cycles(pkg) == [["qnb.a", "qnb.b", "qnb.a"], ["qnb.c", "qnb.sub.d", "qnb.c"]]


def test_no_import_cycles_anywhere_in_qnb():
    cycles = import_cycles(PACKAGE)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_over_400_lines_without_a_reason_at_its_top():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "labextension" in path.parts:
            continue
        text = path.read_text()
        doc = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and "Longer than 400 lines" not in doc:
            long.append(f"{path.relative_to(PACKAGE.parent)} ({text.count(chr(10))} lines)")
    assert not long, "modules over 400 lines without a reason: " + ", ".join(long)


def test_file_names_say_where_things_happen():
    """The questions a newcomer asks, answered by a path (the README's table says more)."""
    for path in ("store/transitions.py",      # where a status changes
                 "store/sql/claims.py",       # where a job is claimed
                 "runner/worker.py",          # the loop that claims and runs local jobs
                 "backends/registry.py",      # where a backend is chosen
                 "notebook/render.py",        # where a result is drawn (static)
                 "notebook/charts.py",        # ... and its charts
                 "notebook/widgets.py",       # ... and the live widget
                 "primitives/pubs.py",        # where a PUB is checked
                 "inputs.py",                 # what a submit was given
                 "store/contract.py"):        # what every store does
        assert (PACKAGE / path).is_file(), path


def test_the_store_package_alone_speaks_sql():
    """Nothing outside qnb/store imports sqlite3 or a database driver."""
    leaks = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "labextension" in path.parts or (PACKAGE / "store") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            leaks += [f"{path.relative_to(PACKAGE.parent)}: {n}" for n in names
                      if n.split(".")[0] in ("sqlite3", "psycopg", "psycopg_pool")]
    assert not leaks, leaks
