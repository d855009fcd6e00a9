"""Model cards: a zoo net bound to a dataset and the training recipe a paper used.

Cards are YAML files shipped in `archsim/modelcards/` (also reachable as `models/cards`)
and read through importlib.resources, so a non-editable install finds them too. Loading is
strict: duplicate or unknown keys, wrong types, unknown nets or net options, and a dataset
whose shape or class count disagrees with the card are one-line UserErrors.
"""

import os
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from torch import nn

from archsim.config.yamlio import load_yaml, parse_yaml, validate
from archsim.data.registry import get_source
from archsim.errors import UserError
from archsim.nets.registry import check_options, get_net, net_info
from archsim.nets.width import check_width

CARD_PACKAGE = "archsim"
CARD_FOLDER = "modelcards"
CARD_SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")


def _field_error(check: Callable[[T], T], value: T) -> T:
    """`check(value)`, its one-line `UserError` raised as the field's validation error."""
    try:
        return check(value)
    except UserError as exc:
        raise ValueError(str(exc)) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepSchedule(_Strict):
    """Multiply the learning rate by `gamma` at each milestone epoch."""

    kind: Literal["step"]
    milestones: tuple[Annotated[int, Field(ge=1)], ...]
    gamma: float = Field(0.1, gt=0, le=1)


class CosineSchedule(_Strict):
    """Cosine annealing from the initial rate down to `min_lr` over all epochs."""

    kind: Literal["cosine"]
    min_lr: float = Field(0.0, ge=0)


class ConstantSchedule(_Strict):
    """The initial learning rate throughout."""

    kind: Literal["constant"]


Schedule = Annotated[StepSchedule | CosineSchedule | ConstantSchedule, Field(discriminator="kind")]


class TrainingRecipe(_Strict):
    """Default training: optimizer, epochs, learning rate and its schedule, regularisation."""

    optimizer: Literal["sgd", "adam"] = "sgd"
    epochs: int = Field(ge=1)
    lr: float = Field(gt=0)
    momentum: float = Field(0.9, ge=0, lt=1)  # SGD only
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(ge=1)
    schedule: Schedule

    @model_validator(mode="after")
    def _milestones_within_training(self) -> "TrainingRecipe":
        if isinstance(self.schedule, StepSchedule):
            steps = self.schedule.milestones
            if list(steps) != sorted(set(steps)) or (steps and steps[-1] >= self.epochs):
                raise ValueError(
                    f"schedule milestones {list(steps)} must increase and stay below "
                    f"epochs={self.epochs}"
                )
        return self


class ModelCard(_Strict):
    """A zoo net with its options, width, dataset and training recipe, and where it is from."""

    name: str = Field(min_length=1)
    description: str
    architecture: str
    options: dict[str, Any] = Field(default_factory=dict)
    width: float = 1.0
    dataset: str
    input_shape: tuple[int, int, int]
    num_classes: int = Field(ge=1)
    training: TrainingRecipe
    source: str = Field(min_length=1)

    @field_validator("architecture")
    @classmethod
    def _known_architecture(cls, value: str) -> str:
        return _field_error(lambda name: net_info(name).name, value)

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str) -> str:
        return _field_error(lambda name: get_source(name).name, value)

    @field_validator("width")
    @classmethod
    def _valid_width(cls, value: float) -> float:
        return _field_error(check_width, value)

    @model_validator(mode="after")
    def _consistent(self) -> "ModelCard":
        source = get_source(self.dataset)
        shape, classes = source.input_shape, source.num_classes
        if self.input_shape != shape or self.num_classes != classes:
            raise ValueError(
                f"dataset {self.dataset} has input_shape {list(shape)} and {classes} classes, "
                f"the card says {list(self.input_shape)} and {self.num_classes}"
            )
        try:
            check_options(self.architecture, self.options)
        except UserError as exc:
            raise ValueError(str(exc)) from None
        return self

    def resolved_options(self) -> dict[str, Any]:
        """Every option of the net, defaults included: the complete record for provenance."""
        return check_options(self.architecture, self.options)

    def build(self, width: float | None = None) -> nn.Module:
        """The card's net, at the card's width unless `width` is given."""
        return get_net(
            self.architecture,
            self.width if width is None else width,
            self.num_classes,
            self.input_shape[0],
            **self.options,
        )


def _shipped() -> dict[str, Traversable]:
    """Shipped card name -> its file inside the installed package."""
    folder = resources.files(CARD_PACKAGE).joinpath(CARD_FOLDER)
    return {
        Path(item.name).stem: item
        for item in folder.iterdir()
        if item.is_file() and item.name.endswith(CARD_SUFFIXES)
    }


def list_cards() -> list[str]:
    """Names of the model cards shipped with archsim, sorted."""
    return sorted(_shipped())


def load_card(name_or_path: str | Path) -> ModelCard:
    """A shipped card by name (e.g. "resnet20-cifar10") or any card file by path."""
    text = str(name_or_path)
    looks_like_path = "/" in text or os.sep in text or text.endswith(CARD_SUFFIXES)
    if isinstance(name_or_path, Path) or looks_like_path:
        return validate(ModelCard, load_yaml(name_or_path), text)
    shipped = _shipped()
    if text not in shipped:
        known = ", ".join(sorted(shipped))
        raise UserError(f"unknown model card {text!r}; known cards: {known}")
    source = f"{CARD_FOLDER}/{text}.yaml"
    card = validate(ModelCard, parse_yaml(shipped[text].read_text("utf-8"), source), source)
    if card.name != text:
        raise UserError(f"{source}: name {card.name!r} must match the file name {text!r}")
    return card
