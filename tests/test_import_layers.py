"""Nothing imports from a layer above it, and no module imports itself round a circle.

Layers, top to bottom (a module may import its own layer or any layer below):
cli > api > report > explore > {train, faults, perf} > {mapping, hw, checkpoint} >
{config, nets, data} > base (errors, atomic, tables, source, machine, progress, the package).
Every import counts, including those inside functions (a lazy import is still a dependency);
only imports under `if TYPE_CHECKING:` are left out, since they never run.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archsim"
LAYERS = (
    ("cli",), ("api",), ("report",), ("explore",), ("train", "faults", "perf"),
    ("mapping", "hw", "checkpoint"), ("config", "nets", "data"),
    ("errors", "atomic", "tables", "source", "machine", "progress", "archsim"),
)  # fmt: skip
RANK = {name: len(LAYERS) - i for i, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    base = PACKAGE.parent / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = _module_name(path)
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
                    if _is_module(f"{node.module}.{a.name}")
                    else node.module
                    for a in node.names
                ]
            else:
                continue
            graph[source].update(t for t in targets if t.split(".")[0] == "archsim")
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "archsim"


def test_every_package_has_a_layer() -> None:
    assert {layer(m) for m in import_graph()} <= set(RANK)


def test_nothing_imports_from_a_layer_above() -> None:
    upward = sorted(
        f"{source} imports {target}"
        for source, targets in import_graph().items()
        for target in targets
        if RANK[layer(target)] > RANK[layer(source)]
    )
    assert upward == []


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


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def test_the_checker_sees_an_upward_import_and_a_circle() -> None:
    # the rules themselves: a perf module importing the CLI is upward; a -> b -> a is a circle
    assert RANK[layer("archsim.cli.output")] > RANK[layer("archsim.perf.plan")]
    graph = import_graph()
    assert "archsim.perf.plan" in graph["archsim.perf.des"]
    assert "archsim.config.hwparts" in graph["archsim.config.powercheck"]
    assert "archsim.config.hwschema" not in graph["archsim.config.powercheck"]  # TYPE_CHECKING
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []
