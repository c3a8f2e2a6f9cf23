"""No import cycles inside svg_control/: a reader can take its modules in an order, each leaning only on earlier ones.

Every module is parsed with ``ast`` (nothing is imported). An edge A -> B is any ``import`` or ``from ... import``
in A, absolute or relative, that names module B of the package:

* ``from pkg import name`` where ``pkg.name`` is a module is an import of that module; otherwise it imports
  ``pkg`` itself (a package's ``__init__``).
* Imports inside functions (lazy ones) count: a cycle that only laziness keeps from failing at import time is
  still a cycle a reader must hold in their head.
* Imports under ``if TYPE_CHECKING:`` do not count: they never run.
* The parent packages a submodule import runs implicitly are not edges: ``a/__init__`` importing ``a.b``, which
  imports its sibling ``a.c``, is how packages work, not a cycle. Naming a package outright (``import a``,
  ``from .. import a``) is an edge to its ``__init__``.

Cycles are the strongly connected components of that graph (Tarjan's algorithm); the failure message lists each
one's modules and one concrete loop through them.
"""
from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

PACKAGE = "svg_control"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

Graph = dict[str, set[str]]


def module_names(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module under ``package_dir`` by dotted name; a package's ``__init__.py`` is the package's name."""
    out: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: function bodies included, ``if TYPE_CHECKING:`` bodies left out."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package modules one import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if node.level:
        # a module's own package is its name less one part; a package's __init__ is its own package
        anchor = module.split(".")
        drop = node.level - 1 if is_package else node.level
        if drop >= len(anchor):
            raise ValueError(f"{module}: relative import beyond the top-level package")
        base = ".".join(anchor[:len(anchor) - drop])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    out = set()
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        if submodule in known:
            out.add(submodule)
        elif source in known:
            out.add(source)
    return out


def import_graph(package_dir: Path, package: str) -> Graph:
    """Module -> the package modules it imports (see the module docstring for what counts)."""
    modules = module_names(package_dir, package)
    known = set(modules)
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = set().union(*(_imported(node, name, is_package, known) for node in _imports(tree)))
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph`` (iterative, so deep chains cannot overflow)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def cycles(graph: Graph) -> list[list[str]]:
    """The components that hold a cycle: more than one module, or a module importing itself."""
    return [c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph.get(c[0], ())]


def loop_through(graph: Graph, component: Iterable[str]) -> list[str]:
    """One shortest loop from the component's first module back to itself, staying inside the component."""
    members = set(component)
    start = min(members)
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph[node] & members):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise AssertionError(f"{sorted(members)} is not strongly connected")


def describe(graph: Graph, found: list[list[str]]) -> str:
    return "\n".join(f"cycle among {', '.join(c)}:\n    " + " -> ".join(loop_through(graph, c)) for c in found)


def test_svg_control_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR, PACKAGE)
    assert len(graph) > 50, f"the walk found only {len(graph)} modules under {PACKAGE_DIR}"
    found = cycles(graph)
    assert not found, "import cycles in svg_control/:\n" + describe(graph, found)


# -- the walker itself, on a package written for it --------------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_walker_resolves_each_import_form(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "__init__.py": "from .sub import thing\n",
        "sub/__init__.py": "",
        "sub/thing.py": "import os\nfrom .. import other\nfrom ..other import VALUE\n",
        "other.py": "import pkg.leaf as leaf\nfrom pkg.sub import NAME\n",
        "leaf.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import other\n"
                   "else:\n    from . import tail\n",
        "tail.py": "def later():\n    from .sub.thing import x\n",
    })
    graph = import_graph(pkg, "pkg")
    assert graph == {
        "pkg": {"pkg.sub.thing"},
        "pkg.sub": set(),
        "pkg.sub.thing": {"pkg.other"},
        "pkg.other": {"pkg.leaf", "pkg.sub"},
        "pkg.leaf": {"pkg.tail"},  # the TYPE_CHECKING import of other is no edge; its else branch is
        "pkg.tail": {"pkg.sub.thing"},  # a lazy import is an edge
    }
    found = cycles(graph)
    assert found == [["pkg.leaf", "pkg.other", "pkg.sub.thing", "pkg.tail"]]
    assert describe(graph, found).splitlines()[1].strip().split(" -> ") == [
        "pkg.leaf", "pkg.tail", "pkg.sub.thing", "pkg.other", "pkg.leaf"]


@pytest.mark.parametrize(("files", "expected"), [
    ({"__init__.py": "", "a.py": "from . import a\n"}, [["pkg.a"]]),
    ({"__init__.py": "", "a.py": "from .b import x\n", "b.py": "from .a import y\n"}, [["pkg.a", "pkg.b"]]),
    ({"__init__.py": "", "a.py": "from .b import x\n", "b.py": "import json\n"}, []),
])
def test_walker_finds_exactly_the_cycles(tmp_path: Path, files: dict[str, str], expected: list[list[str]]) -> None:
    assert cycles(import_graph(_write(tmp_path, files), "pkg")) == expected
