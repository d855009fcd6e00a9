"""The bad-input corpus's cases by class of input, one case per class the audit found (the
property test in test_option_properties.py covers every option's types on its own): seeds,
sizes and learning rates; recursion-safe, size-checked readers; non-regular inputs; outputs
that would replace an input or a device; checkpoints that name code; user models that exit or
hold nothing; and bad input that used to be accepted."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from bad_input_cases import CK, Case, _checkpoint_copy, _store, _write, spec_file


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        os.mkfifo(folder / name)

    return setup


def _forged_checkpoint(net: str) -> Callable[[Path], None]:
    """A checkpoint with a valid checksum whose metadata names `net` (anyone can write one)."""

    def setup(folder: Path) -> None:
        from torch import nn

        from archsim.checkpoint import save_checkpoint

        meta = {"net": net, "width": 1.0, "num_classes": 10, "in_channels": 1}
        save_checkpoint(folder / "sent.safetensors", nn.Linear(64, 10), meta)

    return setup


def _study_store(folder: Path) -> None:
    (folder / "v.json").write_text('{"kind": "vulnerability"}')
    _store(folder, corrupt_spec=False)


def _store_without(table: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        import sqlite3

        _store(folder, corrupt_spec=False)
        conn = sqlite3.connect(folder / "out" / "results.sqlite")
        with conn:
            conn.execute(f"DROP TABLE {table}")
        conn.close()

    return setup


DEEP_JSON = "[" * 100_000 + "]" * 100_000
CSV_HEAD = "chip,tile,ima,crossbar,row,column,state\n"
PARETO = ("pareto", "--spec", "spec.yaml", "--out", "out")

CLASS_CASES = [
    # Seeds in [0, 2**63); sizes and learning rates bounded like widths.
    Case("train-seed-negative", ("train", "--model", "lenet5", "--seed", "-1"), "--seed"),
    Case("spec-seed-1e30", PARETO, "seed", spec_file(seed=10**30)),
    Case("train-pad-to-100000", ("train", "--model", "lenet5", "--pad-to", "100000"), "--pad-to"),
    Case("spec-input-size-100000", PARETO, "input_size", spec_file(input_size=100000)),
    Case("train-lr-1e308", ("train", "--model", "lenet5", "--lr", "1e308"), "--lr"),
    Case("train-lr-inf", ("train", "--model", "lenet5", "--lr", "inf"), "--lr"),
    Case(
        "map-option-num-classes",
        ("map", "--model", "lenet5", "--option", "num_classes=0"),
        "num_classes is not a net option",
    ),
    Case(
        "vulnerability-batch-size-0",
        ("vulnerability", *CK, "--batch-size", "0"),
        "--batch-size",
        _checkpoint_copy,
    ),
    Case(
        "recalibrate-batch-size-0",
        ("recalibrate", "--checkpoint", "ck.safetensors", "--rates", "0.1", "--batch-size", "0"),
        "--batch-size",
        _checkpoint_copy,
    ),
    # Recursion-safe, size-checked readers.
    Case(
        "hw-self-alias",
        ("hw", "validate", "hw.yaml"),
        "refers to a node that contains it",
        _write("hw.yaml", "name: &a [*a]\n"),
    ),
    Case(
        "spec-self-alias",
        PARETO,
        "refers to a node that contains it",
        _write("spec.yaml", "a: &a {b: *a}\nname: x\n"),
    ),
    Case(
        "hw-5000-digit-integer",
        ("hw", "validate", "hw.yaml"),
        "cannot be read",
        _write("hw.yaml", "name: x\nk: " + "9" * 5000 + "\n"),
    ),
    Case(
        "study-deep-json",
        ("ft-report", "v.json", "--out", "x.pdf"),
        "nested more than",
        _write("v.json", DEEP_JSON),
    ),
    Case(
        "store-without-sweeps",
        ("report", "out"),
        "damaged: no such table: sweeps",
        _store_without("sweeps"),
    ),
    Case(
        "study-3000-rows",
        ("ft-report", "v.json", "--out", "x.pdf"),
        "more than the 2,000 a study holds",
        _write("v.json", '{"kind": "vulnerability", "rows": [' + ", ".join(["{}"] * 3000) + "]}"),
    ),
    Case(
        "vulnerability-file-deep-json",
        ("tolerance", *CK, "--vulnerability", "v.json", "--out", "t.json"),
        "nested more than",
        lambda folder: (_checkpoint_copy(folder), _write("v.json", DEEP_JSON)(folder)),
    ),
    Case(
        "defect-csv-1e30",
        (
            "faults",
            "import",
            "m.csv",
            "--checkpoint",
            "ck.safetensors",
            "--output",
            "m.safetensors",
        ),
        "out of range",
        lambda folder: (
            _checkpoint_copy(folder),
            _write("m.csv", CSV_HEAD + "0,0,0,0," + "1" + "0" * 30 + ",0,1\n")(folder),
        ),
    ),
    Case(
        "defect-csv-oversized",
        (
            "faults",
            "import",
            "m.csv",
            "--checkpoint",
            "ck.safetensors",
            "--output",
            "m.safetensors",
        ),
        "more than the",
        lambda folder: (
            _checkpoint_copy(folder),
            _write("m.csv", CSV_HEAD + "0,0,0,0,1,1,1\n" * 1_300_000)(folder),
        ),
    ),
    # Non-regular inputs are refused unread (a FIFO would block, /dev/zero never ends).
    Case("spec-dev-zero", ("pareto", "--spec", "/dev/zero", "--out", "out"), "not a regular file"),
    Case("spec-fifo", PARETO, "not a regular file", _fifo("spec.yaml")),
    Case("hw-fifo", ("hw", "validate", "hw.yaml"), "not a regular file", _fifo("hw.yaml")),
    # Outputs never replace an input or a device.
    Case(
        "report-over-its-store",
        ("report", "out", "--out", "out/results.sqlite"),
        "same file as the input",
        lambda folder: _store(folder, corrupt_spec=False),
    ),
    Case(
        "ft-report-over-its-study",
        ("ft-report", "v.json", "--out", "v.json"),
        "same file as the input",
        _study_store,
    ),
    Case(
        "faults-import-over-its-map",
        ("faults", "import", "m.npz", "--checkpoint", "ck.safetensors", "--output", "m.npz"),
        "same file as the input",
        lambda folder: (_checkpoint_copy(folder), _write("m.npz", "lab data")(folder)),
    ),
    Case(
        "report-to-dev-full",
        ("report", "out", "--out", "/dev/full"),
        "not a regular file",
        lambda folder: _store(folder, corrupt_spec=False),
    ),
    Case(
        "spec-name-escapes", ("pareto", "--spec", "spec.yaml"), "name", spec_file(name="../escaped")
    ),
    Case(
        "spec-name-absolute", ("pareto", "--spec", "spec.yaml"), "name", spec_file(name="/tmp/abs")
    ),
    # A checkpoint never imports code; user models that exit or hold nothing.
    Case(
        "checkpoint-names-os-abort",
        ("evaluate", "--checkpoint", "sent.safetensors"),
        "never runs code by itself",
        _forged_checkpoint("os:abort"),
    ),
    Case(
        "checkpoint-names-a-py-file",
        ("evaluate", "--checkpoint", "sent.safetensors"),
        "never runs code by itself",
        _forged_checkpoint("/tmp/anything.py:make"),
    ),
    Case("model-builtins-exit", ("map", "--model", "builtins:exit"), "SystemExit"),
    Case(
        "model-exits-at-import",
        ("map", "--model", "ex.py:make"),
        "SystemExit: 0",
        _write("ex.py", "import sys\nsys.exit(0)\n"),
    ),
    Case(
        "model-without-parameters",
        ("map", "--model", "relu.py:make"),
        "without parameters",
        _write("relu.py", "import torch\n\ndef make():\n    return torch.nn.ReLU()\n"),
    ),
    # Bad input that used to be accepted.
    Case(
        "recalibrate-another-dataset",
        (
            "recalibrate",
            "--checkpoint",
            "ck.safetensors",
            "--rates",
            "0.1",
            "--dataset",
            "fashion-mnist",
        ),
        "trained on digits",
        _checkpoint_copy,
    ),
    Case(
        "evaluate-min-chips-over-chips",
        ("evaluate", *CK, "--min-chips", "5", "--chips", "2"),
        "--min-chips 5",
        _checkpoint_copy,
    ),
    Case(
        "evaluate-adaptive-nan",
        ("evaluate", *CK, "--adaptive", "nan"),
        "--adaptive",
        _checkpoint_copy,
    ),
    Case(
        "evaluate-empty-rate",
        ("evaluate", *CK, "--fault-rate", "0.1,,0.2"),
        "empty rate",
        _checkpoint_copy,
    ),
    Case(
        "evaluate-yield-without-threshold",
        ("evaluate", *CK, "--stop-on", "yield"),
        "--threshold",
        _checkpoint_copy,
    ),
    Case(
        "tolerance-spare-0",
        ("tolerance", *CK, "--technique", "spare-0"),
        "spare-0",
        _checkpoint_copy,
    ),
    Case(
        "tolerance-spare-01",
        ("tolerance", *CK, "--technique", "spare-01"),
        "spare-01",
        _checkpoint_copy,
    ),
    Case(
        "spec-tolerance-spare-1000000",
        PARETO,
        "spare-K needs K in 1..64",
        spec_file(tolerance=["spare-1000000"]),
    ),
    Case(
        "faults-import-output-txt",
        ("faults", "import", "m.npz", "--checkpoint", "ck.safetensors", "--output", "o.txt"),
        ".safetensors",
        _checkpoint_copy,
    ),
]
