"""Hardware as a sweep axis: `cost.hardware` lists descriptions and `cost.hardware_axes`
varies keys of them; every variant is costed and evaluated on its own description, keyed on
its content, and named on every row."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
import yaml
from click.testing import CliRunner

from archsim.cli import cli
from archsim.errors import UserError
from archsim.explore.expand import expand
from archsim.explore.expansion import DatasetShape
from archsim.explore.jobs import canonical_json
from archsim.explore.provenance import current_provenance
from archsim.explore.resolve import hardware_digests
from archsim.explore.results import load_sweep, sweep_record
from archsim.explore.spec import load_spec, spec_from_dict
from archsim.explore.store import ResultsStore
from archsim.report.pages_pareto import pareto_pages
from archsim.report.pages_precision import precision_pages

SPEC: dict[str, Any] = {
    "name": "precision",
    "dataset": "digits",
    "models": ["lenet5"],
    "widths": [1.0],
    "training": {"epochs": 1, "val_chips": 0, "recalibrate": [False]},
    "pareto": {"fault_rates": [0.1]},
    "faults": {"rates": [0.1], "chips": 2, "images": 100},
    "cost": {
        "hardware": "isaac",
        "hardware_axes": {"ima.adc.bits": [6, 8]},
        "compare_policies": [],
        "paper_table": False,
        "estimator": "analytic",
    },
}
SHAPE = DatasetShape("digits", (1, 8, 8), 10, {}, identity="data", card="card")
SIX = "isaac[ima.adc.bits=6]"


def _spec(**cost: Any) -> dict[str, Any]:
    return {**SPEC, "cost": {**SPEC["cost"], **cost}}


def test_a_list_and_key_axes_give_every_variant_the_reference_first() -> None:
    spec = spec_from_dict(
        _spec(hardware=["isaac", "isaac-4adc"], hardware_axes={"ima.adc.bits": [6, 8]})
    )
    assert spec.cost.references == [
        "isaac",
        SIX,
        "isaac[ima.adc.bits=8]",
        "isaac-4adc[ima.adc.bits=6]",
        "isaac-4adc[ima.adc.bits=8]",
    ]
    # resolved: 8 bits is each base's own ADC, so those two are the bases themselves
    assert list(hardware_digests(spec)) == [
        "isaac",
        SIX,
        "isaac-4adc[ima.adc.bits=6]",
        "isaac-4adc",
    ]
    axes = spec_from_dict(
        _spec(hardware_axes={"crossbar.rows": [64, 256], "crossbar.bits_per_cell": [1, 4]})
    )
    assert axes.cost.references[1:] == [
        "isaac[crossbar.bits_per_cell=1,crossbar.rows=64]",
        "isaac[crossbar.bits_per_cell=1,crossbar.rows=256]",
        "isaac[crossbar.bits_per_cell=4,crossbar.rows=64]",
        "isaac[crossbar.bits_per_cell=4,crossbar.rows=256]",
    ]


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ({"hardware_axes": {"adc.bitz": [6]}}, "cost.hardware_axes: 'adc.bitz' cannot vary"),
        ({"hardware_axes": {"ima.adc.bits": []}}, "empty grid: list at least one value"),
        ({"hardware_axes": {"ima.adc.bits": [6, 6]}}, "ima.adc.bits has a repeated value"),
        ({"hardware_axes": {"ima.adc.bits": ["6"]}}, "cost.hardware_axes.ima.adc.bits[0]"),
        ({"hardware": []}, "cost.hardware: empty grid"),
        ({"hardware": ["isaac", "isaac"]}, "lists a description twice"),
        ({"hardware": ["isaac[adc.bits=6]"]}, "cost.hardware: hardware 'isaac[adc.bits=6]':"),
    ],
)
def test_a_bad_axis_is_one_error_line_naming_the_file_and_key(
    tmp_path: Path, cost: dict[str, Any], message: str
) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_spec(**cost)))
    with pytest.raises(UserError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_bad_value_fails_when_the_sweep_resolves() -> None:
    spec = spec_from_dict(_spec(hardware_axes={"ima.adc.bits": [6, 17]}))
    with pytest.raises(UserError, match=r"isaac\[ima.adc.bits=17\]: ima.adc.bits: .* 16"):
        hardware_digests(spec)


def _jobs(hardware: dict[str, str]) -> dict[str, dict[str, Any]]:
    spec = spec_from_dict({**SPEC, "faults": {**SPEC["faults"], "rates": [0.0, 0.1]}})
    return {
        job.key: {"kind": job.kind, **job.config}
        for job in expand(spec, {"lenet5": SHAPE}, hardware).jobs
    }


def test_every_job_of_a_variant_is_keyed_on_the_variants_own_content() -> None:
    alone = _jobs({"isaac": "a"})
    both = _jobs({"isaac": "a", SIX: "b"})
    edited = _jobs({"isaac": "a", SIX: "c"})  # the variant's content changed, not the base's
    assert set(alone) < set(both)  # the reference's jobs are unchanged, training included
    added = {k: j for k, j in both.items() if k not in alone}
    # map + simulate of the point, and its evaluation at the Pareto rate (0.1) only
    assert sorted(j["kind"] for j in added.values()) == ["evaluate", "map", "simulate"]
    assert all((j["hardware"], j["hardware_digest"]) == (SIX, "b") for j in added.values())
    assert [j["rate"] for j in added.values() if j["kind"] == "evaluate"] == [0.1]
    assert [j["rate"] for j in alone.values() if j["kind"] == "evaluate"] == [0.0, 0.1]
    assert set(edited) & set(added) == set()  # a new digest reruns each of them
    assert set(alone) <= set(edited)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hwaxis")
    (folder / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    result = CliRunner().invoke(
        cli,
        ["pareto", "--spec", str(folder / "spec.yaml"), "--out", str(folder / "out"),
         "--jobs", "1", "--no-report"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "7 jobs run, 0 already in the store" in result.stderr  # 1 train, 2 x 3
    return folder / "out"


def test_a_sweep_with_a_hardware_axis_runs_end_to_end(swept: Path) -> None:
    with (swept / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["hardware"], r["fault_rate"]) for r in rows] == [("isaac", "0.1"), (SIX, "0.1")]
    base, six = rows
    # the same trained model on the same chips: with an ADC that never clips (weight faults
    # only), the accuracy is the same; the 6-bit ADCs cost a quarter of the 8-bit energy
    assert base["train_key"] == six["train_key"]
    assert float(six["energy_per_image_j"]) < float(base["energy_per_image_j"])
    assert float(six["occupied_area_mm2"]) < float(base["occupied_area_mm2"])
    with (swept / "costs.csv").open() as f:
        assert [r["hardware"] for r in csv.DictReader(f)] == ["isaac", SIX]
    with (swept / "pareto.csv").open() as f:
        front = list(csv.DictReader(f))
    assert front and all(r["hardware"] in ("isaac", SIX) for r in front)


def test_the_accuracy_job_records_the_variants_description(swept: Path) -> None:
    with ResultsStore.open(swept) as store:
        data = load_sweep(store)
        results = {job.key: job.result for job in store.jobs()}
    rows = [*data.accuracy, *data.variants]
    recorded = {r.point.hardware: results[r.evaluate_key]["hardware"] for r in rows}
    assert recorded[SIX]["name"] == SIX and recorded["isaac"]["name"] == "isaac"
    assert (recorded[SIX]["adc_bits"], recorded["isaac"]["adc_bits"]) == (6, 8)
    assert recorded[SIX]["digest"] == hardware_digests(data.spec)[SIX]


def test_the_precision_page_shows_each_variants_cost_and_accuracy(swept: Path) -> None:
    with ResultsStore.open(swept) as store:
        data = load_sweep(store)
    base, six = data.precision
    assert (base.point.hardware, base.reference, six.point.hardware, six.reference) == (
        "isaac",
        True,
        SIX,
        False,
    )
    assert six.precision is not None and six.precision.adc_bits == 6
    # the ADC's share of the energy falls by 4 (2^-2); everything else is the same chip
    assert six.energy_per_image_j is not None and base.energy_per_image_j is not None
    assert six.energy_per_image_j < base.energy_per_image_j
    # the crossbar path converts every partial sum: ISAAC's sums need 8 bits, so the 6-bit
    # ADC rounds them in steps of 4 and its chips' accuracy is its own, paired against the
    # reference on the same chips (the reading picks whichever is cheapest without a
    # measurable loss: the 6-bit chip when the paired interval reaches 0)
    assert not six.identical and six.change is not None and six.change_half_width
    (reading,) = data.precision_readings
    no_loss = six.change + six.change_half_width >= 0
    assert f"is {SIX if no_loss else 'isaac'}" in reading.text
    assert "Rows marked '='" not in reading.text
    (fig,) = precision_pages(data)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert reading.text in texts and "Not produced" not in texts
    plt.close("all")
    (front,) = pareto_pages(data)  # no variant is '=': the front has no warning about one
    assert not any("marked '=' on the precision page" in t.get_text() for t in front.texts)
    plt.close("all")
    (missing,) = precision_pages(replace(data, variants=[], precision=[]))
    assert "Not produced by this sweep" in [t.get_text() for t in missing.texts]


def test_variants_can_evaluate_only_the_standard_trained_models() -> None:
    data = {
        **SPEC,
        "training": {**SPEC["training"], "methods": ["standard", "dropconnect"],
                     "dropconnect_rates": [0.2]},
    }  # fmt: skip
    for models, methods in [("all", ["dropconnect", "standard"]), ("standard", ["standard"])]:
        spec = spec_from_dict({**data, "cost": {**SPEC["cost"], "variant_models": models}})
        out = expand(spec, {"lenet5": SHAPE}, {"isaac": "a", SIX: "b"})
        assert sorted(e.point["method"] for e in out.variant_evaluations) == methods
        assert {e.point["hardware"] for e in out.variant_evaluations} == {SIX}
        assert len(out.evaluations) == 2  # the reference: both models at 0.1


def test_the_stored_sweep_keeps_the_reference_hardware_first(tmp_path: Path) -> None:
    # the stored JSON sorts a mapping's keys: "isaac" would come back first and take the
    # reference's role (and its jobs) from "isaac-4adc"
    spec = spec_from_dict(_spec(hardware=["isaac-4adc", "isaac"], hardware_axes={}))
    hardware = hardware_digests(spec)
    assert list(hardware) == ["isaac-4adc", "isaac"]
    out = tmp_path / "out"
    with ResultsStore.open(out) as store:
        record = sweep_record(spec, {"lenet5": SHAPE}, hardware)
        store.begin_sweep(canonical_json(record), "inline", current_provenance(), 0)
        data = load_sweep(store)
    assert data.hardware == ["isaac-4adc", "isaac"]


@pytest.mark.parametrize(("budget", "placements"), [({}, 2), ({"budget_tiles": 8}, 1)])
def test_a_variants_budget_follows_the_references_rule(
    budget: dict[str, int], placements: int
) -> None:
    # derived: the largest mapping under every placement, so the variant maps under both as
    # the reference does; declared: its own placement is all it needs
    data = _spec(compare_policies=["all-rram"], **budget)
    out = expand(spec_from_dict(data), {"lenet5": SHAPE}, {"isaac": "a", SIX: "b"})
    assert len(out.costs) == 2
    assert len(out.variant_costs) == placements
    assert {c.hardware for c in out.variant_costs} == {SIX}
