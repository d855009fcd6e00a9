"""`archsim map --breakdown`: energy per image by component, per layer and in total, with the
dynamic and static parts apart, in a table and in JSON."""

import json
import math

from click.testing import CliRunner

from archsim.cli import cli


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _breakdown(*extra: str) -> dict:  # type: ignore[type-arg]
    code, out = _run("map", "--model", "resnet20", "--estimator", "analytic", "--breakdown",
                     "--format", "json", *extra)  # fmt: skip
    assert code == 0, out
    return json.loads(out)


def _costs(*extra: str) -> dict:  # type: ignore[type-arg]
    code, out = _run("map", "--model", "resnet20", "--estimator", "analytic", "--format", "json",
                     *extra)  # fmt: skip
    assert code == 0, out
    return json.loads(out)["costs"]


def test_the_rows_add_up_to_the_totals_map_reports() -> None:
    payload, costs = _breakdown(), _costs()
    rows = payload["rows"]
    by_layer = {row["layer"]: row for row in rows}
    # layer rows (the image's transfer in and its result out over the host link included)
    layers = [row for row in rows if row["layer"] not in ("(dynamic)", "(static)", "(total)")]
    assert all(row["part"] == "dynamic" for row in layers)
    assert {"(image in)", "(result out)", "conv1", "fc"} <= {row["layer"] for row in layers}
    # the layers' dynamic rows sum to the (dynamic) row, component by component (5 digits)
    dynamic = by_layer["(dynamic)"]
    components = [c for c in dynamic if c not in ("width", "layer", "part", "total_j")]
    for component in components:
        summed = math.fsum(row.get(component, 0.0) for row in layers)
        assert math.isclose(summed, dynamic[component], rel_tol=1e-3)
    # static + dynamic = total, and the total is map's energy per image; the static row is
    # map's static energy (no CPU on this point: option A shortcuts, nothing on the CPU)
    static, total = by_layer["(static)"], by_layer["(total)"]
    assert math.isclose(static["total_j"], costs["energy_static_j"], rel_tol=1e-4)
    assert math.isclose(total["total_j"], costs["energy_per_image_j"], rel_tol=1e-4)
    assert math.isclose(dynamic["total_j"] + static["total_j"], total["total_j"], rel_tol=1e-4)
    # crossbar cells are non-volatile (no static part); one chip link (the host's) is static
    assert "crossbar" in dynamic and "crossbar" not in static
    assert "chip.hypertransport" in static and "chip.hypertransport" not in dynamic
    assert "leakage_mw" in payload["note"]


def test_the_table_has_a_row_per_width_and_paper_is_refused() -> None:
    code, out = _run("map", "--model", "resnet20", "--width", "1.0,1.2", "--estimator",
                     "analytic", "--breakdown")  # fmt: skip
    assert code == 0
    assert out.count("(total)") == 2 and "note: static" in out
    code, out = _run("map", "--model", "resnet20", "--estimator", "paper", "--breakdown")
    assert code == 2 and out.startswith("error: --breakdown needs --estimator des or analytic")


def test_the_pareto_front_can_be_taken_on_dynamic_energy_alone() -> None:
    from archsim.api.sweeps import pareto

    # equal accuracy, throughput and area: A spends less in all (1.0 J against 1.2 J) but
    # more on its actions (0.8 J against 0.5 J; B's difference is static power x interval)
    common = {"accuracy": 0.9, "throughput_ips": 1e5, "occupied_area_mm2": 80.0}
    a = {**common, "name": "A", "energy_per_image_j": 1.0, "dynamic_energy_j": 0.8}
    b = {**common, "name": "B", "energy_per_image_j": 1.2, "dynamic_energy_j": 0.5}
    assert [r["on_front"] for r in pareto([a, b])] == [True, False]
    assert [r["on_front"] for r in pareto([a, b], energy="dynamic")] == [False, True]
