"""Nothing imports from a layer above it, no module imports itself round a circle, and the
CLI reaches the engines only through `archsim.api`.

Layers, top to bottom (a module may import its own layer or any layer below):
cli > api > report > explore > {train, faults, perf} > {mapping, hw, checkpoint} >
{config, nets, data} > base (errors, atomic, bounds, tables, source, machine, progress, lazy,
the package).
A CLI module imports only `archsim.api`, other CLI modules and the base.
Every import counts, including those inside functions (a lazy import is still a dependency);
only imports under `if TYPE_CHECKING:` are left out, since they never run.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archsim"
BASE = ("errors", "atomic", "bounds", "tables", "source", "machine", "progress", "lazy", "archsim")
LAYERS = (
    ("cli",), ("api",), ("report",), ("explore",), ("train", "faults", "perf"),
    ("mapping", "hw", "checkpoint"), ("config", "nets", "data"), BASE,
)  # fmt: skip
RANK = {name: len(LAYERS) - i for i, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.parent / Path(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the modules of the package at `root` it imports (`root.name` is the
    package's name)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in root.rglob("*.py"):
        source = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from archsim.config import hwparts` depends on the submodule hwparts
                targets = [
                    f"{node.module}.{a.name}"
                    if _is_module(f"{node.module}.{a.name}", root)
                    else node.module
                    for a in node.names
                ]
            else:
                continue
            graph[source].update(t for t in targets if t.split(".")[0] == root.name)
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "archsim"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if RANK[layer(target)] > RANK[layer(source)]
    )


def cli_engine_imports(graph: dict[str, set[str]], exempt: tuple[str, ...] = ()) -> list[str]:
    """Imports of a CLI module (outside `exempt`) that are neither the API, the CLI nor the
    base."""
    allowed = {"cli", "api", *BASE}
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        if layer(source) == "cli" and source not in exempt
        for target in targets
        if layer(target) not in allowed
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk meets (empty when the graph is acyclic)."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_every_package_has_a_layer() -> None:
    assert {layer(m) for m in import_graph()} <= set(RANK)


def test_nothing_imports_from_a_layer_above() -> None:
    assert upward_imports(import_graph()) == []


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def test_the_cli_reaches_the_engines_only_through_the_api() -> None:
    graph = import_graph()
    assert cli_engine_imports(graph) == []


def test_the_graph_sees_submodules_and_the_power_check_does_not_import_the_schema() -> None:
    graph = import_graph()
    assert "archsim.perf.plan" in graph["archsim.perf.des"]
    # the schema runs the power check; the check reads blocks, never the schema
    assert "archsim.config.powercheck" in graph["archsim.config.hwschema"]
    assert graph["archsim.config.powercheck"] == {"archsim.config.hwparts"}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checkers_report_an_upward_import_a_circle_and_a_cli_shortcut(
    tmp_path: Path,
) -> None:
    root = tmp_path / "archsim"
    _write(root, {
        "__init__.py": "",
        "errors.py": "",
        "perf/__init__.py": "",
        "perf/plan.py": "def f():\n    from archsim.cli.output import emit\n",  # upward, lazy
        "perf/des.py": "from archsim.perf import plan\nfrom archsim.errors import E\n",
        "api/__init__.py": "from archsim.perf.des import run\n",
        "cli/__init__.py": "",
        "cli/output.py": "import archsim.cli.table\n",
        "cli/table.py": "from archsim.cli.output import emit\n",  # output -> table -> output
        "cli/map.py": "from archsim.api import run\nfrom archsim.perf.des import run\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import archsim.perf.plan\n",
    })  # fmt: skip
    graph = import_graph(root)
    assert graph["archsim.perf.des"] == {"archsim.perf.plan", "archsim.errors"}
    assert upward_imports(graph) == ["archsim.perf.plan imports archsim.cli.output"]
    assert circles(graph) == [["archsim.cli.output", "archsim.cli.table", "archsim.cli.output"]]
    assert cli_engine_imports(graph) == ["archsim.cli.map imports archsim.perf.des"]
    assert cli_engine_imports(graph, ("archsim.cli.map",)) == []
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []
