"""Fault-tolerance techniques on the same chips, with their costs charged.

A technique is a placement (policy + overrides: which layers run fault-free on the CPU), a
number k of spare columns per crossbar block and whether each chip is remapped. Every
technique meets chips 0..n-1 of one seed: chip i's faults on a layer are drawn from (seed, i,
layer name) whatever the other layers and the block layout (`faults/draw.py`, weight
granularity), so a layer moved to the CPU simply loses its faults and the others keep theirs;
all techniques are scored on the same test images. Differences against the reference
technique are therefore paired per chip (`faults.stats.paired_difference`).

Names: `none` (the study's reference placement, no technique), `remap`, `spare-K`,
`remap+spare-K`, and any of them prefixed by a placement label (`cpu-1x1:remap`). Costs:
spares are mapped into the hardware (fewer weights per crossbar row, more crossbars, their
cells read and converted every cycle), remapping adds its tables (`perf/remap_cost.py`).

BatchNorm: every technique's chips are scored with the statistics of the one rule for their
configuration (`Study.bn`): a technique whose chips fault other weights than the reference
placement's plain chips (spares, remapping, other RRAM layers: `chip_technique`) gets a set
recalibrated on chips with it.
"""

import math
import re
import time
from dataclasses import dataclass

from archsim.bounds import MAX_SPARE_COLUMNS
from archsim.errors import UserError
from archsim.explore.codec import encode
from archsim.explore.ft_records import TechniqueRow
from archsim.explore.ft_study import Study
from archsim.faults.bnsets import bn_statistics
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector, rram_layer_names
from archsim.faults.models import FaultModel
from archsim.faults.montecarlo import percent
from archsim.faults.sampler import correct_mask
from archsim.faults.stats import paired_difference, summarize
from archsim.faults.technique import ChipTechnique, apply_technique
from archsim.mapping.records import Mapping
from archsim.perf.remap_cost import remap_cost, with_remap
from archsim.progress import progress_bar

_NAME = re.compile(
    r"^(?:(?P<place>[\w.\-]+):)?(?P<what>none|remap|spare-[1-9]\d*|remap\+spare-[1-9]\d*)$"
)


@dataclass(frozen=True)
class Technique:
    name: str
    policy: str = "all-rram"
    overrides: tuple[str, ...] = ()
    spare_columns: int = 0
    remap: bool = False


def parse_technique(
    text: str, placements: dict[str, tuple[str, tuple[str, ...]]], default: str
) -> Technique:
    """`[placement:]none|remap|spare-K|remap+spare-K`; placements: label -> (policy,
    overrides), `default` the label used without a prefix."""
    m = _NAME.match(text.strip())
    if not m:
        raise UserError(
            f"technique {text!r} must be [PLACEMENT:]none|remap|spare-K|"
            "remap+spare-K, e.g. remap+spare-1 or cpu-1x1:spare-2"
        )
    label = m["place"] or default
    if label not in placements:
        raise UserError(
            f"unknown placement {label!r} in technique {text!r}; known: {', '.join(placements)}"
        )
    what = m["what"]
    spares = int(what.rsplit("-", 1)[1]) if "spare-" in what else 0
    if spares > MAX_SPARE_COLUMNS:
        raise UserError(f"technique {text!r}: spare-K needs K in 1..{MAX_SPARE_COLUMNS}")
    policy, overrides = placements[label]
    name = what if label == default else f"{label}:{what}"
    return Technique(name, policy, overrides, spares, what.startswith("remap"))


@dataclass(frozen=True)
class TechniqueResult:
    technique: Technique
    per_chip: tuple[float, ...]
    cost: dict[str, float]
    remap_seconds: float  # mean per chip (0 without remapping)
    eval_seconds: float  # mean per chip, scoring the test images
    bn_set: str  # the BatchNorm statistics the chips were scored with (`Study.bn`)

    def record(self, reference: "TechniqueResult") -> TechniqueRow:
        """Its row, the gain paired against `reference` (not yet flagged or paired with
        another run: `ft_run.mark_front`)."""
        s = summarize(self.per_chip)
        d = paired_difference(self.per_chip, reference.per_chip)
        t, cost = self.technique, self.cost
        bits = cost.get("remap_table_bits")
        return TechniqueRow(
            technique=t.name,
            policy=t.policy,
            overrides=" ".join(t.overrides),
            spare_columns=t.spare_columns,
            remap=t.remap,
            mean=s.mean,
            ci_low=s.ci_low,
            ci_high=s.ci_high,
            gain=d.mean if d else None,
            gain_half_width=d.half_width if d else None,
            chips=len(self.per_chip),
            throughput_ips=cost["throughput_ips"],
            energy_per_image_j=cost["energy_per_image_j"],
            occupied_area_mm2=cost["occupied_area_mm2"],
            budget_area_mm2=cost.get("provisioned_area_mm2"),
            crossbars=int(cost["crossbars"]),
            adc_conversions_per_image=cost["adc_conversions_per_image"],
            remap_table_bits=None if bits is None else int(bits),
            remap_seconds_per_chip=self.remap_seconds,
            eval_seconds_per_chip=self.eval_seconds,
            per_chip=self.per_chip,
            bn_set=self.bn_set,
            on_front=False,
            vs_first_run=None,
        )


def technique_cost(study: Study, t: Technique) -> dict[str, float]:
    """`technique_point`'s headline costs."""
    return technique_point(study, t)[1]


def technique_point(study: Study, t: Technique) -> tuple[Mapping, dict[str, float]]:
    """(balanced mapping, headline costs) of a technique's design point: the chip whose
    replicas the fault simulator faults and whose costs are reported. Costs inside the
    study's budget, with
    `provisioned_area_mm2` (the budget's silicon). Spare columns are mapped (fewer weights
    per crossbar, so fewer replicas fit); remapping tables come out of the replicas too: the
    point is rebalanced in fewer tiles until its tiles and tables fit the budget (`over
    budget` only when one copy and its tables cannot)."""
    balanced, result, point = study.cost(t.policy, t.overrides, t.spare_columns)
    budget = result.provisioned_area_mm2
    row: dict[str, float] = {**encode(point), "provisioned_area_mm2": budget}
    if not t.remap:
        return balanced, row
    tiles = study.budget_tile_count
    while True:
        extra = remap_cost(balanced, study.hw, result.interval_s)
        over = result.occupied_area_mm2 + extra.area_mm2 - budget
        if over <= 0 or tiles <= 1:
            break
        tiles = max(1, tiles - max(1, math.ceil(over / study.perf_costs.tile_area_mm2)))
        balanced, result, point = study.cost(t.policy, t.overrides, t.spare_columns, tiles)
    row.update(encode(point))
    row.update(with_remap(result, extra))
    row["remap_table_bits"] = extra.table_bits
    return balanced, row


def chip_technique(
    study: Study, t: Technique, injector: FaultInjector, reference: Technique
) -> ChipTechnique | None:
    """What the BatchNorm rule must recalibrate for on chips with `t` (`Study.bn`): None when
    `t`'s chips fault the same weights as `reference`'s (no spares, no remapping, the same
    RRAM layers), whose statistics they then share."""
    layers = tuple(rram_layer_names(injector.mapping))
    plain = rram_layer_names(study.mapping(reference.policy, reference.overrides))
    if not t.remap and not t.spare_columns and list(layers) == plain:
        return None
    return ChipTechnique(
        name=t.name,
        layers=layers,
        injector=injector,
        spare_columns=t.spare_columns,
        remap=t.remap,
    )


def run_technique(
    study: Study,
    t: Technique,
    fault_model: FaultModel,
    rate: float,
    chips: int,
    seed: int,
    batch_size: int = 256,
    progress: bool = False,
    reference: Technique | None = None,
) -> TechniqueResult:
    """Technique `t` on chips 0..chips-1 at `rate`, with the study's BatchNorm statistics
    for the fault model, rate and technique (`Study.bn`); `reference` (default: `t`'s
    placement with no technique): the configuration whose chips the plain rule's set serves.
    Every replica of the balanced design point whose cost is reported is faulted."""
    mapping, cost = technique_point(study, t)
    injector = FaultInjector(study.model, mapping, crossbar=study.crossbar)
    plain = reference or Technique("none", t.policy, t.overrides)
    bn = study.bn(fault_model.name, rate, chip_technique(study, t, injector, plain))
    drawer = ChipDrawer(injector.sites, fault_model, mapping.crossbar_rows, mapping.crossbar_cols)
    accs: list[float] = []
    remap_s = eval_s = 0.0
    with (
        bn_statistics(study.model, bn.stats),
        injector.session() as model,
        progress_bar(progress) as bar,
    ):
        task = bar.add_task(t.name, total=chips, status="")
        for i in range(chips):
            chip, seconds = apply_technique(
                injector, drawer.draw(rate, seed, i), t.spare_columns, t.remap
            )
            remap_s += seconds
            start = time.perf_counter()
            with injector.chip(chip):
                accs.append(percent(correct_mask(model, study.images, study.labels, batch_size)))
            eval_s += time.perf_counter() - start
            bar.advance(task)
    return TechniqueResult(t, tuple(accs), cost, remap_s / chips, eval_s / chips, bn.name)
