"""The module import graph of src/ has no cycle, counting imports made inside functions too.

A cycle hidden in a function-level import (src.build -> src.codec -> src.build) works until someone
moves an import to the top of a file; the rule in docs/architecture.md is that imports point one way.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every src module this one imports, at any depth of the file (functions, classes, try blocks)."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` imports pkg.mod when that is a module, else a name of pkg
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import src.a.b` -> src.a.b, or its deepest known parent
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """module name -> the src modules it imports (a package's __init__ counts as the package)."""
    files = {_module_name(p, src): p for p in src.rglob("*.py")}
    known = set(files)
    return {
        name: _imported(ast.parse(path.read_text(), str(path)), name, path.name == "__init__.py", known)
        for name, path in files.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_graph_sees_function_level_imports(tmp_path):
    pkg = tmp_path / "src"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from src.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from src import a\n    return a\n")
    graph = import_graph(pkg)
    assert graph["src.b"] == {"src.a"} and graph["src.a"] == {"src.b"}
    assert find_cycles(graph) == [["src.a", "src.b"]]


CONFIG_FREE = (
    "src.training",
    "src.encoder",
    "src.quantizer",
    "src.decoder",
    "src.head",
    "src.discriminator",
    "src.loss",
    "src.nn",
    "src.data",
    "src.metrics",
    "src.codec",
    "src.types",
)


def _config_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names & {"omegaconf", "hydra"}


def test_only_entry_points_and_the_build_layer_read_configs():
    """The trainer and the components take built objects and plain values (docs/architecture.md)."""
    offenders = {}
    for path in SRC.rglob("*.py"):
        name = _module_name(path, SRC)
        if name.startswith(CONFIG_FREE) and (found := _config_imports(path)):
            offenders[name] = sorted(found)
    assert not offenders, f"import omegaconf/hydra outside the entry points and src.build: {offenders}"


def test_src_has_no_import_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles in src/ (imports must point one way, docs/architecture.md):\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )
