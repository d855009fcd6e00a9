"""The cases of the bad-input corpus (`test_bad_input_corpus.py` runs them): each a command
line, a piece of the one error line it must print, and the files it needs set up first."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from archsim.explore.store import ResultsStore

PACKAGED = Path(__file__).resolve().parents[1] / "archsim" / "hwconfigs"

SPEC = {
    "name": "corpus",
    "dataset": "digits",
    "models": ["lenet5"],
    "widths": [1.0],
    "training": {"epochs": 1, "val_chips": 0},
    "faults": {"rates": [0.0], "chips": 2},
    "cost": {"compare_policies": [], "paper_table": False},
}


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    expect: str  # a piece of the one error line
    setup: Callable[[Path], None] | None = None


def _write(name: str, text: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).write_text(text)

    return setup


def spec_file(**changes: object) -> Callable[[Path], None]:
    data = dict(SPEC)
    for dotted, value in changes.items():
        head, _, tail = dotted.partition("__")
        if tail:
            data[head] = {**data[head], tail: value}  # type: ignore[dict-item]
        else:
            data[head] = value
    return _write("spec.yaml", yaml.safe_dump(data))


def _hardware(path: str, value: object) -> Callable[[Path], None]:
    keys = path.split(".")
    tree: dict[str, object] = {"base": str(PACKAGED / "isaac.yaml"), "name": "bad"}
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})  # type: ignore[assignment]
    node[keys[-1]] = value
    text = yaml.safe_dump(tree).replace("'.inf'", ".inf").replace("'.nan'", ".nan")
    return _write("hw.yaml", text)


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join([*lines, f"name: *a{levels - 1}"]) + "\n"


def _idx_dir(folder: Path) -> None:
    data = folder / "mnist"
    data.mkdir()
    for name, dims in (
        ("train-images-idx3-ubyte", (4_000_000_000, 28, 28)),
        ("train-labels-idx1-ubyte", (60_000,)),
        ("t10k-images-idx3-ubyte", (10_000, 28, 28)),
        ("t10k-labels-idx1-ubyte", (10_000,)),
    ):
        header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
        (data / name).write_bytes(header + bytes(16))


def _store(folder: Path, corrupt_spec: bool) -> None:
    with ResultsStore.open(folder / "out") as store:
        if corrupt_spec:
            from archsim.explore.provenance import current_provenance

            store.begin_sweep("{not json", "local", current_provenance(), 0)


def _checkpoint_copy(folder: Path) -> None:
    (folder / "ck.safetensors").write_bytes(CHECKPOINT.read_bytes())


CHECKPOINT = Path()  # set by test_bad_input_corpus's fixture: one small trained LeNet-5


def _fault_map_of_another_model(folder: Path) -> None:
    from archsim.checkpoint import load_checkpoint
    from archsim.faults.faultmap import save_fault_map
    from archsim.faults.inject import FaultInjector
    from archsim.faults.records import ChipFaults, LayerFaults
    from archsim.mapping.mapper import map_model

    _checkpoint_copy(folder)
    model, _, _ = load_checkpoint(folder / "ck.safetensors")
    mapping = map_model(model, (1, 8, 8), "isaac", model_name="lenet5", width=2.0)
    sites = FaultInjector(model, mapping).sites
    layers = {
        s.name: LayerFaults.from_dense(torch.zeros(s.weight_shape, dtype=torch.int8)) for s in sites
    }
    save_fault_map(
        folder / "map.safetensors", ChipFaults("weight", layers, "measured", None), mapping
    )


CK = ("--checkpoint", "ck.safetensors", "--limit", "20", "--no-progress")
CASES = [
    # Wrong numbers or hangs before: sizes, NaN, infinity.
    Case("width-1e6", ("map", "--model", "lenet5", "--width", "1e6"), "at most 1000"),
    Case("width-900", ("map", "--model", "lenet5", "--width", "900"), "GiB"),
    Case("width-100", ("map", "--model", "resnet20", "--width", "100"), "parameters"),
    Case("width-nan", ("map", "--model", "lenet5", "--width", "nan"), "--width"),
    Case("width-inf", ("map", "--model", "lenet5", "--width", "inf"), "--width"),
    Case("train-width-nan", ("train", "--model", "lenet5", "--width", "nan"), "width"),
    Case("evaluate-width-nan", ("evaluate", "--model", "lenet5", "--width", "nan"), "width"),
    Case("evaluate-unknown-model", ("evaluate", "--model", "foo"), "unknown model 'foo'"),
    Case(
        "spec-width-nan",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "widths",
        spec_file(widths=[math.nan]),
    ),
    Case(
        "spec-width-inf",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "widths",
        spec_file(widths=[math.inf]),
    ),
    Case(
        "spec-lr-inf",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "training.lr",
        spec_file(training__lr=math.inf),
    ),
    # YAML bombs and huge files.
    Case(
        "hw-alias-bomb",
        ("hw", "validate", "hw.yaml"),
        "aliases expand",
        _write("hw.yaml", _alias_bomb(9)),
    ),
    Case(
        "spec-alias-bomb",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "aliases expand",
        _write("spec.yaml", _alias_bomb(9)),
    ),
    Case(
        "spec-alias-bomb-5",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "aliases expand",
        _write("spec.yaml", _alias_bomb(6)),
    ),
    Case(
        "hw-huge-file",
        ("hw", "validate", "hw.yaml"),
        "too large",
        _write("hw.yaml", "name: x\nk: " + "y" * (3 << 20) + "\n"),
    ),
    Case(
        "hw-duplicate-key",
        ("hw", "validate", "hw.yaml"),
        "duplicate key",
        _write("hw.yaml", "name: a\nname: b\n"),
    ),
    Case(
        "hw-syntax",
        ("hw", "validate", "hw.yaml"),
        "YAML syntax error",
        _write("hw.yaml", "name: [a\n"),
    ),
    # Implausible hardware.
    Case(
        "hw-area-0",
        ("hw", "validate", "hw.yaml"),
        "crossbar.area_mm2",
        _hardware("crossbar.area_mm2", 0.0),
    ),
    Case(
        "hw-power-inf",
        ("hw", "validate", "hw.yaml"),
        "power_mw",
        _hardware("ima.adc.power_mw", ".inf"),
    ),
    Case(
        "hw-rows-65536",
        ("hw", "validate", "hw.yaml"),
        "crossbar.rows",
        _hardware("crossbar.rows", 65536),
    ),
    Case(
        "hw-cols-1e12",
        ("hw", "validate", "hw.yaml"),
        "crossbar.cols",
        _hardware("crossbar.cols", 10**12),
    ),
    Case(
        "hw-a-directory",
        ("map", "--model", "lenet5", "--hw", "hwdir/"),
        "is a directory",
        lambda folder: (folder / "hwdir").mkdir(),
    ),
    # Names validated before any work.
    Case(
        "spec-unknown-hardware",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "unknown hardware 'isaacc'",
        spec_file(cost__hardware="isaacc"),
    ),
    Case(
        "spec-unknown-policy",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "cost.policy: unknown policy",
        spec_file(cost__policy="cpu-2x2"),
    ),
    Case(
        "spec-unknown-compare-policy",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "cost.compare_policies: unknown policy",
        spec_file(cost__compare_policies=["all-ram"]),
    ),
    Case(
        "spec-unknown-fault-model",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "faults.model: unknown fault model",
        spec_file(faults__model="stuck"),
    ),
    Case(
        "spec-unknown-sft-fault-model",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "training.sft_fault_model",
        spec_file(
            training__methods=["oneshot"],
            training__sft_rates=[0.1],
            training__sft_fault_model="nope",
        ),
    ),
    Case(
        "spec-unknown-net",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "unknown model 'lenet6'",
        spec_file(models=["lenet6"]),
    ),
    Case(
        "spec-unknown-dataset",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "unknown dataset",
        spec_file(dataset="imagenet"),
    ),
    Case(
        "spec-threshold-150",
        ("pareto", "--spec", "spec.yaml", "--out", "out"),
        "threshold",
        spec_file(faults__threshold=150),
    ),
    Case(
        "pareto-jobs-minus-2",
        ("pareto", "--spec", "spec.yaml", "--out", "out", "--jobs", "-2"),
        "--jobs",
        spec_file(),
    ),
    Case(
        "pareto-jobs-0",
        ("pareto", "--spec", "spec.yaml", "--out", "out", "--jobs", "0"),
        "--jobs",
        spec_file(),
    ),
    Case("pareto-unknown-preset", ("pareto", "--preset", "nope", "--out", "out"), "unknown preset"),
    # Stores.
    Case("report-missing", ("report", "specs/x.yaml"), "no results store at specs/x.yaml"),
    Case(
        "report-foreign-file", ("report", "spec.yaml"), "not an archsim results store", spec_file()
    ),
    Case(
        "report-empty-store",
        ("report", "out"),
        "holds no sweep",
        lambda folder: _store(folder, corrupt_spec=False),
    ),
    Case(
        "report-corrupt-spec-row",
        ("report", "out"),
        "corrupt",
        lambda folder: _store(folder, corrupt_spec=True),
    ),
    # Datasets.
    Case(
        "idx-4e9-dimension",
        ("train", "--model", "lenet5", "--dataset", "mnist", "--data-dir", "mnist"),
        "header declares",
        _idx_dir,
    ),
    Case("data-dir-missing", ("data", "list", "--data-dir", "nowhere"), "does not exist"),
    Case("data-unknown", ("data", "list", "imagenet"), "unknown dataset"),
    # Evaluation options.
    Case(
        "evaluate-device-tpu",
        ("evaluate", *CK, "--device", "tpu"),
        "unknown device",
        _checkpoint_copy,
    ),
    Case("evaluate-device-cuda", ("evaluate", *CK, "--device", "cuda"), "CUDA", _checkpoint_copy),
    Case(
        "train-device-tpu",
        ("train", "--model", "lenet5", "--device", "tpu", "--output", "x.safetensors"),
        "unknown device",
    ),
    Case(
        "evaluate-threshold-150",
        ("evaluate", *CK, "--threshold", "150"),
        "--threshold",
        _checkpoint_copy,
    ),
    Case("evaluate-chips-0", ("evaluate", *CK, "--chips", "0"), "--chips", _checkpoint_copy),
    Case(
        "evaluate-fault-map-with-rate",
        ("evaluate", *CK, "--fault-map", "map.safetensors", "--fault-rate", "0.1"),
        "--fault-map",
        _fault_map_of_another_model,
    ),
    Case(
        "evaluate-fault-map-of-another-model",
        ("evaluate", *CK, "--fault-map", "map.safetensors"),
        "width 2",
        _fault_map_of_another_model,
    ),
    Case(
        "evaluate-corrupt-checkpoint",
        ("evaluate", "--checkpoint", "ck.safetensors"),
        "ck.safetensors",
        _write("ck.safetensors", "not a checkpoint"),
    ),
    # Usage errors: one line too.
    Case("usage-typo-option", ("map", "--modle", "x"), "No such option '--modle'"),
    Case("usage-missing-option", ("map",), "Missing option '--model'"),
    Case("usage-unknown-command", ("mpa",), "No such command 'mpa'"),
    Case("usage-bad-choice", ("map", "--model", "lenet5", "--format", "xml"), "'xml'"),
]
