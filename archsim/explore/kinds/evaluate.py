"""Job kind `evaluate`: Monte-Carlo accuracy of one checkpoint at one fault rate over chips.

A thin adapter over `archsim.faults.pipeline.evaluate`; chip i is drawn from (seed, i), so
every design point of a sweep meets the same chips (common random numbers), scored on the same
test images (all, or the first `limit`). Every replica of the design point balanced in the
budget of the cost job it is paired with (input `cost`) is faulted: the chip the sweep costs.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from archsim.explore.codec import encode
from archsim.explore.jobs import JobContext, pin_torch_threads
from archsim.explore.kinds import checked_hardware, hardware_record
from archsim.explore.records import Stats


def run_evaluate(
    config: dict[str, Any], inputs: dict[str, dict[str, Any]], ctx: JobContext
) -> dict[str, Any]:
    from archsim.faults.montecarlo import MonteCarloSpec
    from archsim.faults.pipeline import EvaluateSpec, evaluate
    from archsim.perf.balance import balanced_point
    from archsim.train.recal_checkpoint import on_the_fly

    pin_torch_threads()
    hw = checked_hardware(config)

    checkpoint = ctx.resolve(inputs["model"]["checkpoint"])
    spec = EvaluateSpec(
        checkpoint=str(checkpoint),
        model=inputs["model"].get("net"),  # the spec's net: a checkpoint names none it runs
        rates=(config["rate"],),
        fault_model=config["fault_model"],
        dataset=config["dataset"],
        limit=config.get("limit"),
        hardware=config["hardware"],
        policy=config["policy"],
        crossbar=config.get("crossbar", "fast"),
        variation=config.get("variation"),
        read_noise=config.get("read_noise"),
        drift=config.get("drift"),
        time=config.get("time"),
        montecarlo=MonteCarloSpec(
            chips=config["chips"],
            seed=config["seed"],
            threshold=config["threshold"],
            progress=False,
        ),
    )
    cost = inputs.get("cost")  # the sweep's budget (None: the default budget)
    balance = balanced_point if cost is None else partial(
        balanced_point, budget_chips=int(cost["budget_chips"]),
        budget_tiles=cost.get("budget_tiles") or None,
    )  # fmt: skip
    (result,) = evaluate(spec, on_the_fly, balance)
    return {
        **encode(Stats.of(result.summary)),
        "threshold": result.threshold,
        "chips": result.chips,
        "per_chip": list(result.per_chip),
        "float_acc": result.float_accuracy,
        "quant_acc": result.quantized_accuracy,
        "realised_fraction": result.realised_fraction,
        "bn_set": result.bn_set,
        "fault_model": result.fault_model,
        "granularity": result.granularity,
        "notes": list(result.notes),
        "hardware": hardware_record(hw),
    }
