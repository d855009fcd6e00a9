"""Job kind `tolerance`: one trained checkpoint under one technique of the sweep's `tolerance`
axis at one fault rate, on chips 0..chips-1 of the sweep's seed and its test images.

The technique runs through `ft_techniques` (the same chips for every technique of the point,
so gains pair per chip). Its cost is charged on the sweep's own cost of the point (the
`cost` input: the simulate job of the sweep's placement): the technique's throughput ratio
and its energy and area differences against `none`, both from the study's balanced
analytic design points in the same chip budget, are applied to the sweep's numbers, so `none`
carries exactly the sweep's cost and every other technique its own extra cost on top.
`none` on the sweep's placement is the evaluation of the same checkpoint, chips and images
(the `evaluation` input): its scores are read from it, not computed again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsim.explore.codec import encode
from archsim.explore.jobs import JobContext, pin_torch_threads
from archsim.explore.kinds import checked_hardware, hardware_record
from archsim.explore.records import Stats

if TYPE_CHECKING:  # the study's engines load in the worker, when the job runs
    from archsim.explore.ft_study import Study

CHARGED = ("throughput_ips", "energy_per_image_j", "occupied_area_mm2")


def charge(
    sweep: dict[str, Any], own: dict[str, float], none: dict[str, float]
) -> dict[str, float]:
    """The sweep's cost of the point with the technique's extra cost (`own` vs `none`).

    The ratio and differences are taken first, so a technique that costs what `none` costs
    (ratio exactly 1, differences exactly 0) carries the sweep's numbers bit for bit: one
    design point, one cost, whatever path reaches it."""
    ratio = own["throughput_ips"] / none["throughput_ips"]
    energy = own["energy_per_image_j"] - none["energy_per_image_j"]
    area = own["occupied_area_mm2"] - none["occupied_area_mm2"]
    return {
        "throughput_ips": sweep["throughput_ips"] * ratio,
        "energy_per_image_j": sweep["energy_per_image_j"] + energy,
        "occupied_area_mm2": sweep["occupied_area_mm2"] + area,
    }


def run_tolerance(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    from archsim.explore.ft_placement import choose, search_family
    from archsim.explore.ft_techniques import Technique, run_technique, technique_cost
    from archsim.explore.ft_vulnerability import vulnerability_table
    from archsim.explore.tolerance_axis import parse_axis_technique
    from archsim.faults.malloc import keep_freed_memory
    from archsim.faults.presets import get_fault_model
    from archsim.faults.stats import summarize

    pin_torch_threads()
    keep_freed_memory()  # as evaluate and train do: a worker whose first job is this one too
    hw = checked_hardware(config)
    axis = parse_axis_technique(config["technique"])
    sweep = inputs["cost"]
    study = _study(config, inputs, ctx)
    fault_model = get_fault_model(config["fault_model"])
    rate, chips, seed = float(config["rate"]), int(config["chips"]), int(config["seed"])
    none = Technique("none", config["policy"])
    reference = technique_cost(study, none)
    policy, chosen = none.policy, ""
    overrides: tuple[str, ...] = ()
    if axis.search:  # the placement the search picks within `none`'s energy
        table = vulnerability_table(study, fault_model, rate, chips, seed)
        pick = choose(search_family(study, table), energy_budget_j=reference["energy_per_image_j"])
        policy, overrides, chosen = "all-rram", pick.overrides, pick.label
    technique = Technique(axis.name, policy, overrides, axis.spare_columns, axis.remap)
    scored = inputs.get("evaluation")
    if scored is not None:  # `none`: the evaluation of this checkpoint on the same chips
        per_chip, bn_set, seconds = tuple(scored["per_chip"]), scored["bn_set"], None
        own = reference
    else:
        result = run_technique(study, technique, fault_model, rate, chips, seed, reference=none)
        per_chip, bn_set, own = result.per_chip, result.bn_set, result.cost
        seconds = (result.remap_seconds, result.eval_seconds)
    stats = encode(Stats.of(summarize(per_chip)))
    del stats["yield"]  # no threshold here: the tolerance results never held a yield
    return {
        **stats,
        "chips": len(per_chip),
        "per_chip": list(per_chip),
        **charge(sweep, own, reference),
        "provisioned_area_mm2": sweep.get("provisioned_area_mm2", own["provisioned_area_mm2"]),
        "crossbars": own["crossbars"],
        "spare_columns": axis.spare_columns,
        "remap": axis.remap,
        "placement": chosen or policy,
        "cpu_moved": [o.removesuffix("=cpu") for o in overrides],
        "remap_table_bits": own.get("remap_table_bits", 0),
        "bn_set": bn_set,
        # per chip (none where the scores are the evaluation's)
        "remap_seconds_per_chip": None if seconds is None else seconds[0],
        "eval_seconds_per_chip": None if seconds is None else seconds[1],
        "study_cost": own,
        "study_cost_none": reference,
        "hardware": hardware_record(hw),
    }


def _study(config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext) -> Study:
    """The checkpoint's study on the sweep's hardware, budget and crossbar settings."""
    from archsim.explore.ft_study import load_study

    sweep = inputs["cost"]
    return load_study(
        ctx.resolve(inputs["model"]["checkpoint"]),
        config["dataset"],
        limit=config.get("limit"),
        hardware=config["hardware"],
        budget_chips=int(sweep["budget_chips"]),
        budget_tiles=sweep.get("budget_tiles") or None,
        model=inputs["model"].get("net"),
        crossbar=config.get("crossbar", "fast"),
        variation=config.get("variation"),
        read_noise=config.get("read_noise"),
        drift=config.get("drift"),
        time=config.get("time"),
    )
