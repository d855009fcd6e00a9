"""How closely the crossbar path's fast mode agrees with its bit-true mode, per shipped description.

A LeNet-5 is trained on the digits training split (400 seeded Adam steps, batch 128; policy
cpu-1x1 puts its five weight layers on RRAM), its inputs are calibrated on the first 256
training images, and every shipped description scores the whole digits test split twice on
the same chips: fast mode and bit-true mode. Chip 0 is fault-free; chips 1..CHIPS are drawn
from `cell-isaac` at 2% (seed 0). Per chip the accuracy difference (fast - bit-true) is the
mean of the per-image differences of correctness; printed: the fault-free chip's difference
with a 95% interval over images (normal approximation of the paired differences), and the
faulty chips' mean difference with a 95% t-interval over chips. The numbers are quoted in
docs/crossbar-path.md s.6. Each lossy description is then scored bit-true against the same
chip with an ADC wide enough to be lossless (its `adc.bits` raised to the bits its partial sums
need), on the same chips and images: what its short ADC costs, with the same intervals.
Last, under device physics (`--physics` only: programming variation `rram-wan2022` at 1x
and 3x its fitted sigma, and the same with read noise `rram-read-1pct`), `isaac` and
`isaac-8bit-1cell` score CHIPS chips (cells of real levels, no stuck cells) fast and
bit-true: the fast mode leaves out the unit-step ADC's rounding of real-valued partial sums
(docs/crossbar-path.md s.6), and the difference measures what that costs.

Run: PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_crossbar_agreement.py [--physics]
"""

import math
import statistics
import sys

import torch
from torch import nn

from archsim.config.hardware import list_hardware, load_hardware
from archsim.config.hwschema import HardwareConfig
from archsim.data.inputs import InputHandling, load_split
from archsim.faults.chip import ChipDrawer
from archsim.faults.devices import DevicePhysics, get_read_noise, get_variation
from archsim.faults.inject import FaultInjector
from archsim.faults.presets import get_fault_model
from archsim.faults.records import ChipFaults
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import chip_precision
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets.registry import get_net

CHIPS, RATE, STEPS = 5, 0.02, 400
T_975 = {4: 2.776, 5: 2.571}  # Student t, 97.5% quantile, by degrees of freedom


def trained_lenet(images: torch.Tensor, labels: torch.Tensor) -> nn.Module:
    gen = torch.Generator().manual_seed(0)
    model = get_net("lenet5", in_channels=images.shape[1], seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(STEPS):
        idx = torch.randint(0, len(images), (128,), generator=gen)
        loss = nn.functional.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def correct(injector: FaultInjector, chip: ChipFaults | None, images: torch.Tensor,
            labels: torch.Tensor) -> torch.Tensor:  # fmt: skip
    with torch.no_grad(), injector.applied(chip) as model:
        return (model(images).argmax(1) == labels).float()


def main() -> None:
    train = load_split("digits", "train", None, InputHandling())
    test = load_split("digits", "test", None, InputHandling())
    model = trained_lenet(train.images, train.labels)
    calibration = train.images[:256]
    shape = tuple(test.images.shape[1:])
    if "--physics" in sys.argv:
        physics_agreement(model, calibration, test.images, test.labels)
        return
    print(f"lenet5 on digits, {len(test.labels)} test images; chip 0 fault-free, "
          f"{CHIPS} chips of cell-isaac at {RATE}")  # fmt: skip
    for name in list_hardware():
        hw = load_hardware(name)
        mapping = map_model(model, shape, hw, options=MapOptions(policy="cpu-1x1"))
        runs = {
            exact: FaultInjector(
                model,
                mapping,
                crossbar=CrossbarSetup(
                    precision=chip_precision(hw), calibration=calibration, exact=exact
                ),
            )
            for exact in (False, True)
        }
        drawer = ChipDrawer(runs[True].sites, get_fault_model("cell-isaac"),
                            mapping.crossbar_rows, mapping.crossbar_cols)  # fmt: skip
        chips: list[ChipFaults | None] = [None]
        chips += [drawer.draw(RATE, 0, i) for i in range(CHIPS)]
        diffs, accs = [], []
        for chip in chips:
            fast = correct(runs[False], chip, test.images, test.labels)
            exact = correct(runs[True], chip, test.images, test.labels)
            diffs.append(fast - exact)
            accs.append((100 * float(fast.mean()), 100 * float(exact.mean())))
        print(f"{name:20s} {chip_precision(hw).adc.describe().split(':')[0]:8s} fast - bit-true: "
              + summary(diffs, accs))  # fmt: skip
        if not chip_precision(hw).adc.lossless:
            wide = widened(hw, chip_precision(hw).adc.bits_needed)
            lossless = FaultInjector(model, mapping, crossbar=CrossbarSetup(
                precision=chip_precision(wide), calibration=calibration, exact=True))  # fmt: skip
            diffs, accs = [], []
            for chip in chips:
                short = correct(runs[True], chip, test.images, test.labels)
                full = correct(lossless, chip, test.images, test.labels)
                diffs.append(short - full)
                accs.append((100 * float(short.mean()), 100 * float(full.mean())))
            print(f"{'':29s} its ADC - a lossless ADC (bit-true): " + summary(diffs, accs))


PHYSICS = {
    "rram-wan2022": DevicePhysics(variation=get_variation("rram-wan2022")),
    "rram-wan2022:3": DevicePhysics(variation=get_variation("rram-wan2022:3")),
    "rram-wan2022 + rram-read-1pct": DevicePhysics(
        variation=get_variation("rram-wan2022"), read_noise=get_read_noise("rram-read-1pct")
    ),
}


def physics_agreement(
    model: nn.Module, calibration: torch.Tensor, images: torch.Tensor, labels: torch.Tensor
) -> None:
    """Fast - bit-true accuracy on CHIPS chips of each device physics (no stuck cells), with
    a 95% t-interval over chips."""
    shape = tuple(images.shape[1:])
    for name in ("isaac", "isaac-8bit-1cell"):
        hw = load_hardware(name)
        mapping = map_model(model, shape, hw, options=MapOptions(policy="cpu-1x1"))
        for label, physics in PHYSICS.items():
            runs = {
                exact: FaultInjector(
                    model,
                    mapping,
                    crossbar=CrossbarSetup(
                        precision=chip_precision(hw),
                        calibration=calibration,
                        exact=exact,
                        physics=physics,
                    ),
                )
                for exact in (False, True)
            }
            drawer = ChipDrawer(runs[True].sites, get_fault_model("cell-isaac"),
                                mapping.crossbar_rows, mapping.crossbar_cols)  # fmt: skip
            fast, exact = [], []
            for i in range(CHIPS):
                chip = drawer.draw(0.0, 0, i)  # no stuck cells: the physics alone
                fast.append(100 * float(correct(runs[False], chip, images, labels).mean()))
                exact.append(100 * float(correct(runs[True], chip, images, labels).mean()))
            diffs = [a - b for a, b in zip(fast, exact, strict=True)]
            half = T_975[CHIPS - 1] * statistics.stdev(diffs) / math.sqrt(CHIPS)
            print(f"{name:17s} {label:30s} fast {statistics.mean(fast):.2f} vs bit-true "
                  f"{statistics.mean(exact):.2f}, diff {statistics.mean(diffs):+.2f} "
                  f"+- {half:.2f}")  # fmt: skip


def widened(hw: HardwareConfig, bits: int) -> HardwareConfig:
    """`hw` with an ADC of `bits` bits (its costs unchanged: only the accuracy reads them)."""
    adc = hw.ima.adc.model_copy(update={"bits": bits})
    return hw.model_copy(update={"ima": hw.ima.model_copy(update={"adc": adc})})


def summary(diffs: list[torch.Tensor], accs: list[tuple[float, float]]) -> str:
    """Fault-free chip: accuracies and difference (95% interval over images); faulty chips:
    mean accuracies and mean difference (95% t-interval over chips), in points."""
    clean = diffs[0]
    half = 1.96 * float(clean.std()) / math.sqrt(len(clean))
    per_chip = [100 * float(d.mean()) for d in diffs[1:]]
    chip_half = T_975[len(per_chip) - 1] * statistics.stdev(per_chip) / math.sqrt(CHIPS)
    return (
        f"fault-free {accs[0][0]:.2f} vs {accs[0][1]:.2f}, "
        f"diff {100 * float(clean.mean()):+.2f} +- {100 * half:.2f} | "
        f"faulty {statistics.mean(a for a, _ in accs[1:]):.2f} vs "
        f"{statistics.mean(b for _, b in accs[1:]):.2f}, "
        f"diff {statistics.mean(per_chip):+.2f} +- {chip_half:.2f}"
    )


if __name__ == "__main__":
    main()
