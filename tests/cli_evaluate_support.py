"""Shared by the `archsim evaluate` CLI tests: a LeNet-5 trained on digits, saved as a
checkpoint (the module-scoped `checkpoint` fixture), and a runner for the command."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from faults_support import trained_lenet5

from archsim.checkpoint import save_checkpoint
from archsim.cli import cli

META = {
    "net": "lenet5",
    "width": 1.0,
    "num_classes": 10,
    "in_channels": 1,
    "dataset": "digits",
    "method": "standard",
    "seed": 0,
}


def trained_lenet() -> torch.nn.Module:
    return trained_lenet5(60)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    path = root / "models" / "lenet5-w1-digits-standard.safetensors"
    model = trained_lenet()
    save_checkpoint(path, model, META)
    return path


def run_evaluate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evaluate", "--no-progress", *args])
    # stdout on success (stderr may carry log lines), everything on failure
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output
