"""The code's structure: no module-level import cycles inside qnb."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qnb"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Modules of qnb imported when ``path`` is imported (not inside functions or
    ``TYPE_CHECKING`` blocks)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("qnb")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("qnb"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
    return found


def import_cycles(root: Path) -> list[list[str]]:
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = {name: {m for m in top_level_imports(path, root) if m in modules and m != name}
             for name, path in modules.items()}
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


def test_the_check_finds_a_cycle(tmp_path):
    pkg = tmp_path / "qnb"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("from qnb import a\nx = 1\n")
    (pkg / "c.py").write_text("def f():\n    from . import a\n")  # inside a function: fine
    assert import_cycles(pkg) == [["qnb.a", "qnb.b", "qnb.a"]]


def test_no_module_level_import_cycles():
    cycles = import_cycles(PACKAGE)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
