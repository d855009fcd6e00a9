"""Shared by the `archsim evaluate` CLI tests: a LeNet-5 trained on digits, saved as a
checkpoint (the module-scoped `checkpoint` fixture), and a runner for the command."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from faults_support import digits

from archsim.checkpoint import save_checkpoint
from archsim.cli import cli
from archsim.nets import get_net

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
    images, labels, _, _ = digits()
    model = get_net("lenet5", 1.0, 10, 1, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(60):
        idx = torch.randint(0, len(images), (128,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


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
