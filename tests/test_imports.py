"""The package's import structure: no cycles between modules, light modules stay light.

An edge runs from a module to the module that *defines* each name it imports: ``from latentlab.models import
DEC`` is an edge to ``latentlab.models.dec`` (through the package's ``__init__``, which re-exports it), and a
package's ``__init__`` has edges to the submodules it imports. Imports inside functions and under
``TYPE_CHECKING`` count too: a deferred import is still a dependency.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "latentlab"


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package`` (a package by its ``__init__``)."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(tree: ast.AST) -> list[tuple[str, str | None]]:
    """(module, name) pairs: ``import a.b`` gives ("a.b", None), ``from a import b`` gives ("a", "b")."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
    return found


def _top_level_sources(tree: ast.Module, module: str, modules) -> dict[str, str]:
    """Names a package's ``__init__`` binds by importing them from one of the project's modules, at the top level
    (or under an ``if``/``try`` there): bound name -> the module it comes from."""
    sources = {}
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, (ast.If, ast.Try)):
            nodes += node.body + node.orelse + getattr(node, "finalbody", []) + [
                s for h in getattr(node, "handlers", []) for s in h.body]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
            for a in node.names:
                sources[a.asname or a.name] = node.module
    return sources


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the project's modules it depends on (see the module docstring)."""
    modules = module_files(package)
    trees = {name: ast.parse(path.read_text()) for name, path in modules.items()}
    reexports = {name: _top_level_sources(trees[name], name, modules) for name, path in modules.items()
                 if path.name == "__init__.py"}

    def defining(module: str, name: str, seen=()) -> str:
        """The module that defines ``name`` as imported from ``module``."""
        if f"{module}.{name}" in modules:
            return f"{module}.{name}"
        source = reexports.get(module, {}).get(name)
        if source is None or source in seen:
            return module
        return defining(source, name, (*seen, module))

    graph = {}
    for name, tree in trees.items():
        targets = set()
        for module, imported in _imports(tree):
            if module not in modules:
                continue
            targets.add(module if imported is None else defining(module, imported))
        graph[name] = targets - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


# The layers, bottom to top: a module may import modules of its own layer and of the layers below, never above.
LAYERS = [
    ("core", ["latentlab.core"]),
    ("data and models", ["latentlab.data", "latentlab.models"]),
    ("checkpoints", ["latentlab.checkpoints"]),
    ("analysis", ["latentlab.analysis"]),  # encoding, maps, decoding: below the training loop, never through it
    ("training", ["latentlab.training"]),
    ("facade", ["latentlab.lab", "latentlab.verbs", "latentlab"]),  # the package root reads lab.__all__
    ("figures", ["latentlab.figures"]),  # paper figures and shared maps, over the facade
    ("jobs", ["latentlab.jobs"]),
    ("command line, dashboard and notebook", ["latentlab.cli", "latentlab.ui", "latentlab.__main__", "latentlab.widgets"]),
]


def layer_of(module: str) -> int | None:
    """The index in ``LAYERS`` of the layer ``module`` belongs to (by its longest listed prefix)."""
    best, rank = "", None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, i
    return rank


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({LAYERS[layer_of(b)][0]})"
                  for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a))


def test_every_module_is_in_a_layer_and_imports_only_its_own_and_lower_ones():
    graph = import_graph()
    assert [m for m in graph if layer_of(m) is None] == []
    assert upward_imports(graph) == []


def test_the_layer_check_finds_an_upward_import():
    graph = {"latentlab.models.dec": {"latentlab.checkpoints.format"}, "latentlab.checkpoints.format": set()}
    assert upward_imports(graph) == ["latentlab.models.dec (data and models) -> latentlab.checkpoints.format (checkpoints)"]


def test_nothing_that_encodes_maps_or_decodes_reaches_the_training_loop():
    graph = import_graph()
    reached, todo = set(), [m for m in graph if m.startswith(("latentlab.analysis", "latentlab.checkpoints"))]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += graph.get(module, ())
    assert "latentlab.analysis.decoding.checkpoint" in reached
    assert sorted(m for m in reached if m.startswith("latentlab.training")) == []


SOURCE_MODULES = {"latentlab.checkpoints.sources", "latentlab.checkpoints.source_protocol",
                  "latentlab.checkpoints.foreign_sources"}
ORIGIN_TYPES = {"ForeignModel", "ModelSource", "ForeignSource", "RegistryClass", "InstalledClass", "OnnxFiles",
                "SAELensFolder"}


def origin_checks(package: Path = PACKAGE) -> list[str]:
    """``isinstance`` calls that ask where a model came from (``module:line``), outside the sources' modules."""
    found = []
    for name, path in module_files(package).items():
        if name in SOURCE_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", None) for n in ast.walk(node.args[1])}
                if names & ORIGIN_TYPES:
                    found.append(f"{name}:{node.lineno}")
    return found


def test_only_the_sources_module_asks_where_a_model_came_from(tmp_path):
    assert origin_checks() == []
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "export.py").write_text("def f(m):\n    return isinstance(m, (int, ForeignModel))\n")
    assert origin_checks(tmp_path / "pkg") == ["pkg.export:2"]


FACADE_SIDE = ("latentlab.lab", "latentlab.jobs", "latentlab.core", "latentlab.ui",
               "latentlab.figures", "latentlab.widgets")  # ll.figures and ll.widgets: the facade's namespaces


def ui_reaches_around_the_facade(graph: dict[str, set[str]]) -> list[str]:
    """Imports of the dashboard's pieces (``latentlab.ui``) of anything but the facade, jobs and core."""
    return sorted(f"{a} -> {b}" for a, targets in graph.items() if a.startswith("latentlab.ui")
                  for b in targets if b != "latentlab" and not b.startswith(FACADE_SIDE))


def test_the_dashboard_pieces_speak_only_to_the_facade_jobs_and_core():
    graph = import_graph()
    assert "latentlab.lab" in graph["latentlab.ui.loaders"]
    assert ui_reaches_around_the_facade(graph) == []
    assert ui_reaches_around_the_facade({"latentlab.ui.x": {"latentlab.analysis.embedding"}}) == [
        "latentlab.ui.x -> latentlab.analysis.embedding"]


def private_imports(package: Path = PACKAGE) -> list[str]:
    """Uses of another module's private names (``_name``): imported by name, or read off an imported module."""
    modules = module_files(package)
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{name}:{node.lineno} {node.module}.{a.name}")
                    if f"{node.module}.{a.name}" in modules:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in modules})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")
                    and aliases[node.value.id] != name):
                found.append(f"{name}:{node.lineno} {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names(tmp_path):
    assert private_imports() == []
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def _helper():\n    pass\n")
    (tmp_path / "pkg" / "b.py").write_text("from pkg import a\nfrom pkg.a import _helper\na._helper()\n")
    assert private_imports(tmp_path / "pkg") == ["pkg.b:2 pkg.a._helper", "pkg.b:3 pkg.a._helper"]


def test_the_facade_is_small_documented_and_each_name_resolves():
    code = ("import sys, latentlab as ll, latentlab.lab as lab; names = ll.__all__; "
            "undocumented = [n for n in names if callable(getattr(ll, n)) and not (getattr(ll, n).__doc__ or '').strip()]; "
            "faces = [n for n in lab.FACES if getattr(lab, n) is None]; "
            "print(len(names), len(set(names)), undocumented, faces, sorted(set(names) & set(lab.FACES)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 2)
    assert int(out[0]) <= 40 and out[0] == out[1]
    assert out[2].strip() == "[] [] []"


def page_imports() -> dict[str, set[str]]:
    """Each dashboard script (pages/*.py, app.py, dashboard.py) -> the project's modules it imports."""
    modules = module_files(PACKAGE)
    scripts = [*sorted((PACKAGE.parent / "pages").glob("*.py")), PACKAGE.parent / "app.py", PACKAGE.parent / "dashboard.py"]
    found = {}
    for path in scripts:
        targets = set()
        for module, name in _imports(ast.parse(path.read_text())):
            if module.split(".")[0] == "latentlab":
                targets.add(f"{module}.{name}" if name and f"{module}.{name}" in modules else module)
        found[path.name] = targets
    return found


def test_pages_speak_only_to_the_facade_and_the_ui():
    pages = page_imports()
    assert len(pages) >= 10
    beside = {page: sorted(t for t in targets if t != "latentlab.lab" and not (t + ".").startswith("latentlab.ui."))
              for page, targets in pages.items()}
    assert {page: targets for page, targets in beside.items() if targets} == {}


def test_no_module_imports_itself_round_about():
    graph = import_graph()
    assert {"latentlab.lab", "latentlab.models.dec"} <= graph.keys()
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_an_import_through_a_package_is_an_edge_to_the_module_that_defines_the_name(tmp_path):
    """The circle the old graph could not see: ``store -> models -> models.dec -> store``, where ``store``
    imports a name the package ``models`` re-exports and ``dec`` imports ``store`` inside a function."""
    pkg = tmp_path / "pkg"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text("from pkg.models import DEC, build\n")
    (pkg / "models" / "__init__.py").write_text("from pkg.models.dec import DEC\n\ndef build():\n    pass\n")
    (pkg / "models" / "dec.py").write_text("class DEC:\n    def load(self):\n        from pkg.store import x\n")
    graph = import_graph(pkg)
    assert graph["pkg.store"] == {"pkg.models.dec", "pkg.models"}
    assert graph["pkg.models"] == {"pkg.models.dec"}
    assert cycles(graph) == [["pkg.models", "pkg.models.dec", "pkg.store"]]


@pytest.mark.parametrize("module, absent", [
    ("latentlab.analysis.metrics", ["torch", "latentlab.data", "streamlit", "sklearn", "numba"]),
    ("latentlab.core.limits", ["latentlab.data", "numpy"]),
    ("latentlab.models", ["latentlab.data", "streamlit"]),
    ("latentlab.lab", ["streamlit", "sklearn", "numba"]),
    ("latentlab.analysis.decoding.checkpoint", ["latentlab.training"]),  # the dashboard's first map needs neither
    # reading a checkpoint lazily, a cached embedding and its map, and the map's helpers: the first map, no torch
    ("latentlab.checkpoints.format", ["torch"]),
    ("latentlab.analysis.embedding", ["torch"]),
    ("latentlab.analysis.projection.map_points", ["torch"]),
    ("latentlab.verbs", ["torch"]),
])
def test_light_modules_stay_light(module, absent):
    code = f"import sys, {module}; print([m for m in {absent!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def drawing(graph: dict[str, set[str]] | None = None) -> str:
    """The import structure in words: each floor (top first) with its modules and the floors it imports, then the
    arrows up and the circles (``python tests/test_imports.py`` prints it)."""
    graph = graph or import_graph()
    lines = []
    for rank in reversed(range(len(LAYERS))):
        members = [m for m in graph if layer_of(m) == rank]
        down = {}
        for m in members:
            for t in graph[m]:
                if layer_of(t) != rank:
                    down[LAYERS[layer_of(t)][0]] = down.get(LAYERS[layer_of(t)][0], 0) + 1
        arrows = ", ".join(f"{name} ({n})" for name, n in sorted(down.items(), key=lambda kv: -kv[1]))
        lines.append(f"{LAYERS[rank][0]:<28} {len(members):>3} modules -> {arrows or 'nothing below'}")
    lines.append(f"arrows up: {len(upward_imports(graph))}; circles: {len(cycles(graph))}; "
                 f"edges: {sum(len(t) for t in graph.values())}")
    return "\n".join(lines)


def test_the_drawing_names_every_floor():
    text = drawing()
    assert all(name in text for name, _ in LAYERS) and "arrows up: 0; circles: 0" in text


if __name__ == "__main__":
    print(drawing())
