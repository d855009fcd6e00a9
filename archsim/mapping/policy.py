"""Which layers run where: crossbars (`rram`), the host CPU (`cpu`), the tile's digital units
(`digital`: BN, pooling, residual adds, activations, reshapes, softmax, layer norm), or
nowhere (`unsupported`). Activation x activation matmuls (attention's Q K^T and A V) have no
stationary weights to store on a crossbar and run on the CPU path.

Policies decide for conv and linear layers only; everything else follows from its kind:

- `cpu-1x1` (default): every 1x1 convolution runs on the CPU path, as the drop-connect paper
  does (pointwise convs of MobileNetV2, 1x1 shortcuts of ResNet); 3x3 and larger convs, the
  first conv and the classifier run on crossbars.
- `cpu-1x1-ends`: as `cpu-1x1`, and the first conv and the classifier also go to the CPU: the
  layers the drop-connect authors' own code never faults.
- `all-rram`: every conv and linear layer on crossbars.
- `attention-digital`: as `all-rram` (a transformer's patch embedding, Q/K/V and output
  projections and MLP on crossbars), and the activation x activation matmuls (Q K^T,
  attention x V) on the tile's digital units instead of the CPU path: each multiply done
  bit-serially by the shift-and-add units (see archsim/perf/plan_other.py).
- `cpu-ends`: the first conv and the classifier on the CPU, every other conv (1x1 included)
  on crossbars: beside `cpu-1x1-ends`, it moves the 1x1 convs alone onto RRAM.
- `first-conv-rram`: only the first conv (the stem) on crossbars, every other conv and linear
  layer on the CPU: faults then hit the stem alone, which measures its share of the damage.

Overrides `NAME=rram|cpu` follow, in order (a later one wins); NAME is a glob over layer names
(`layer*.shortcut.0`) and also matches every call of a reused module (`fc` matches `fc#2`).
"""

import difflib
import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archsim.errors import UserError
from archsim.mapping.records import LayerSpec, Target

OVERRIDE_TARGETS: tuple[Target, ...] = ("rram", "cpu")


@dataclass(frozen=True)
class Roles:
    """Names of the layers whose placement the policy must state: first conv, classifier."""

    first_conv: str | None
    classifier: str | None


@dataclass(frozen=True)
class TargetChoice:
    """Where one layer runs and why (the policy rule or override that chose it)."""

    target: Target
    reason: str


@dataclass(frozen=True)
class Override:
    pattern: str
    target: Target

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.pattern) or fnmatch.fnmatchcase(
            name.split("#")[0], self.pattern
        )


Rule = Callable[[LayerSpec, Roles], TargetChoice]


def _role(spec: LayerSpec, roles: Roles) -> str:
    if spec.name == roles.first_conv:
        return "first conv"
    if spec.name == roles.classifier:
        return "classifier"
    return f"{spec.kernel[0]}x{spec.kernel[1]} conv" if spec.kind == "conv" else "linear"


def _cpu_1x1(spec: LayerSpec, roles: Roles) -> TargetChoice:
    role = _role(spec, roles)
    if spec.kind == "conv" and spec.kernel == (1, 1):
        return TargetChoice("cpu", f"{role} on the CPU path (cpu-1x1)")
    return TargetChoice("rram", f"{role} on crossbars (cpu-1x1)")


def _cpu_1x1_ends(spec: LayerSpec, roles: Roles) -> TargetChoice:
    role = _role(spec, roles)
    if role in ("first conv", "classifier"):
        return TargetChoice("cpu", f"{role} on the CPU path (cpu-1x1-ends)")
    placement = _cpu_1x1(spec, roles)
    return TargetChoice(placement.target, placement.reason.replace("cpu-1x1", "cpu-1x1-ends"))


def _all_rram(spec: LayerSpec, roles: Roles) -> TargetChoice:
    return TargetChoice("rram", f"{_role(spec, roles)} on crossbars (all-rram)")


def _cpu_ends(spec: LayerSpec, roles: Roles) -> TargetChoice:
    role = _role(spec, roles)
    if role in ("first conv", "classifier"):
        return TargetChoice("cpu", f"{role} on the CPU path (cpu-ends)")
    return TargetChoice("rram", f"{role} on crossbars (cpu-ends)")


def _first_conv_rram(spec: LayerSpec, roles: Roles) -> TargetChoice:
    role = _role(spec, roles)
    where = "crossbars" if role == "first conv" else "the CPU path"
    return TargetChoice(
        "rram" if role == "first conv" else "cpu", f"{role} on {where} (first-conv-rram)"
    )


POLICIES: dict[str, tuple[Rule, str]] = {
    "cpu-1x1": (_cpu_1x1, "1x1 convs on the CPU; other convs, first conv, classifier on RRAM"),
    "cpu-1x1-ends": (_cpu_1x1_ends, "cpu-1x1 plus first conv and classifier on the CPU"),
    "all-rram": (_all_rram, "every conv and linear layer on RRAM"),
    "attention-digital": (
        lambda spec, roles: TargetChoice(
            "rram", f"{_role(spec, roles)} on crossbars (attention-digital)"
        ),
        "every conv and linear on RRAM; Q K^T and A V on the digital units",
    ),
    "cpu-ends": (_cpu_ends, "first conv and classifier on the CPU; every other conv on RRAM"),
    "first-conv-rram": (_first_conv_rram, "only the first conv on RRAM, the rest on the CPU"),
}
# Where each policy runs activation x activation matmuls (the CPU path unless it says).
MATMUL_TARGET: dict[str, Target] = {"attention-digital": "digital"}

DIGITAL_REASONS = {
    "bn": "BatchNorm in the tile's digital units",
    "pool": "pooling in the tile's max-pool/digital units",
    "add": "residual add in the tile's digital units",
    "act": "activation in the tile's digital units",
    "flatten": "reshape, no computation",
    "norm": "layer norm in the tile's digital units",
    "softmax": "softmax in the tile's digital units",
}
# Operations without stationary weights that the CPU path computes (activation x activation).
CPU_KINDS = {"matmul": "activation x activation matmul on the CPU path"}


def find_roles(specs: Sequence[LayerSpec]) -> Roles:
    """The first conv in execution order, and the last weight layer if it is a Linear."""
    weight_layers = [s for s in specs if s.is_weight_layer and s.supported]
    first = next((s.name for s in weight_layers if s.kind == "conv"), None)
    last = weight_layers[-1] if weight_layers else None
    return Roles(first, last.name if last is not None and last.kind == "linear" else None)


def parse_override(text: str) -> Override:
    """`NAME=rram|cpu` -> Override; anything else is a UserError."""
    pattern, sep, target = text.partition("=")
    pattern, target = pattern.strip(), target.strip()
    if not sep or not pattern or target not in OVERRIDE_TARGETS:
        raise UserError(
            f"override {text!r} must look like NAME=TARGET with TARGET one of "
            f"{', '.join(OVERRIDE_TARGETS)} (NAME may be a glob like layer*.shortcut.0)"
        )
    return Override(pattern, target)  # type: ignore[arg-type]


def check_policy(policy: str) -> Rule:
    if policy not in POLICIES:
        raise UserError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    return POLICIES[policy][0]


def _check_override_matches(override: Override, weight_names: Sequence[str]) -> None:
    if any(override.matches(name) for name in weight_names):
        return
    close = difflib.get_close_matches(override.pattern, weight_names, n=4, cutoff=0.4)
    shown = close or list(weight_names[:4])
    hint = ", ".join(shown) + ("" if close or len(weight_names) <= 4 else ", ...")
    raise UserError(
        f"override {override.pattern}={override.target} matches no conv or linear layer; "
        f"{'similar' if close else 'layers are'}: {hint or '(none)'}"
    )


def assign_targets(
    specs: Sequence[LayerSpec], policy: str = "cpu-1x1", overrides: Sequence[str | Override] = ()
) -> list[TargetChoice]:
    """One TargetChoice per spec, in order: policy rule, then overrides (last one wins)."""
    rule = check_policy(policy)
    parsed = [o if isinstance(o, Override) else parse_override(o) for o in overrides]
    weight_names = [s.name for s in specs if s.is_weight_layer and s.supported]
    for override in parsed:
        _check_override_matches(override, weight_names)
    roles = find_roles(specs)
    placements = []
    for spec in specs:
        if not spec.supported:
            placements.append(TargetChoice("unsupported", spec.reason))
        elif spec.kind in CPU_KINDS and MATMUL_TARGET.get(policy, "cpu") == "digital":
            placements.append(TargetChoice("digital", f"{spec.name.rsplit('.', 1)[-1]}: activation"
                                        " matmul on the tile's shift-and-add units "
                                        "(attention-digital)"))  # fmt: skip
        elif spec.kind in CPU_KINDS:
            placements.append(TargetChoice("cpu", spec.reason or CPU_KINDS[spec.kind]))
        elif not spec.is_weight_layer:
            reason = spec.reason or DIGITAL_REASONS.get(spec.kind, "parameter-free op")
            placements.append(TargetChoice("digital", reason))
        else:
            placement = rule(spec, roles)
            for override in parsed:
                if override.matches(spec.name):
                    placement = TargetChoice(
                        override.target, f"{_role(spec, roles)}: override {override.pattern}"
                    )
            placements.append(placement)
    return placements
