"""Resolve and check everything a sweep spec names, before any work and before any file.

Every name (hardware, placement policies, fault models, datasets, nets and their options,
model cards) is looked up here, so a typo in `compare_policies` fails in a second instead of
after training; and what the names resolve to is fingerprinted (hardware content, dataset
data, model card content), so job keys follow the content and never a stale name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from archsim.errors import UserError
from archsim.explore.expansion import DatasetShape
from archsim.explore.spec import SweepSpec


@dataclass(frozen=True)
class Resolved:
    """What a sweep's jobs are keyed on, besides the spec's own values."""

    shapes: dict[str, DatasetShape]  # model label -> dataset, options, fingerprints
    hardware: dict[str, str]  # each hardware variant's reference -> its content digest


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def hardware_digests(spec: SweepSpec) -> dict[str, str]:
    """Each hardware variant of `spec` (`Cost.references`), loaded and validated, by its one
    name (`config.hardware.canonical_hardware`; two references naming one design are one
    variant), with its content digest; the reference hardware first."""
    from archsim.config.hardware import canonical_hardware, hardware_digest

    digests: dict[str, str] = {}
    for reference in spec.cost.references:
        name, hw = canonical_hardware(reference)
        digests.setdefault(name, hardware_digest(hw))
    return digests


def check_names(spec: SweepSpec) -> dict[str, str]:
    """Check every hardware, policy and fault-model name in `spec`; each hardware variant's
    digest (`hardware_digests`)."""
    from archsim.faults.presets import get_fault_model
    from archsim.mapping.policy import check_policy

    hardware = hardware_digests(spec)
    for where, policy in [
        ("cost.policy", spec.cost.policy),
        *(("cost.compare_policies", p) for p in spec.cost.compare_policies),
    ]:
        _named(where, check_policy, policy)
    _named("faults.model", get_fault_model, spec.faults.model)
    for name in spec.faults.compare_models:
        _named("faults.compare_models", get_fault_model, name)
    if set(spec.training.methods) & {"oneshot", "progressive"}:
        _named("training.sft_fault_model", get_fault_model, spec.training.sft_fault_model)
    granularity = get_fault_model(spec.faults.model).granularity
    if spec.tolerance and granularity != "weight":
        raise UserError(
            f"tolerance: fault model {spec.faults.model} draws {granularity} "
            "faults; the tolerance techniques take weight-granularity models "
            "(dropconnect, sft, stuck-on)"
        )
    return hardware


def _named(where: str, check: Callable[[str], object], name: str) -> None:
    try:
        check(name)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None


def resolve_datasets(spec: SweepSpec) -> dict[str, DatasetShape]:
    """Each model's dataset (the first listed one present on this machine), its net options
    (the model card's, overridden by the spec's, exactly as training resolves them) and the
    fingerprints of its data and its model card."""
    from archsim.data import list_datasets
    from archsim.data.registry import get_source
    from archsim.nets import load_card, net_info
    from archsim.nets.user import is_user_spec
    from archsim.train import make_spec
    from archsim.train.resolve import resolve_spec

    infos = {info.name: info for info in list_datasets(spec.data_dir)}
    fingerprints: dict[str, str] = {}
    shapes: dict[str, DatasetShape] = {}
    for entry in spec.models:
        wanted = entry.dataset or spec.dataset
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        for name in names:
            if name not in infos:
                raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(infos)}")
        present = [n for n in names if infos[n].found and not infos[n].problem]
        if not present:
            info = infos[names[-1]]
            raise UserError(
                info.problem
                or f"none of the datasets {', '.join(names)} is present: {info.how_to_get}"
            )
        info = infos[present[0]]
        if info.name not in fingerprints:
            fingerprints[info.name] = get_source(info.name).fingerprint(spec.data_dir)
        resolved = resolve_spec(
            make_spec(model=entry.net, dataset=info.name, options=entry.options)
        )
        card = ""
        if resolved.card:
            card = f"{resolved.card}:{_digest(load_card(resolved.card).model_dump())}"
        elif is_user_spec(entry.net):  # a user model's code decides its numbers: key on it
            card = f"source:{net_info(entry.net).source_digest[:16]}"
        shape = _padded(info.input_shape, spec.input_size)
        shapes[entry.name] = DatasetShape(
            info.name,
            shape,
            info.num_classes,
            dict(resolved.options),
            fingerprints[info.name],
            card,
            spec.input_size if shape != info.input_shape else None,
        )
    return shapes


def _padded(shape: tuple[int, int, int], size: int | None) -> tuple[int, int, int]:
    """The image shape the nets see with `input_size` (zero padding, never cropping)."""
    channels, height, width = shape
    if size is None:
        return shape
    if size < max(height, width):
        raise UserError(
            f"input_size {size} is smaller than the dataset's {height}x{width} "
            "images: padding cannot crop"
        )
    return channels, size, size


def resolve(spec: SweepSpec) -> Resolved:
    """Everything `spec` names, checked and fingerprinted; a UserError for the first problem."""
    digest = check_names(spec)
    return Resolved(resolve_datasets(spec), digest)
