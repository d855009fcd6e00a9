"""Several chips in one pass: `torch.func.vmap` over the chips' stacked faulty weights.

On a GPU one chip's forward pass of a small network leaves most of the device idle, so
scoring C chips at once (their RRAM weights stacked on a leading chip dimension, every other
parameter and buffer shared) multiplies the chip-images per second. On a CPU the per-chip loop
already runs at the fault-free inference rate, so `chips_per_pass` defaults to 1 there.

`batched_correct` gives the same per-image verdicts as scoring each chip alone with
`FaultInjector.chip` (tested on CPU; logits agree to float rounding, since a vmapped
convolution runs as one grouped convolution).
"""

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.func import functional_call, vmap

from archsim.errors import UserError
from archsim.faults.inject import FaultInjector
from archsim.faults.records import ChipFaults
from archsim.faults.scoring import correct_over_batches

MAX_CHIPS_PER_PASS = 64


def check_chips_per_pass(value: int) -> int:
    if not 1 <= value <= MAX_CHIPS_PER_PASS:
        raise UserError(
            f"chips per pass must be an integer from 1 to {MAX_CHIPS_PER_PASS}, got {value}"
        )
    return value


def default_chips_per_pass(device: torch.device) -> int:
    """1 on a CPU (nothing to gain); 8 on a GPU, where one small chip leaves it idle."""
    return 8 if device.type == "cuda" else 1


def batched_correct(
    injector: FaultInjector,
    chips: Sequence[ChipFaults],
    images: Tensor,
    labels: Tensor,
    batch_size: int = 256,
) -> Tensor:
    """[len(chips), len(images)] bool: whether each chip classifies each image correctly.

    Call inside `injector.session()` (the BatchNorm statistics and quantized weights in
    place); `batch_size` images go through all the chips at once."""
    if not chips:
        raise ValueError("no chips to evaluate")
    model = injector.model
    faulted = [injector.faulted_weights(chip) for chip in chips]
    stacked = {
        f"{site}.weight": torch.stack([weights[site] for weights in faulted]) for site in faulted[0]
    }
    shared = {**dict(model.named_parameters()), **dict(model.named_buffers())}

    def logits(weights: dict[str, Tensor], x: Tensor) -> Tensor:
        out: Tensor = functional_call(model, {**shared, **weights}, (x,))  # untyped in torch
        return out

    per_chip = vmap(logits, in_dims=(0, None))
    return correct_over_batches(model, lambda x: per_chip(stacked, x), images, labels, batch_size)
