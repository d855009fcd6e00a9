"""Fill a TrainSpec's `None` fields from the model card and the method's defaults.

Card choice: `spec.card` if given, else the card named `<model>-<dataset>` if its options
agree with the ones asked for, else the first card (sorted) of the model whose options are
the net's defaults overlaid by the ones asked for (so `--model resnet20` is the zoo's ResNet-20,
option A shortcuts, as everywhere else: card `resnet20-cifar10-optionA` for Fashion-MNIST;
`--option shortcut=1x1` picks `resnet20-cifar10`), else built-in defaults (the drop-connect
authors' recipe: SGD lr 0.1, momentum 0.9, weight decay 1e-4, batch 128). A card never changes
the net a name means: its options are the ones the spec resolves to anyway.
The optimizer is the card's (`sgd` or `adam`) unless the spec names one; momentum is SGD's
only, so an Adam run resolves it to None (and asking for it is an error).
A step schedule's milestones are scaled to the run's epochs (the card's 100 and 150 of 200
become 50% and 75% of the epochs) unless given explicitly.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from archsim.errors import UserError
from archsim.nets import ModelCard, check_options, list_cards, load_card, net_info
from archsim.nets.cards import CosineSchedule, StepSchedule
from archsim.train.spec import DEFAULT_CLIP, TrainSpec


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A training recipe: each field fills the `TrainSpec` field of its name left `None`."""

    optimizer: str
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    schedule: str
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1


DEFAULT_EPOCHS = 200
# the drop-connect authors' recipe, for a net with no model card
DEFAULT_RECIPE = Recipe(
    optimizer="sgd",
    batch_size=128,
    lr=0.1,
    momentum=0.9,
    weight_decay=1e-4,
    schedule="cosine",
)


def find_card(spec: TrainSpec) -> ModelCard | None:
    """The model card whose recipe and options the run uses (None: built-in defaults)."""
    if spec.card is not None:
        card = load_card(spec.card)
        if card.architecture != net_info(spec.model).name:
            raise UserError(f"model card {spec.card} is for {card.architecture}, not {spec.model}")
        return card
    model = net_info(spec.model).name
    wanted = check_options(model, spec.options)
    names = list_cards()
    exact = f"{model}-{spec.dataset}"
    ordered = ([exact] if exact in names else []) + [n for n in names if n != exact]
    for name in ordered:
        card = load_card(name)
        if card.architecture == model and check_options(model, card.options) == wanted:
            return card
    return None


def card_reason(spec: TrainSpec) -> str:
    """Why `find_card` picks the card it picks for `spec` ("" when the spec names one)."""
    if spec.card is not None:
        return ""
    card, model = find_card(spec), net_info(spec.model).name
    asked = ", ".join(f"{k}={v}" for k, v in sorted(spec.options.items()))
    if card is None:
        return (
            f"no card of {model} has the options asked for ({asked or 'its defaults'}): "
            "the drop-connect authors' recipe"
        )
    if card.name == f"{model}-{spec.dataset}":
        return f"the zoo's recipe for {model} on {spec.dataset}"
    if asked:
        return f"picked by --option {asked}: the card with those options"
    return f"no {model} card for {spec.dataset}: the card of {model}'s default options"


def _recipe(card: ModelCard | None, epochs: int) -> Recipe:
    """The card's recipe over `epochs` (step milestones scaled to them), else the default."""
    if card is None:
        return DEFAULT_RECIPE
    r = card.training
    recipe = Recipe(
        optimizer=r.optimizer,
        batch_size=r.batch_size,
        lr=r.lr,
        momentum=r.momentum,
        weight_decay=r.weight_decay,
        schedule=r.schedule.kind,
    )
    if isinstance(r.schedule, StepSchedule):
        scaled = sorted({max(1, round(m * epochs / r.epochs)) for m in r.schedule.milestones})
        milestones = tuple(m for m in scaled if m < epochs)
        return replace(recipe, milestones=milestones, gamma=r.schedule.gamma)
    if isinstance(r.schedule, CosineSchedule) and r.schedule.min_lr:
        raise UserError(f"model card {card.name}: cosine min_lr is not supported")
    return recipe


def resolve_spec(spec: TrainSpec) -> TrainSpec:
    """A copy of `spec` with every `None` filled in (idempotent)."""
    card = find_card(spec)
    epochs = spec.epochs or (card.training.epochs if card else DEFAULT_EPOCHS)
    recipe = _recipe(card, epochs)
    if spec.milestones is not None:
        recipe = replace(recipe, milestones=spec.milestones)
    updates: dict[str, Any] = {  # pydantic's model_copy takes the fields to set by name
        f.name: getattr(recipe, f.name) for f in fields(recipe) if getattr(spec, f.name) is None
    }
    if updates.get("optimizer", spec.optimizer) == "adam":
        if spec.momentum is not None:
            raise UserError("--momentum is for --optimizer sgd; Adam keeps its default betas")
        updates["momentum"] = None
    updates["epochs"] = epochs
    updates["card"] = card.name if card else None
    given = {**(card.options if card else {}), **spec.options}
    updates["options"] = check_options(spec.model, given)
    updates["model"] = net_info(spec.model).name
    if spec.fault_model is None:
        updates["fault_model"] = (
            "sft" if spec.method in ("oneshot", "progressive") else ("dropconnect")
        )
    if spec.method == "clipped" and spec.clip is None:
        updates["clip"] = DEFAULT_CLIP
    if spec.init_from is not None:
        from archsim.checkpoint import read_checkpoint

        updates["init_sha256"] = read_checkpoint(spec.init_from).meta["sha256"]
    if spec.val_rate is None:
        updates["val_rate"] = spec.final_rate if spec.final_rate > 0 else 0.1
    resolved = spec.model_copy(update=updates)
    assert resolved.epochs is not None  # set above
    if resolved.schedule == "step" and any(
        not 0 < m < resolved.epochs for m in resolved.milestones or ()
    ):
        raise UserError(
            f"milestones {list(resolved.milestones or ())} must lie in (0, {resolved.epochs})"
        )
    return TrainSpec.model_validate(resolved.model_dump())
