"""The BatchNorm rule per chip configuration: `none` keeps the set `evaluate` uses, a technique
that moves faults (remap, spares, another placement) is scored with a set recalibrated on
chips with that technique, made from the checkpoint's recorded recalibration settings."""

import json
from itertools import islice
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from archsim.checkpoint import save_checkpoint
from archsim.cli import cli
from archsim.data import get_dataset, iterate_batches
from archsim.data.inputs import InputHandling, load_split
from archsim.explore.ft_study import Study, load_study
from archsim.explore.ft_techniques import Technique, chip_technique, run_technique
from archsim.explore.jobs import JobContext
from archsim.explore.kinds.tolerance import run_tolerance
from archsim.faults.independent import dense_states, weight_effect
from archsim.faults.inject import FaultInjector, sample_faulty_weights
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults, LayerFaults
from archsim.faults.remap import remap_chip
from archsim.nets import get_net
from archsim.train.recal_checkpoint import RecalibrateSpec, recalibrate_checkpoint
from archsim.train.recalibrate import recalibrate
from archsim.train.streams import stream_generator

DROPCONNECT = get_fault_model("dropconnect")  # stuck-off only: a faulty weight reads 0
NONE = Technique("none", "cpu-1x1")
REMAP = Technique("remap", "cpu-1x1", remap=True)
META = {
    "net": "resnet20",
    "width": 0.25,
    "num_classes": 10,
    "in_channels": 1,
    "dataset": "digits",
    "method": "standard",
    "seed": 0,
    "spec": {"limit": 256, "batch_size": 64},  # recalibration: 4 batches of 64
    "hardware": "isaac",
    "policy": "cpu-1x1",
}


def _prune(model: torch.nn.Module) -> None:
    """Zero every weight whose matrix row (input index of `weight.reshape(cout, -1)`) is not
    a multiple of 4: three quarters of each crossbar block's rows hold only zeros."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d | torch.nn.Linear):
                matrix = m.weight.view(m.weight.shape[0], -1)
                matrix[:, torch.arange(matrix.shape[1]) % 4 != 0] = 0


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pruned ResNet-20 (width 0.25) trained 8 seeded Adam steps of 32 digits, recalibrated
    at rate 0 only (every other rate is recalibrated on the fly)."""
    train = get_dataset("digits", "train")
    model = get_net("resnet20", 0.25, 10, 1, seed=0)
    _prune(model)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(8):
        idx = torch.randint(0, len(train.images), (32,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(train.images[idx]), train.labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        _prune(model)
    path = tmp_path_factory.mktemp("bn") / "pruned.safetensors"
    save_checkpoint(path, model.eval(), META)
    recalibrate_checkpoint(RecalibrateSpec(str(path), (0.0,)))
    return path


@pytest.fixture(scope="module")
def study(checkpoint: Path) -> Study:
    return load_study(checkpoint, "digits", limit=60)


def _stats_equal(a: object, b: object) -> bool:
    assert isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
    return all(torch.equal(a[k], b[k]) for k in a)


def test_a_remap_row_is_scored_with_a_set_recalibrated_on_remapped_chips(study: Study) -> None:
    none = run_technique(study, NONE, DROPCONNECT, 0.1, 2, 0)
    remap = run_technique(study, REMAP, DROPCONNECT, 0.1, 2, 0)
    assert none.bn_set == "dropconnect:0.1 (on the fly)"
    assert remap.bn_set == "dropconnect:0.1+remap (on the fly)"
    injector = FaultInjector(study.model, study.mapping())
    technique = chip_technique(study, REMAP, injector, NONE)
    assert technique is not None and technique.remap
    own, plain = study.bn("dropconnect", 0.1, technique).stats, study.bn("dropconnect", 0.1).stats
    assert not _stats_equal(own, plain)
    # an explicit recalibration with the checkpoint's settings (the first 256 training images
    # in 4 batches of 64, the `recal` stream of seed 0, the RRAM layers of cpu-1x1), every
    # fresh draw of a layer's faults remapped by `remap_chip` as a one-layer chip
    data = load_split("digits", "train", None, InputHandling(256, None, None))

    def remapped(name: str, states: torch.Tensor) -> torch.Tensor:
        chip = ChipFaults("weight", {name: LayerFaults.from_dense(states)}, "dropconnect", 0.1)
        return remap_chip(injector, chip).chip.layers[name].dense()

    explicit = recalibrate(
        study.model,
        technique.layers,
        [0.1],
        DROPCONNECT,
        lambda: islice(iterate_batches(data, 64, shuffle=False, augment=False, generator=None), 4),
        stream_generator(0, "recal", torch.device("cpu")),
        moved=lambda rate: remapped,
    )
    assert _stats_equal(own, explicit["dropconnect:0.1"])
    # the technique's draw is the plain one moved: the same random numbers as without
    gen_a, gen_b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    w = torch.randn(4, 6)
    states = dense_states(w.shape, 0.5, 0.0, gen_a, w.device)
    assert torch.equal(sample_faulty_weights(w, 0.5, DROPCONNECT, gen_b), weight_effect(w, states))


def test_remap_that_leaves_no_effective_fault_scores_the_fault_free_chip(study: Study) -> None:
    """At rate 0.01 each crossbar block of the pruned model has far fewer faulty rows than
    zero rows (3/4 of them), and remapping's row step is an exact assignment, so it puts every
    stuck-off slot under a zero weight: harm 0. A zero weight stuck off still reads 0, so every
    remapped chip computes as the fault-free quantized chip, and every remapped recalibration
    draw as the fault-free float model: the remap set is bit for bit the rate-0 set, and each
    chip scores exactly what rate 0 (no fault, the rate-0 set) scores, which no fault at
    0.01 on unremapped chips can beat on average."""
    clean = run_technique(study, NONE, DROPCONNECT, 0.0, 2, 0)
    assert clean.bn_set == "dropconnect:0.0" and clean.per_chip[0] == clean.per_chip[1]
    none = run_technique(study, NONE, DROPCONNECT, 0.01, 2, 0)
    remap = run_technique(study, REMAP, DROPCONNECT, 0.01, 2, 0)
    assert remap.bn_set == "dropconnect:0.01+remap (on the fly)"
    assert remap.per_chip == clean.per_chip
    injector = FaultInjector(study.model, study.mapping())
    technique = chip_technique(study, REMAP, injector, NONE)
    assert _stats_equal(
        study.bn("dropconnect", 0.01, technique).stats, study.bn_sets["dropconnect:0.0"]
    )
    assert sum(remap.per_chip) >= sum(none.per_chip)


def _json(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--no-progress", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_none_is_evaluate_and_each_technique_names_its_own_set(checkpoint: Path) -> None:
    common = ("--fault-rate", "0.1", "--chips", "2", "--limit", "60")
    ev = _json("evaluate", "--checkpoint", str(checkpoint), *common)
    tol = _json("tolerance", "--checkpoint", f"a={checkpoint}", "--technique",
                "none,remap,spare-1,all-rram:none,cpu-1x1-ends:none", *common)  # fmt: skip
    rows = {r["technique"]: r for r in tol["rows"]}
    assert ev["rows"][0]["bn_set"] == rows["none"]["bn_set"] == "dropconnect:0.1 (on the fly)"
    assert rows["none"]["per_chip"] == ev["per_chip"]["0.1"]
    assert rows["none"]["mean"] == ev["rows"][0]["mean"]
    for name in ("remap", "spare-1", "cpu-1x1-ends:none"):  # other faulty weights: own set
        assert rows[name]["bn_set"] == f"dropconnect:0.1+{name} (on the fly)"
    # all-rram faults the very layers cpu-1x1 does here (ResNet-20 option A has no 1x1 conv)
    assert rows["all-rram:none"]["bn_set"] == "dropconnect:0.1 (on the fly)"
    assert "note" not in tol
    bare = _json("tolerance", "--checkpoint", str(checkpoint), "--technique", "none,remap",
                 "--no-bn-sets", *common)  # fmt: skip
    assert {r["bn_set"] for r in bare["rows"]} == {"training"}


@pytest.mark.slow
def test_the_sweeps_tolerance_rows_follow_the_same_rule(checkpoint: Path) -> None:
    sweep = {"budget_chips": 1, "throughput_ips": 1.0, "energy_per_image_j": 1.0,
             "occupied_area_mm2": 1.0}  # fmt: skip
    config = {"fault_model": "dropconnect", "rate": 0.1, "chips": 2, "seed": 0, "limit": 60,
              "policy": "cpu-1x1", "hardware": "isaac", "dataset": "digits"}  # fmt: skip
    inputs = {"model": {"checkpoint": checkpoint.name}, "cost": sweep}
    ctx = JobContext("k", checkpoint.parent, checkpoint.parent)
    remap = run_tolerance({**config, "technique": "remap"}, inputs, ctx)
    study = load_study(checkpoint, "digits", limit=60)
    direct = run_technique(study, REMAP, DROPCONNECT, 0.1, 2, 0)
    assert remap["bn_set"] == direct.bn_set == "dropconnect:0.1+remap (on the fly)"
    assert remap["per_chip"] == list(direct.per_chip)
