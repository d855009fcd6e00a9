"""Score chips on their images, for one model or a pair, remembering what was already scored.

A `ChipSampler` holds one or more arms (a model's `FaultInjector`, open for the whole run) and
the test set. `correct(arm, chip, m)` returns which of chip `chip`'s first m images (in its
`image_order`, or all images in their original order when m is the whole test set) the arm
classifies correctly under that chip's faults; images scored before (a pilot's) are not scored
again. The sampler counts chip-images (image evaluations under a chip) and chip evaluations.
The arms of a pair share each chip's fault map: it is drawn once, from the first arm's drawer.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from archsim.faults.batched import batched_correct
from archsim.faults.bnsets import bn_statistics
from archsim.faults.chip import ChipDrawer
from archsim.faults.inject import FaultInjector
from archsim.faults.nested import image_order
from archsim.faults.records import ChipFaults
from archsim.faults.scoring import correct_over_batches


def correct_mask(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 256) -> Tensor:
    """Per image, whether the model (in eval mode, no gradients) classifies it correctly."""
    return correct_over_batches(model, model, images, labels, batch_size)


@dataclass(frozen=True)
class Arm:
    """One model under test: its injector and the BatchNorm statistics it runs with."""

    injector: FaultInjector
    bn_stats: Mapping[str, Tensor] | None = None


class ChipSampler:
    """Chips of one rate (or one measured fault map) scored on subsets of the test set."""

    def __init__(
        self,
        arms: Sequence[Arm],
        images: Tensor,
        labels: Tensor,
        seed: int,
        draw: Callable[[int], ChipFaults],
        batch_size: int = 256,
        chips_per_pass: int = 1,
    ) -> None:
        self.arms = tuple(arms)
        self.images, self.labels = images, labels
        self.seed, self.batch_size = seed, batch_size
        self.chips_per_pass = chips_per_pass
        self._draw = draw
        self._ahead: dict[tuple[int, int], Tensor] = {}  # scored in a pass, not yet asked for
        self._orders: dict[int, Tensor | None] = {}  # None: the original order
        self._seen: dict[tuple[int, int], Tensor] = {}  # (arm, chip) -> correct, in order
        self._fractions: dict[int, float] = {}
        self.chip_images = 0
        self.chip_evaluations = 0

    @property
    def test_images(self) -> int:
        return len(self.images)

    @contextmanager
    def open(self) -> Iterator["ChipSampler"]:
        """Within the block every arm holds its quantized weights and BatchNorm statistics."""
        with ExitStack() as stack:
            for arm in self.arms:
                stack.enter_context(bn_statistics(arm.injector.model, arm.bn_stats))
                stack.enter_context(arm.injector.session())
            yield self

    def positions(self, chip: int, m: int) -> Tensor | None:
        """Chip `chip`'s first m image positions (None: every image, in the original order).

        A chip first asked for every image keeps the original order (today's one-stage
        evaluation, bit for bit); otherwise it follows its `image_order`.
        """
        if chip not in self._orders:
            full = m >= self.test_images
            self._orders[chip] = None if full else image_order(self.seed, chip, self.test_images)
        order = self._orders[chip]
        if order is None:
            if m < self.test_images:
                raise ValueError(
                    f"chip {chip} was scored on every image in test order; "
                    "it cannot be subsampled afterwards"
                )
            return None
        return order[:m]

    def correct(self, arm: int, chip: int, m: int) -> Tensor:
        """Whether arm `arm` gets each of chip `chip`'s first m images right (bool, length m)."""
        m = min(m, self.test_images)
        seen = self._seen.get((arm, chip))
        have = 0 if seen is None else len(seen)
        if seen is not None and have >= m:
            return seen[:m]
        where = self.positions(chip, m)
        if where is None:
            images, labels = self.images, self.labels
        else:
            images, labels = self.images[where[have:m]], self.labels[where[have:m]]
        # the crossbar path programs one chip's cells at a time, and replicated layers hold
        # one weight per copy: no vmapped weights
        injector = self.arms[arm].injector
        vmappable = injector.path is None and not injector.replicas
        if where is None and seen is None and self.chips_per_pass > 1 and vmappable:
            new = self._batched(arm, chip)
        else:
            faults = self._draw(chip)
            self._fractions[chip] = faults.faulty_fraction()
            with self.arms[arm].injector.chip(faults) as model:
                new = correct_mask(model, images, labels, self.batch_size)
        self.chip_images += len(new)
        self.chip_evaluations += 1
        result = new if seen is None else torch.cat((seen, new))
        self._seen[(arm, chip)] = result
        return result

    def _batched(self, arm: int, chip: int) -> Tensor:
        """Chip `chip` on every image, scored with the next chips in one vmapped pass
        (`batched.py`); the others wait in `_ahead` until asked for (and counted then)."""
        if (arm, chip) not in self._ahead:
            chips = range(chip, chip + self.chips_per_pass)
            maps = []
            for index in chips:
                maps.append(self._draw(index))
                self._fractions[index] = maps[-1].faulty_fraction()
                self._orders.setdefault(index, None)
            masks = batched_correct(
                self.arms[arm].injector, maps, self.images, self.labels, self.batch_size
            )
            self._ahead.update({(arm, index): row for index, row in zip(chips, masks, strict=True)})
        return self._ahead.pop((arm, chip))

    def faulty_fraction(self, chips: int) -> float:
        """Mean faulty fraction of units over chips 0..chips-1 (all drawn already)."""
        return sum(self._fractions[c] for c in range(chips)) / chips


def chip_drawer_source(
    drawer: ChipDrawer | None, rate: float | None, fault_map: ChipFaults | None, seed: int
) -> Callable[[int], ChipFaults]:
    """chip index -> its fault map: drawn from (seed, index), or the one measured map."""
    if (drawer is None) == (fault_map is None):
        raise ValueError("give exactly one of a chip drawer or a fault map")
    if fault_map is not None:
        return lambda _chip: fault_map
    assert drawer is not None and rate is not None
    cache: dict[int, ChipFaults] = {}

    def draw(chip: int) -> ChipFaults:
        if chip not in cache:
            cache.clear()  # chips are scored in order: keep only the current one
            cache[chip] = drawer.draw(rate, seed, chip)
        return cache[chip]

    return draw
