"""The report draws what the results layer computed: no report module imports from the
engines (faults, perf, mapping, train, nor what lies below them), only `archsim.explore`'s
rows and its own furniture. Imports under `if TYPE_CHECKING:` never run and are left out."""

from test_import_layers import import_graph, layer

ENGINES = {"faults", "perf", "mapping", "train", "hw", "checkpoint", "config", "nets", "data"}


def engine_imports(graph: dict[str, set[str]], package: str) -> list[str]:
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        if layer(source) == package
        for target in targets
        if layer(target) in ENGINES
    )


def test_the_report_imports_no_engine() -> None:
    graph = import_graph()
    assert engine_imports(graph, "report") == []
    # the check can fail: the results layer that computes the pages' rows does import them
    assert "archsim.faults.metrics" in graph["archsim.explore.page_rows"]
    assert engine_imports(graph, "explore")
