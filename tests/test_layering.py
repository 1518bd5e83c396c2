"""The layers, read from the sources: flows/ (the domain) never imports telegram, bot,
apscheduler or the sandbox; sandbox/ (a standalone fake Bot API) never imports bot or flows;
and no package has an import cycle, not even one hidden by an import inside a function.

Every import statement counts: at module level, under `if TYPE_CHECKING`, inside functions,
absolute or relative (`from . import x`, `from ..y import z`)."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "bot", "sandbox")
FORBIDDEN = {
    "flows": {"telegram", "bot", "apscheduler", "sandbox"},
    "sandbox": {"bot", "flows"},
}


@dataclass(frozen=True)
class Import:
    """One imported name, resolved to an absolute dotted name, and where it is imported."""

    source: str  # the importing module
    target: str  # "a.b" for `import a.b` and for `from a import b`
    container: str | None  # "a" for `from a import b`: where b lives when it is no module
    file: str  # the importing file, from its top package: "flows/directory/model.py"
    line: int

    @property
    def top(self) -> str:
        return self.target.split(".")[0]


def modules_of(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the packages."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_in(module: str, path: Path) -> list[Import]:
    """Every import statement of the file, wherever it stands, relative forms resolved."""
    is_package = path.name == "__init__.py"
    package = module.split(".") if is_package else module.split(".")[:-1]
    depth = len(package) + (0 if is_package else 1) - 1
    file = path.relative_to(path.parents[depth]).as_posix()
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, a.name, None, file, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                if alias.name == "*":
                    found.append(Import(module, stem, None, file, node.lineno))
                else:
                    found.append(Import(module, f"{stem}.{alias.name}", stem, file, node.lineno))
    return found


def lands_in(imp: Import, known: Mapping[str, Path]) -> str | None:
    """The module an import loads: `from a import b` is a.b when that is a module, else a;
    `import a.b.c` is the longest known prefix."""
    if imp.target in known:
        return imp.target
    parts = (imp.container if imp.container is not None else imp.target).split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def import_graph(known: Mapping[str, Path]) -> dict[str, dict[str, Import]]:
    """Module -> {imported module: the first statement importing it}, among known modules."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in known}
    for name, path in known.items():
        for imp in imports_in(name, path):
            target = lands_in(imp, known)
            if target is not None and target != name:
                graph[name].setdefault(target, imp)
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components with more than one module (the cycles), each sorted,
    and a module that imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def one_loop(graph: Mapping[str, Mapping[str, Import]], component: list[str]) -> list[str]:
    """A shortest way round the cycle from its first module, one step per import statement."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier and start not in came_from:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt in members and nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    loop = [start]
    while len(loop) == 1 or loop[-1] != start:
        loop.append(came_from[loop[-1]])
    loop.reverse()
    steps = []
    for here, there in itertools.pairwise(loop):
        imp = graph[here][there]
        steps.append(f"{here} imports {there} ({imp.file}:{imp.line})")
    return steps


def cycles(graph: Mapping[str, Mapping[str, Import]]) -> list[str]:
    """One sentence per cycle: its modules, then one way round it with file and line."""
    return [
        f"import cycle among {', '.join(component)}: {'; '.join(one_loop(graph, component))}"
        for component in strongly_connected(graph)
    ]


def forbidden_imports(known: Mapping[str, Path], package: str, banned: set[str]) -> list[str]:
    """Each import, by a module of the package, of a top-level package it must not use."""
    offenders = set()
    for name, path in known.items():
        if name == package or name.startswith(package + "."):
            for imp in imports_in(name, path):
                if imp.top in banned:
                    offenders.add(f"{name} imports {imp.target} ({imp.file}:{imp.line})")
    return sorted(offenders)


MODULES = modules_of(ROOT, PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_has_an_import_cycle(package):
    inside = {n: p for n, p in MODULES.items() if n == package or n.startswith(package + ".")}
    assert cycles(import_graph(inside)) == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_what_sits_above_it(package):
    assert forbidden_imports(MODULES, package, FORBIDDEN[package]) == []


# The detector itself: a test that cannot fail holds no line.


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_detector_names_the_modules_of_a_cycle_in_a_fake_graph():
    assert strongly_connected({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}) == [
        ["a", "b", "c"]
    ]
    assert strongly_connected({"a": ["a"], "b": []}) == [["a"]]
    assert strongly_connected({"a": ["b"], "b": []}) == []


def test_the_detector_finds_a_cycle_hidden_by_a_relative_import_inside_a_function(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def late():\n    from . import b\n    return b\n",
            "pkg/b.py": "import pkg.a\n",
            "pkg/c.py": "from pkg import a\n",
        },
    )
    found = cycles(import_graph(modules_of(tmp_path, ["pkg"])))
    assert len(found) == 1
    assert found[0].startswith("import cycle among pkg.a, pkg.b:")
    assert "pkg/a.py:2" in found[0] and "pkg/b.py:1" in found[0]


def test_the_detector_resolves_parent_relative_imports_and_names_in_a_package(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.sub.deep import VALUE\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/deep.py": "from .. import VALUE as _\nVALUE = 1\n",  # the name in pkg
            "pkg/sub/ok.py": "from ..sub import deep\n",  # a submodule: no edge to pkg
        },
    )
    graph = import_graph(modules_of(tmp_path, ["pkg"]))
    assert set(graph["pkg.sub.ok"]) == {"pkg.sub.deep"}
    assert [c.split(":")[0] for c in cycles(graph)] == ["import cycle among pkg, pkg.sub.deep"]


def test_a_forbidden_import_inside_a_function_is_reported(tmp_path):
    write(
        tmp_path,
        {
            "flows/__init__.py": "",
            "flows/x.py": "def send():\n    from telegram import Bot\n    return Bot\n",
            "flows/y.py": "import apscheduler.schedulers\n",
        },
    )
    assert forbidden_imports(modules_of(tmp_path, ["flows"]), "flows", FORBIDDEN["flows"]) == [
        "flows.x imports telegram.Bot (flows/x.py:2)",
        "flows.y imports apscheduler.schedulers (flows/y.py:1)",
    ]


def test_handlers_build_no_sentence_but_the_answer_to_a_press():
    """Sentences are built in bot/render/ and sent as notices; a handler may only look one
    up for the toast answering a button press (bot/handlers/access.py, the gate, also
    refuses strangers and groups in their language)."""
    found = []
    for path in sorted((ROOT / "bot" / "handlers").glob("*.py")):
        if path.name == "access.py":
            continue
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if _is_lookup(node) and not _inside_answer(node, parents):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, f"sentences built in handlers: {found}"


def _inside_answer(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether this call is (within its function) an argument of sender.answer(...), or in
    a function whose name says it makes a toast's text."""
    current = parents.get(node)
    while current is not None:
        is_call = isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute)
        if is_call and current.func.attr == "answer":  # type: ignore[attr-defined]
            return True
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
            return current.name.endswith("_text")  # e.g. a refusal's toast text
        current = parents.get(current)
    return False


def _is_lookup(node: ast.AST) -> bool:
    """A call of bot.i18n.t, the catalogs' lookup."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"
