"""Job kinds `map` and `simulate`: place a zoo net on the hardware, then cost it.

`map` stores the unreplicated mapping (what the net needs). `simulate` maps again inside the
group's chip budget and balances the pipeline there (`archsim.perf.balance`) instead of
shipping a Mapping between processes: mapping is deterministic and takes well under a second.
Its energies are per image; `time_for_images_s` is the derived time for `images` images.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from archsim.explore.jobs import JobContext, pin_torch_threads
from archsim.explore.kinds import checked_hardware


def _traced(config: dict[str, Any]) -> tuple[Any, Any, list[Any]]:
    from archsim.mapping.mapper import trace_net

    pin_torch_threads()
    hw = checked_hardware(config)
    model, specs = trace_net(config["net"], config["width"], tuple(config["input_shape"]),
                             config["num_classes"], config["options"])  # fmt: skip
    return hw, model, specs


def _identity(config: dict[str, Any]) -> dict[str, Any]:
    """`map_specs`'s input shape, model name and width of the job's design point."""
    return {
        "input_shape": tuple(config["input_shape"]),
        "model_name": config["net"],
        "width": config["width"],
    }


def run_map(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    """One copy of every layer: what the network needs before any replication."""
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.mapper import map_specs, with_unused_note
    from archsim.mapping.options import MapOptions
    from archsim.mapping.summary import summarize

    hw, model, specs = _traced(config)
    options = MapOptions(policy=config["policy"])
    mapping = with_unused_note(
        map_specs(specs, resolve_geometry(hw), options=options, **_identity(config)), model, specs
    )
    s = summarize(mapping)
    return {
        "crossbars": s.crossbars,
        "imas": s.imas,
        "tiles": s.tiles,
        "chips": s.chips,
        "chips_available": s.chips_available,
        "utilization": s.mean_utilization,
        "rram_macs": s.rram_macs,
        "cpu_macs": s.cpu_macs,
        "total_macs": s.total_macs,
        "params": s.params,
        "rram_layers": s.rram_layers,
        "cpu_layers": s.cpu_layers,
        "layers": [
            {
                "name": lm.spec.name,
                "kind": lm.spec.kind,
                "target": lm.target,
                "crossbars": lm.crossbars,
                "macs": lm.spec.macs,
                "reason": lm.reason,
            }
            for lm in mapping.layers
            if lm.spec.is_weight_layer
        ],
        "notes": list(mapping.notes),
    }


def budget_of(config: dict[str, Any], inputs: dict[str, dict[str, Any]]) -> int:
    """The spec's budget, else the chips of the largest unreplicated point of the group."""
    if config.get("budget_chips"):
        return int(config["budget_chips"])
    chips: list[int] = [
        r["chips"] for name, r in inputs.items() if name == "mapping" or name.startswith("budget/")
    ]
    return max([1, *chips])


def run_simulate(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    from archsim.mapping.geometry import resolve_geometry
    from archsim.mapping.options import MapOptions
    from archsim.perf.balance import costed_mapping
    from archsim.perf.estimators import estimate_point
    from archsim.perf.hw_costs import costs_from_hardware

    hw, _, specs = _traced(config)
    budget = budget_of(config, inputs)
    options = MapOptions(policy=config["policy"], replicate=config.get("replicate", True),
                         budget_tiles=config.get("budget_tiles") or None)  # fmt: skip
    costs = costs_from_hardware(hw)
    planned = costed_mapping(specs, resolve_geometry(hw), costs, budget, options,
                           **_identity(config))  # fmt: skip
    mapping = planned.mapping
    result = estimate_point(replace(planned, hardware=hw), config["estimator"], config["images"])
    return {
        "estimator": result.estimator,
        "images": result.images,
        "throughput_ips": result.throughput_images_per_s,
        "latency_s": result.latency_s,
        "interval_s": result.interval_s,
        "time_for_images_s": result.total_latency_s,
        "energy_per_image_j": result.energy_per_image_j,
        "dynamic_energy_j": result.dynamic_energy_j,
        "static_energy_j": result.static_energy_j,
        "cpu_energy_j": result.cpu_energy_j,
        "link_energy_j": result.link_energy_j,
        "images_per_j": result.images_per_j,
        "energy_breakdown_j": dict(result.energy_by_component_j),
        "occupied_area_mm2": result.occupied_area_mm2,
        "provisioned_area_mm2": result.provisioned_area_mm2,
        "images_per_s_per_mm2": result.images_per_s_per_mm2,
        "budget_chips": result.budget_chips,
        "budget_tiles": result.budget_tiles,
        "chips_used": result.chips_used,
        "tiles_used": result.tiles_used,
        "bottleneck": result.bottleneck,
        "rram_time_s": result.rram_time_s,
        "cpu_time_s": result.cpu_time_s,
        "events": result.events,
        "notes": list(result.notes) + list(mapping.notes),
    }
