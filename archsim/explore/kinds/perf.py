"""Job kinds `map` and `simulate`: place a zoo net on the hardware, then cost it.

`simulate` maps again instead of shipping the Mapping between processes: mapping is
deterministic and takes well under a second, so the map job's stored summary and the mapping
the estimator sees are the same by construction.
"""

from __future__ import annotations

from typing import Any

from archsim.explore.jobs import JobContext, pin_torch_threads
from archsim.explore.kinds import checked_hardware


def _mapping(config: dict[str, Any]) -> Any:
    from archsim.mapping.mapper import map_net

    pin_torch_threads()

    hw = checked_hardware(config)
    mapping = map_net(
        config["net"], config["width"], hw, tuple(config["input_shape"]), config["num_classes"],
        config["policy"], **config["options"],
    )
    return mapping, hw


def run_map(config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
            ) -> dict[str, Any]:
    from archsim.mapping.summary import summarize

    mapping, _ = _mapping(config)
    s = summarize(mapping)
    return {
        "crossbars": s.crossbars, "imas": s.imas, "tiles": s.tiles, "chips": s.chips,
        "chips_available": s.chips_available, "utilization": s.mean_utilization,
        "rram_macs": s.rram_macs, "cpu_macs": s.cpu_macs, "total_macs": s.total_macs,
        "params": s.params, "rram_layers": s.rram_layers, "cpu_layers": s.cpu_layers,
        "layers": [
            {"name": lm.spec.name, "kind": lm.spec.kind, "target": lm.target,
             "crossbars": lm.crossbars, "macs": lm.spec.macs, "reason": lm.reason}
            for lm in mapping.layers if lm.spec.is_weight_layer
        ],
        "notes": list(mapping.notes),
    }


def run_simulate(config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
                 ) -> dict[str, Any]:
    from archsim.perf.analytic import estimate

    mapping, hw = _mapping(config)
    result = estimate(mapping, hw, estimator=config["estimator"], images=config["images"])
    images = result.images
    return {
        "estimator": result.estimator, "images": images,
        "latency_s": result.total_latency_s, "single_image_latency_s": result.latency_s,
        "interval_s": result.interval_s, "throughput_ips": result.throughput_images_per_s,
        "energy_j": result.total_energy_j, "energy_per_image_j": result.energy_per_image_j,
        "energy_breakdown_j": {k: v * images for k, v in result.energy_by_component_j.items()},
        "area_mm2": result.area_mm2, "chips_used": result.chips_used,
        "bottleneck": result.bottleneck, "rram_time_s": result.rram_time_s,
        "cpu_time_s": result.cpu_time_s, "rram_energy_j": result.rram_energy_j * images,
        "cpu_energy_j": result.cpu_energy_j * images, "events": result.events,
        "notes": list(result.notes),
    }
