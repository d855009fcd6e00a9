"""CONTRIBUTING.md's "Where to add", followed as a stranger would: a toy fault mechanism, a
toy hardware component in a variant description (not in isaac.yaml) and a toy report page.

Each new module is written out as source (in `tmp_path`, standing for the file the guide
names) and imported; each registry entry the guide names is made where it says, monkeypatched
for the test (`_REGISTERED` in `faults/mechanisms.py`, `PRESETS` in `faults/presets.py`,
`sections()` in `report/pdf.py`; the variant component registers itself with
`archsim.hw.register`). Then the checks those touch run: the mechanism draws at its rate
through its preset and the CLI lists it; the component's energy shows in `archsim map
--breakdown` and every breakdown still sums to the total; the page renders and passes the
report's layout checks (and, in the slow tier, renders in its place in the whole report).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import matplotlib.pyplot as plt
import pytest
from click.testing import CliRunner
from faults_support import TinyNet, toy_mapping
from page_layout import every_page_checked, offset_exponents, overlaps
from sweep_rows import accuracy_row

from archsim.cli import cli
from archsim.explore.expansion import DatasetShape
from archsim.explore.results import SweepData, derive
from archsim.explore.spec import spec_from_dict
from archsim.faults import FaultInjector, fault_sites
from archsim.faults import mechanisms as mechanism_registry
from archsim.faults.chip import ChipDrawer
from archsim.faults.models import FaultModel
from archsim.faults.presets import PRESETS, get_fault_model
from archsim.hw import unregister
from archsim.report import pdf

# --- the fault mechanism: archsim/faults/<name>.py -------------------------------------------
MECHANISM = '''
"""Toy mechanism: each weight faulty with probability `rate`, every fault stuck-off."""

import math
from typing import ClassVar

import torch

from archsim.faults.draw import bernoulli_positions, unit_rng
from archsim.faults.mechanism import Drawing, Mechanism
from archsim.faults.models import STUCK_OFF, FaultModel
from archsim.faults.records import LayerFaults, StateKind
from archsim.faults.sites import FaultSite


class _ToyDrawing:
    def __init__(self, sites: tuple[FaultSite, ...]) -> None:
        self.sites = sites

    def draw(self, rate: float, seed: int, chip: int) -> dict[str, LayerFaults]:
        out = {}
        for site in self.sites:
            shape = site.weights_shape
            rng = unit_rng(seed, chip, f"toy:{site.name}")
            index = torch.from_numpy(bernoulli_positions(rng, math.prod(shape), rate))
            kind = torch.full_like(index, STUCK_OFF, dtype=torch.int8)
            out[site.name] = LayerFaults(shape, index, kind)
        return out


class ToyFaults(Mechanism):
    granularity: ClassVar[str] = "toy"
    kind: ClassVar[StateKind] = "weight"

    def prepare(
        self,
        sites: tuple[FaultSite, ...],
        model: FaultModel,
        crossbar_rows: int,
        crossbar_cols: int,
    ) -> Drawing:
        return _ToyDrawing(sites)
'''

# --- the component: its module (block model too, a what-if one) and a variant description -----
COMPONENT = '''
"""Toy tile unit: flashes once per matrix-vector product."""

from dataclasses import dataclass
from typing import ClassVar

from pydantic import PositiveInt

from archsim.config import hwparts
from archsim.config.blocks import block
from archsim.config.hwschema import HardwareConfig
from archsim.hw import register
from archsim.hw.component import ActionRef, Component, Datasheet
from archsim.hw.spec import ComponentSpec, MvmWork

FLASH = ActionRef("tile.toy", "flash")


class ToyConfig(hwparts.ComponentBlock):
    ACTIONS: ClassVar[tuple[str, ...]] = (FLASH.action,)

    count: PositiveInt  # per tile


def _block(hw: HardwareConfig) -> ToyConfig:
    return block(hw, "tile", "toy", ToyConfig)


@dataclass(frozen=True, kw_only=True)
class Toy(Component):
    count: int

    @classmethod
    def from_config(cls, hw: HardwareConfig) -> "Toy":
        toy = _block(hw)
        return cls(sheet=Datasheet.of(FLASH.component, toy), count=toy.count)


def _once(work: MvmWork) -> float:
    return 1.0


TOY = ComponentSpec(
    name="tile.toy",
    level="tile",
    block=ToyConfig,
    build=Toy.from_config,
    actions=(FLASH,),
    count=lambda hw: _block(hw).count,
    per_mvm=((FLASH, _once),),
)
register(TOY)
'''

# 0.8 pJ per flash at one flash per ns is 0.8 mW, plus 0.2 mW static: the stated 1 mW
# (the power rule, config/powercheck.py)
VARIANT = """
base: isaac
name: isaac-toy
tile:
  toy:
    count: 2
    power_mw: 1.0
    area_mm2: 0.01
    leakage_mw: 0.2
    source: "toy"
    actions:
      flash: {energy_pj: 0.8, latency_ns: 1.0, source: "toy"}
"""

NETWORK = """
from torch import nn


def net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(16 * 8 * 8, 10))
"""

# --- the report page: archsim/report/pages_<name>.py ------------------------------------------
PAGE = '''
"""Toy page: the stored accuracy rows as a table (computes nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from archsim.report.style import missing_page, page, table

if TYPE_CHECKING:
    from archsim.explore.results import SweepData

TITLE = "Toy: every stored accuracy"


def toy_pages(data: SweepData) -> list[Figure]:
    if not data.accuracy:
        return [missing_page(TITLE, "The sweep stored no accuracy.")]
    fig = page(TITLE, "one row per stored evaluation")
    rows = [(r.point.method, r.fault_rate, f"{r.stats.mean:.1f}") for r in data.accuracy]
    table(fig, (0.08, 0.2, 0.84, 0.6), ("method", "fault rate", "accuracy (%)"), rows)
    return [fig]
'''


def _module(folder: Path, name: str, source: str) -> ModuleType:
    """Write `source` as module `name` in `folder` (on sys.path) and import it."""
    (folder / f"{name}.py").write_text(source.lstrip(), encoding="utf-8")
    return importlib.import_module(name)


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("toy_mechanism", "toy_component", "toy_network", "pages_toy"):
        sys.modules.pop(name, None)


def test_a_fault_mechanism_added_by_the_guide_draws_at_its_rate(
    sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy = _module(sources, "toy_mechanism", MECHANISM).ToyFaults()
    # step 2: one entry in _REGISTERED (MECHANISMS is built from it when the module loads)
    registered = (*mechanism_registry._REGISTERED, toy)
    monkeypatch.setattr(mechanism_registry, "_REGISTERED", registered)
    monkeypatch.setattr(mechanism_registry, "MECHANISMS", {m.granularity: m for m in registered})
    # step 3: a preset
    preset = FaultModel("toy-off", "toy", 1.0, 0.0, "per weight, stuck-off (toy)")
    monkeypatch.setitem(PRESETS, "toy-off", preset)

    model = TinyNet(width=32)
    mapping = toy_mapping(model)
    sites = fault_sites(model, mapping)
    drawer = ChipDrawer(sites, get_fault_model("toy-off"))
    units = sum(math.prod(s.weights_shape) for s in sites)
    rate = 0.25
    counts = [sum(f.faults for f in drawer.draw(rate, seed=0, chip=c).layers.values())
              for c in range(4)]  # fmt: skip
    # binomial(units, 0.25): each chip within 5 standard deviations of units / 4
    sd = math.sqrt(units * rate * (1 - rate))
    assert all(abs(n - units * rate) < 5 * sd for n in counts), (counts, units)
    assert len(set(counts)) > 1  # the chips differ
    again = drawer.draw(rate, seed=0, chip=0)
    assert sum(f.faults for f in again.layers.values()) == counts[0]  # chip 0 is chip 0
    assert sum(f.faults for f in drawer.draw(0.0, seed=0, chip=0).layers.values()) == 0
    # injected: exactly the drawn weights read 0 (stuck-off)
    faulted = FaultInjector(model, mapping).faulted_weights(again)
    zeros = sum(int((w == 0).sum()) for w in faulted.values())
    assert zeros == counts[0]
    # the CLI's --fault-model help lists it with no CLI file changed
    text = " ".join(CliRunner().invoke(cli, ["evaluate", "--help"]).output.split())
    assert "toy-off" in text


def test_a_component_in_a_variant_description_shows_in_the_breakdown(sources: Path) -> None:
    component = _module(sources, "toy_component", COMPONENT)
    try:
        variant = sources / "isaac-toy.yaml"
        variant.write_text(VARIANT, encoding="utf-8")
        _module(sources, "toy_network", NETWORK)
        network = f"{sources / 'toy_network.py'}:net"
        args = ["map", "--model", network, "--input-shape", "3,8,8", "--policy", "all-rram",
                "--breakdown", "--format", "json"]  # fmt: skip
        runner = CliRunner()
        done = runner.invoke(cli, [*args, "--hw", str(variant)])
        assert done.exit_code == 0, done.output
        rows = json.loads(done.output)["rows"]
        (total,) = [r for r in rows if r["layer"] == "(total)"]
        # the conv's 64 output pixels are 64 MVMs, one flash each: 64 x 0.8 pJ dynamic
        (conv,) = [r for r in rows if r["part"] == "dynamic" and r["layer"] == "0"]
        assert conv["tile.toy"] == pytest.approx(64 * 0.8e-12, rel=1e-4)
        assert total["tile.toy"] > conv["tile.toy"]  # plus its static energy
        # every breakdown row still sums to its total (columns rounded to 5 digits)
        for row in rows:
            parts = [v for k, v in row.items() if k not in ("width", "layer", "part", "total_j")]
            assert math.fsum(parts) == pytest.approx(row["total_j"], rel=1e-4), row
        # ISAAC itself is unchanged: while the toy is registered its block is required there
        plain = runner.invoke(cli, [*args, "--hw", "isaac"])
        assert plain.exit_code == 2 and "tile.toy: required key is missing" in plain.output
    finally:
        unregister(component.TOY)


def _toy_sweep() -> SweepData:
    spec = spec_from_dict({"name": "toy", "dataset": "digits", "models": ["resnet20"],
                           "widths": [1.0], "training": {"epochs": 1, "methods": ["standard"]},
                           "faults": {"rates": [0.0, 0.1], "chips": 1}})  # fmt: skip
    digits = DatasetShape("digits", (1, 8, 8), 10, {"shortcut": "1x1"})
    rows = [accuracy_row([90.0]), accuracy_row([70.0], fault_rate=0.1)]
    return derive(SweepData(spec=spec, datasets={"resnet20": digits}, accuracy=rows))


def test_a_report_page_added_by_the_guide_renders(sources: Path) -> None:
    toy_pages = _module(sources, "pages_toy", PAGE).toy_pages
    (fig,) = toy_pages(_toy_sweep())
    cells = [t.get_text().get_text() for ax in fig.axes for tab in ax.tables
             for t in tab.get_celld().values()]  # fmt: skip
    assert {"90.0", "70.0"} <= set(cells)
    assert overlaps(fig) == [] and offset_exponents(fig) == []  # the report style's checks
    plt.close(fig)


@pytest.mark.slow
def test_a_report_page_in_its_place_renders_in_the_report(
    sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toy_pages = _module(sources, "pages_toy", PAGE).toy_pages
    # step 2: its place in sections()
    shipped = pdf.sections()
    monkeypatch.setattr(pdf, "sections", lambda: (*shipped, toy_pages))
    steps: list[str] = []
    with every_page_checked() as problems:
        pdf.render_report(_toy_sweep(), sources / "report.pdf", on_step=steps.append)
    assert problems[:-1] == []  # no overlapping labels, no offset exponent, on any page
    assert steps[-1].startswith("report: drawing toy (page ")  # drawn, last, by its name
    assert (sources / "report.pdf").read_bytes().startswith(b"%PDF")
