"""BatchNorm statistics recalibrated per fault model and rate, and swapping them into a model.

A checkpoint may hold named sets `{key: {buffer name: tensor}}` (the training engineer's
"UpdateVar" recalibration), keyed `<fault model>:<rate>` (e.g. `sft:0.05`). At rate 0 no fault
is drawn whatever the model, so a rate-0 set of any fault model serves every fault model.

The one rule every command follows (`choose_bn`, docs/bn-recalibration.md), per chip
configuration (fault model, rate, technique): the checkpoint's set for the fault model and
rate; where it holds sets but not that one, a set recalibrated on the fly with the
checkpoint's recorded settings (named `<key> (on the fly)`); where it holds none (never
recalibrated) or the caller turned sets off, the statistics training left (`training`). Chips
with a technique that changes which weights are faulty (remapping, spare columns, another
placement's RRAM layers) get, where the rule recalibrates, a set recalibrated on the fly on
chips with that technique (`<key>+<technique> (on the fly)`). The name goes into every output
row's `bn_set`.

Checkpoints written before sets were keyed by fault model use the bare rate (`0.05`); such a
key is read as a set of the fault model the checkpoint says it recalibrated under
(`qualify_legacy_keys`).
"""

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import torch
from torch import Tensor, nn

from archsim.errors import UserError
from archsim.faults.technique import ChipTechnique

TRAINING_STATISTICS = "training"  # what a row says when it used no recalibrated set
ON_THE_FLY = " (on the fly)"  # after a set's key: recalibrated for this run, not stored
T = TypeVar("T")
BnStats = Mapping[str, Tensor]


class Recalibrator(Protocol):
    """(fault model name, rate[, technique]) -> a set recalibrated with the checkpoint's
    recorded settings (on chips with the technique applied, if given)."""

    def __call__(
        self, fault_model: str, rate: float, technique: ChipTechnique | None = None
    ) -> BnStats: ...


def bn_set_key(fault_model: str, rate: float) -> str:
    """The name of the set recalibrated under `fault_model` at `rate` ("sft", 0.1 -> "sft:0.1")."""
    if ":" in fault_model or "/" in fault_model:
        raise ValueError(f"fault model name must not contain ':' or '/': {fault_model!r}")
    return f"{fault_model}:{float(rate)!r}"


def parse_bn_set_key(key: str) -> tuple[str | None, float] | None:
    """(fault model, rate) of a key; (None, rate) for a legacy bare-rate key; None if neither."""
    model, sep, rate_text = key.rpartition(":")
    try:
        rate = float(rate_text)
    except ValueError:
        return None
    if not math.isfinite(rate):
        return None
    return (model if sep else None), rate


def qualify_legacy_keys(bn_sets: Mapping[str, T], meta: Mapping[str, Any]) -> dict[str, T]:
    """Bare-rate keys renamed `<fault model>:<rate>` after the checkpoint's recorded
    recalibration fault model (a sweep's `recalibrated.fault_model`, else the training one);
    left as they are when the checkpoint does not say."""
    recalibrated = meta.get("recalibrated")
    model = recalibrated.get("fault_model") if isinstance(recalibrated, Mapping) else None
    model = model or meta.get("fault_model")
    out: dict[str, T] = {}
    for key, value in bn_sets.items():
        parsed = parse_bn_set_key(key)
        if parsed is not None and parsed[0] is None and isinstance(model, str):
            key = bn_set_key(model, parsed[1])
        out[key] = value
    return out


def select_bn_set(
    bn_sets: Mapping[str, object] | None, fault_model: str, rate: float
) -> str | None:
    """The key of the set recalibrated under `fault_model` at exactly `rate`; at rate 0 a
    rate-0 set of any fault model (none draws a fault there)."""
    fallback = None
    for key in bn_sets or {}:
        parsed = parse_bn_set_key(key)
        if parsed is None or parsed[0] is None:
            continue
        model, value = parsed
        if not math.isclose(value, rate, rel_tol=1e-9, abs_tol=1e-12):
            continue
        if model == fault_model:
            return key
        if rate == 0.0 and fallback is None:
            fallback = key
    return fallback


@dataclass(frozen=True, kw_only=True)
class BnChoice:
    """The BatchNorm statistics a run uses and the name every output row gives them."""

    name: str  # a set's key, `<key> (on the fly)` or `training`
    stats: BnStats | None  # None: the statistics training left in the model

    @property
    def stored_key(self) -> str | None:
        """The checkpoint's set used, if any (None on the fly or with training's)."""
        return None if self.stats is None or self.name.endswith(ON_THE_FLY) else self.name


TRAINING = BnChoice(name=TRAINING_STATISTICS, stats=None)


def choose_bn(
    bn_sets: Mapping[str, BnStats] | None,
    fault_model: str,
    rate: float | None,
    recalibrate: Recalibrator,
    technique: ChipTechnique | None = None,
) -> BnChoice:
    """The statistics at `rate` under the rule in the module doc (`rate` None: a measured
    fault map, which no set is made for: training's). `technique`: chips that carry a
    technique changing which weights are faulty get a set recalibrated on the fly on such
    chips, named `<key>+<technique> (on the fly)`; at rate 0 (no fault to move) and where
    the rule gives training's statistics, what chips without it get."""
    if not bn_sets or rate is None:
        return TRAINING
    if technique is not None and rate > 0:
        return BnChoice(
            name=f"{bn_set_key(fault_model, rate)}+{technique.name}{ON_THE_FLY}",
            stats=recalibrate(fault_model, rate, technique),
        )
    key = select_bn_set(bn_sets, fault_model, rate)
    if key is not None:
        return BnChoice(name=key, stats=bn_sets[key])
    return BnChoice(
        name=bn_set_key(fault_model, rate) + ON_THE_FLY, stats=recalibrate(fault_model, rate)
    )


@contextmanager
def bn_statistics(model: nn.Module, stats: Mapping[str, Tensor] | None) -> Iterator[nn.Module]:
    """Within the block, the model's BatchNorm buffers hold `stats`; restored afterwards."""
    if not stats:
        yield model
        return
    buffers = dict(model.named_buffers())
    unknown = sorted(set(stats) - set(buffers))
    if unknown:
        raise UserError(f"BatchNorm set names buffers the model does not have: {unknown[:3]}")
    saved = {name: buffers[name].detach().clone() for name in stats}
    try:
        with torch.no_grad():
            for name, value in stats.items():
                buffers[name].copy_(value)
        yield model
    finally:
        with torch.no_grad():
            for name, value in saved.items():
                buffers[name].copy_(value)
