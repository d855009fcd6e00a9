"""The fault-mechanism registry: every preset has a mechanism, a new mechanism is one class and
one registration, and the CLI's `--fault-model` help comes from the presets."""

import math
import subprocess
import sys
from typing import ClassVar

import pytest
import torch
from click.testing import CliRunner
from faults_support import TinyNet, toy_mapping

from archsim.cli import cli
from archsim.errors import UserError
from archsim.faults import FaultInjector, FaultModel, fault_sites
from archsim.faults import mechanisms as registry
from archsim.faults.chip import ChipDrawer
from archsim.faults.mechanism import Drawing, Mechanism
from archsim.faults.models import STUCK_OFF
from archsim.faults.presets import PRESETS
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import FaultSite
from archsim.train.stochastic import StochasticFaults

# the shipped mechanisms: (kind, trainable, trains on cells); a mechanism added since only
# has to be a preset's and registered, so these pin the shipped ones and nothing more
SHIPPED = {"weight": ("weight", True, False), "cell": ("cell", True, True),
           "row": ("cell", False, False), "column": ("cell", False, False),
           "cluster": ("cell", False, False)}  # fmt: skip


def test_every_preset_has_a_registered_mechanism() -> None:
    assert {m.granularity for m in PRESETS.values()} == set(registry.MECHANISMS)
    assert list(registry.MECHANISMS)[: len(SHIPPED)] == list(SHIPPED)
    for granularity, (kind, trainable, on_cells) in SHIPPED.items():
        m = registry.MECHANISMS[granularity]
        assert (m.kind, m.trainable, m.trains_on_cells) == (kind, trainable, on_cells)
    # training on cells needs the cell format, so only a trainable mechanism may ask for it
    assert all(m.trainable for m in registry.MECHANISMS.values() if m.trains_on_cells)


def test_an_unknown_granularity_is_one_line_naming_the_registered_ones() -> None:
    with pytest.raises(UserError) as err:
        ChipDrawer((), FaultModel("odd", "diagonal"))
    names = ", ".join(registry.MECHANISMS)
    assert names.startswith("weight, cell, row, column, cluster")
    assert str(err.value) == f"fault granularity must be one of {names}, got 'diagonal'"


class _AllOffDrawing:
    def __init__(self, sites: tuple[FaultSite, ...]) -> None:
        self.sites = sites

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        out = {}
        for s in self.sites:  # rate > 0: every weight stuck-off; rate 0: none
            index = torch.arange(math.prod(s.weight_shape) if rate > 0 else 0)
            out[s.name] = LayerFaults(
                s.weight_shape, index, torch.full_like(index, STUCK_OFF, dtype=torch.int8)
            )
        return out


class AllOff(Mechanism):
    """A toy mechanism: at any rate > 0 every weight is stuck-off."""

    granularity: ClassVar[str] = "all-off"
    kind: ClassVar[StateKind] = "weight"

    def prepare(
        self,
        sites: tuple[FaultSite, ...],
        model: FaultModel,
        crossbar_rows: int,
        crossbar_cols: int,
    ) -> Drawing:
        return _AllOffDrawing(sites)


def test_a_new_mechanism_is_one_class_and_one_registration(monkeypatch) -> None:
    monkeypatch.setitem(registry.MECHANISMS, "all-off", AllOff())
    model = TinyNet()
    mapping = toy_mapping(model)
    sites = fault_sites(model, mapping)
    fm = FaultModel("everything-off", "all-off")
    drawer = ChipDrawer(sites, fm)
    chip = drawer.draw(0.5, seed=0, chip=0)
    # every weight of every RRAM layer is faulty, so each layer's fault count is its size
    assert chip.kind == "weight"
    assert {n: f.faults for n, f in chip.layers.items()} == {
        s.name: math.prod(s.weight_shape) for s in sites
    }
    faulted = FaultInjector(model, mapping).faulted_weights(chip)
    assert all(bool((w == 0).all()) for w in faulted.values())  # stuck-off reads 0
    assert drawer.draw(0.0, seed=0, chip=0).layers[sites[0].name].faults == 0
    # not trainable: the training sampler refuses it with the usual one line
    with pytest.raises(UserError, match="cannot be sampled during training"):
        StochasticFaults(0.1, fm, torch.Generator())


def test_fault_model_help_lists_every_preset(monkeypatch) -> None:
    monkeypatch.setitem(PRESETS, "all-off-demo", FaultModel("all-off-demo", "weight"))
    runner = CliRunner()
    for command in ("evaluate", "train"):
        text = " ".join(runner.invoke(cli, [command, "--help"]).output.split())
        assert all(name in text for name in PRESETS), command
    tolerance = " ".join(runner.invoke(cli, ["vulnerability", "--help"]).output.split())
    # the weight-kind presets, in registry order: the shipped three, any added since, the demo
    weight = [n for n, m in PRESETS.items() if registry.mechanism_of(m).kind == "weight"]
    assert weight[:3] == ["dropconnect", "sft", "stuck-on"] and weight[-1] == "all-off-demo"
    assert f"Weight-granularity preset: {', '.join(weight)}." in tolerance


def test_command_modules_import_without_torch() -> None:
    code = ("import sys, archsim.cli.evaluate, archsim.cli.train, archsim.cli.tolerance; "
            "print('torch' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.strip() == "False"
