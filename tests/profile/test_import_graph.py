"""The profile package's modules import one another without cycles.

Every ``import`` inside hmmkit/profile counts, at module level or inside a function: a
deferred import hides a cycle from the interpreter, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hmmkit.profile

PACKAGE = Path(hmmkit.profile.__file__).parent
ROOT = "hmmkit.profile"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((ROOT, *parts))


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package modules `path` imports (``from .x import y`` naming a module y counts y)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if node.module:  # `from . import x` imports module x, not the package's names
                found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported_modules(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as a list of modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_holds_the_package_imports():
    graph = import_graph()
    assert f"{ROOT}.plan7" in graph[f"{ROOT}.config"]
    assert f"{ROOT}.digital" in graph[f"{ROOT}.msa"]


def test_no_import_cycle_inside_the_profile_package():
    graph = {name: deps for name, deps in import_graph().items() if not name == ROOT}
    # the package's __init__ re-exports the public names; nothing inside imports it
    assert all(ROOT not in deps for deps in graph.values())
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def private_imports() -> list[str]:
    """Every place a profile module takes another module's private (``_``) name."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                names = [a.name for a in node.names]
                found += [f"{path.name}: {name}" for name in names if _private(name)]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in SIBLINGS and _private(node.attr):
                    found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


SIBLINGS = {path.stem for path in PACKAGE.rglob("*.py")} | {
    path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"
}


def test_no_module_takes_another_modules_private_names():
    assert private_imports() == []


def unresolved_imports() -> list[str]:
    """Relative imports of the package, deferred ones included, that name no module or
    no attribute of the module they name."""
    import importlib
    import importlib.util

    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            try:
                spec = importlib.util.find_spec(target)
            except ModuleNotFoundError:  # a parent package is missing too
                spec = None
            if spec is None:
                found.append(f"{path.name}:{node.lineno}: {target}")
                continue
            module = importlib.import_module(target)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    if importlib.util.find_spec(f"{target}.{alias.name}") is None:
                        found.append(f"{path.name}:{node.lineno}: {target}.{alias.name}")
    return found


def test_every_relative_import_resolves():
    """Deferred imports run only when their function does: a wrong one would fail late."""
    assert unresolved_imports() == []
