"""`--fault-model` help built from the preset registry (`archsim/faults/presets.py`) and the
mechanisms behind the presets (`archsim/faults/mechanisms.py`), so no command lists presets by
hand. The text is made when help is shown: importing a command module does not import the
fault simulator (and torch), so `archsim --help` and a command's start stay fast.
"""

from collections.abc import Callable
from typing import Any

import click


class LazyHelpOption(click.Option):
    """A click option whose help text comes from `help_fn` the first time help is shown."""

    def __init__(self, *args: Any, help_fn: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._help_fn = help_fn

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.help is None:
            self.help = self._help_fn()
        return super().get_help_record(ctx)


def preset_list(which: str = "all") -> str:
    """The presets as "a, b, or clustered c, d (NAME:SIZE sets the cluster size)".

    `which`: "all", "trainable" (sampled per weight tensor in training) or "weight" (weight
    granularity)."""
    from archsim.faults.mechanisms import mechanism_of
    from archsim.faults.presets import PRESETS, takes_size

    def keep(name: str) -> bool:
        mechanism = mechanism_of(PRESETS[name])
        return {"all": True, "trainable": mechanism.trainable,
                "weight": mechanism.kind == "weight"}[which]  # fmt: skip

    names = [n for n in PRESETS if keep(n)]
    plain = [n for n in names if not takes_size(PRESETS[n])]
    sized = [n for n in names if takes_size(PRESETS[n])]
    text = ", ".join(plain)
    if sized:
        text += f", or clustered {', '.join(sized)} (NAME:SIZE sets the cluster size)"
    return text
