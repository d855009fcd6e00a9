"""A fault-tolerance study's fixed inputs: one checkpoint, its test images, its hardware, and
the mappings and costs of the placements and spare-column counts a study compares.

Every design point is costed the way `archsim map` and sweeps cost it: balanced (replicated)
inside a budget of `budget_chips` chips (`perf.balance.costed_mapping`) and estimated by the
closed-form pipeline model (`analytic`, the DES's schedule without events); `crossbars` is the
one-copy (unreplicated) count, the silicon the network itself needs.

Every chip of a study is scored with the BatchNorm statistics of the one rule
(`faults.bnsets.choose_bn`, as `archsim evaluate`) for its configuration: the checkpoint's set
for the fault model and rate, else one recalibrated on the fly with its recorded settings,
else (never recalibrated) training's; chips with a technique that changes which weights are
faulty get a set recalibrated on the fly on chips with that technique (where the rule
recalibrates at all); `bn(fault_model, rate, technique)` says which.
"""

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from archsim.checkpoint import load_checkpoint
from archsim.config.hardware import load_hardware
from archsim.config.hwschema import HardwareConfig
from archsim.data.inputs import InputHandling, load_split
from archsim.errors import UserError
from archsim.explore.ft_records import PointCost, Setting
from archsim.faults.bnsets import BnChoice, BnStats, choose_bn, qualify_legacy_keys
from archsim.faults.devices import device_physics
from archsim.faults.technique import ChipTechnique
from archsim.faults.xbarpath import CrossbarSetup, crossbar_setup
from archsim.hw.adc import CONVERSION
from archsim.mapping.geometry import Geometry
from archsim.mapping.layers import extract_layers
from archsim.mapping.mapper import map_specs
from archsim.mapping.options import MapOptions
from archsim.mapping.records import LayerSpec, Mapping
from archsim.perf.balance import costed_mapping
from archsim.perf.costs import PerfCosts
from archsim.perf.estimators import estimate_point
from archsim.perf.hw_costs import costs_from_hardware
from archsim.perf.result import PerfResult
from archsim.train.recal_checkpoint import on_the_fly

ESTIMATOR = "analytic"


@dataclass
class Study:
    path: Path
    model: nn.Module
    meta: dict[str, Any]
    dataset: str
    images: Tensor
    labels: Tensor
    hw: HardwareConfig
    budget_chips: int = 1
    bn_sets: dict[str, BnStats] = field(default_factory=dict)
    device: str = "cpu"
    budget_tiles: int | None = None  # the budget in tiles (a sweep's `budget_tiles`)
    crossbar: CrossbarSetup | None = None  # None: weights-only (no DAC, ADC or input bits)
    _costs: dict[tuple[object, ...], tuple[Mapping, PerfResult, PointCost]] = field(
        default_factory=dict
    )
    _bn: dict[tuple[str, float, str], BnChoice] = field(default_factory=dict)

    def bn(self, fault_model: str, rate: float, technique: ChipTechnique | None = None) -> BnChoice:
        """The BatchNorm statistics chips at `rate` (with `technique`) are scored with (one
        rule, module doc)."""
        key = (fault_model, rate, "" if technique is None else technique.name)
        if key not in self._bn:
            self._bn[key] = choose_bn(
                self.bn_sets, fault_model, rate, on_the_fly(self.path, self.device), technique
            )
        return self._bn[key]

    def setting(
        self, *, fault_model: str, rate: float, seed: int, chips: int, images: int
    ) -> Setting:
        """What a study of this checkpoint measures every row on (`ft_records.Setting`)."""
        return Setting(
            model=self.meta["net"],
            dataset=self.dataset,
            hardware=self.hw.name,
            fault_model=fault_model,
            rate=rate,
            seed=seed,
            chips=chips,
            images=images,
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.images.shape[1:])

    @cached_property
    def specs(self) -> list[LayerSpec]:
        return extract_layers(self.model, self.input_shape)

    @cached_property
    def perf_costs(self) -> PerfCosts:
        return costs_from_hardware(self.hw)

    def geometry(self, spare_columns: int = 0) -> Geometry:
        return replace(Geometry.from_hardware(self.hw), spare_columns=spare_columns)

    def mapping(
        self, policy: str = "all-rram", overrides: tuple[str, ...] = (), spare_columns: int = 0
    ) -> Mapping:
        """One copy of every layer: the crossbars the network itself needs (techniques fault
        every replica of `cost`'s balanced mapping)."""
        return map_specs(
            self.specs,
            self.geometry(spare_columns),
            input_shape=self.input_shape,
            options=MapOptions(policy=policy, overrides=overrides),
            model_name=self.meta["net"],
            width=float(self.meta["width"]),
        )

    @property
    def budget_tile_count(self) -> int:
        """The budget in tiles: `budget_tiles`, else the budget's whole chips."""
        return self.budget_tiles or self.budget_chips * self.perf_costs.tiles_per_chip

    def cost(
        self,
        policy: str = "all-rram",
        overrides: tuple[str, ...] = (),
        spare_columns: int = 0,
        tiles: int | None = None,
    ) -> tuple[Mapping, PerfResult, PointCost]:
        """(balanced mapping, its estimate, headline costs), cached per design point;
        balanced in the study's budget, or in `tiles` tiles of it (what a technique whose
        own silicon comes out of the replicas leaves them)."""
        key = (policy, tuple(sorted(overrides)), spare_columns, tiles)
        if key not in self._costs:
            planned = costed_mapping(
                self.specs,
                self.geometry(spare_columns),
                self.perf_costs,
                self.budget_chips,
                MapOptions(
                    policy=policy,
                    overrides=overrides,
                    replicate=True,
                    budget_tiles=tiles or self.budget_tiles,
                ),
                input_shape=self.input_shape,
                model_name=self.meta["net"],
                width=float(self.meta["width"]),
            )
            balanced, result = planned.mapping, estimate_point(planned, ESTIMATOR)
            adc = sum(
                lc.energy_by_component_j.get(CONVERSION.component, 0.0) for lc in result.layers
            )
            conversions = adc / self.perf_costs.energy_j(CONVERSION.key)
            one_copy = self.mapping(policy, overrides, spare_columns)
            self._costs[key] = (
                balanced,
                result,
                PointCost(
                    throughput_ips=result.throughput_images_per_s,
                    energy_per_image_j=result.energy_per_image_j,
                    occupied_area_mm2=result.occupied_area_mm2,
                    crossbars=one_copy.crossbars,
                    adc_conversions_per_image=conversions,
                ),
            )
        return self._costs[key]


def load_study(
    checkpoint: str | Path,
    dataset: str | None = None,
    data_dir: str | None = None,
    limit: int | None = None,
    subset_seed: int | None = None,
    hardware: str | None = None,
    device: str = "cpu",
    budget_chips: int = 1,
    budget_tiles: int | None = None,
    bn_sets: bool = True,
    model: str | None = None,
    crossbar: str = "fast",
    variation: str | None = None,
    read_noise: str | None = None,
    drift: str | None = None,
    time: float | None = None,
) -> Study:
    """The checkpoint, its test split (subset as asked, padded as trained) and hardware;
    `bn_sets` False: its BatchNorm sets are left out (training's statistics, named so)."""
    path = Path(checkpoint)
    if not path.is_file():
        raise UserError(f"no checkpoint at {path}")
    if budget_chips < 1:
        raise UserError(f"the chip budget must be >= 1, got {budget_chips}")
    net, meta, sets = load_checkpoint(path, device, model)
    name = dataset or meta.get("dataset") or "digits"
    handling = InputHandling(limit, subset_seed, (meta.get("input") or {}).get("pad_to"))
    data = load_split(name, "test", data_dir, handling)
    if data.input_shape[0] != meta["in_channels"] or data.num_classes != meta["num_classes"]:
        raise UserError(
            f"{path} was built for {meta['in_channels']} channels and "
            f"{meta['num_classes']} classes; {name} gives {data.input_shape[0]} "
            f"channels and {data.num_classes} classes"
        )
    hw = load_hardware(hardware or meta.get("hardware") or "isaac")
    net.eval()
    physics = device_physics(variation, read_noise, drift, time)
    setup = crossbar_setup(crossbar, hw, name, data_dir, handling.pad_to, device, physics)
    return Study(
        path,
        net,
        meta,
        name,
        data.images.to(device),
        data.labels.to(device),
        hw,
        budget_chips,
        qualify_legacy_keys(sets, meta) if bn_sets else {},
        device,
        budget_tiles,
        setup,
    )
