"""The placement a command uses when none is given, and the reason it prints for it.

A zoo net takes the drop-connect paper's placement (its 1x1 convolutions on the CPU), the one
the paper's Table II and the sweeps use; a zoo ResNet on a 28x28 one-channel dataset also
keeps its stem and classifier there (`cpu-1x1-ends`). A user's own network (`file.py:factory` or
`module:factory`) keeps every layer on crossbars unless asked: the paper's rule would send
its 1x1 convolutions to a CPU that can cost most of its energy, which nobody asked for."""

from __future__ import annotations

import click

ZOO_DEFAULT = "cpu-1x1"
OWN_DEFAULT = "all-rram"
ONE_CHANNEL_DEFAULT = "cpu-1x1-ends"
# 28x28 one-channel datasets: docs/experiment-fashion-mnist.md keeps the stem and the classifier
# off the crossbars there, since a stem with one input channel is extremely fragile
ONE_CHANNEL = ("fashion-mnist", "mnist")


def is_own_network(model: str) -> bool:
    """A user model names its factory (`path/to/file.py:factory`, `module:factory`)."""
    return ":" in model


def default_policy(model: str, policy: str | None, dataset: str | None = None) -> tuple[str, str]:
    """The placement to use and why ("" when the user chose it)."""
    if policy is not None:
        return policy, ""
    if dataset in ONE_CHANNEL and model.startswith("resnet"):
        return ONE_CHANNEL_DEFAULT, (
            f"a zoo ResNet on {dataset}: a stem with one input channel is extremely fragile, so "
            "it and the classifier run fault-free on the CPU with the 1x1 convs, as "
            "docs/experiment-fashion-mnist.md does"
        )
    if is_own_network(model):
        return OWN_DEFAULT, (
            "your own network: every layer on crossbars (--policy cpu-1x1 moves its 1x1 "
            "convs to the CPU, as the drop-connect paper does)"
        )
    return ZOO_DEFAULT, "a zoo net: the drop-connect paper's placement, 1x1 convs on the CPU"


def say_default(name: str, reason: str) -> None:
    """Tell the user (stderr, once the command succeeded) which placement was chosen for them
    and why; nothing when they chose it."""
    if reason:
        click.echo(f"placement: {name} (default for {reason})", err=True)
