"""Help and choices built from registries when they are needed: `--fault-model` help from
the preset registry (`archsim/faults/presets.py`) and the mechanisms behind the presets
(`archsim/faults/mechanisms.py`), `--estimator` choices from the estimator registry
(`archsim/perf/estimators.py`), so no command lists them by hand. They are made when help is
shown or an option parsed: importing a command module does not import the fault simulator
(and torch) or the estimators, so `archsim --help` and a command's start stay fast.
"""

import textwrap
from collections.abc import Callable, Sequence
from typing import Any, Literal

import click

# click's option column is at most 30 wide, then 2 spaces, and it keeps 2 more at the right
_OPTION_COLUMN = 30 + 2 + 2


class LazyHelpOption(click.Option):
    """A click option whose help text comes from `help_fn` when help is shown.

    The text lists registry names (`colline-isaac`), which click's wrapping would break after
    a hyphen; it is wrapped here between words only, at the narrowest width click gives the
    help column, and handed to click as a block it keeps as it is (a `\b` paragraph)."""

    def __init__(self, *args: Any, help_fn: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._help_fn = help_fn

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        # made anew each time: the registry, or the terminal, may have changed since
        width = max(ctx.make_formatter().width - _OPTION_COLUMN, 20)
        text = self._help_fn()
        lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
        self.help = "\b\n" + "\n".join(lines)
        return super().get_help_record(ctx)


class LazyChoice(click.Choice[str]):
    """A `click.Choice` whose choices come from `load` each time they are read (help,
    parsing, completion), so the registry behind them is imported only then."""

    def __init__(self, load: Callable[[], Sequence[str]], case_sensitive: bool = True) -> None:
        self._load = load
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._load())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:  # click's Choice lets callers set them
        fixed = tuple(value)
        self._load = lambda: fixed


def preset_list(which: Literal["all", "trainable", "weight"] = "all") -> str:
    """The presets as "a, b, or clustered c, d (NAME:SIZE sets the cluster size)".

    `which`: "all", "trainable" (sampled per weight tensor in training) or "weight" (weight
    granularity)."""
    from archsim.api.faults import fault_presets

    presets = fault_presets(which)
    plain = [name for name, takes_size in presets if not takes_size]
    sized = [name for name, takes_size in presets if takes_size]
    text = ", ".join(plain)
    if sized:
        text += f", or clustered {', '.join(sized)} (NAME:SIZE sets the cluster size)"
    return text


def estimator_names() -> tuple[str, ...]:
    """The registered cost estimators, in registry order."""
    from archsim.api.estimators import ESTIMATORS

    return tuple(ESTIMATORS)


def estimator_help() -> str:
    """`--estimator` help: "Cost model: " and each estimator's few words."""
    from archsim.api.estimators import estimator_help as from_registry

    return from_registry()


def policy_help() -> str:
    """`--policy` help: every placement policy, in registry order."""
    from archsim.api.mapping import placement_policies

    names = list(placement_policies())
    return f"Placement policy: {', '.join(names[:-1])} or {names[-1]}."
