"""CPU time of the crossbar path against fault-free inference of the same model.

For each model (LeNet-5 and ResNet-20 on 8x8 digits, seeded weights, policy cpu-1x1, the
first 256 test images in one batch) and each variant, one forward pass is timed with
`time.process_time`; the variants run interleaved (A B C D, A B C D, ...) so that a change of
machine load hits all of them alike, and the medians are compared:

- A: fault-free inference, float weights (the reference of every ratio);
- B: fast mode, `isaac` (lossless: one conv per layer; goal <= 1.2x);
- C: fast mode, `isaac-8bit-1cell` (lossy: the ADC's noise equivalent; goal <= 3x);
- D: bit-true mode, `isaac` (every input cycle, cell column and row block; goal <= 40x).

The process keeps freed memory in its heap, as `archsim evaluate` does (`faults/malloc.py`).

Measured (one CPU thread, a loaded 2-core machine; ratios to A, each run interleaving A B C D
seven times; "before" the previous version of the path, "after" the current one, run one
after the other on the same machine; after: the range of two runs):

    model       B lossless fast         C lossy fast            D bit-true
    LeNet-5     1.37x -> 0.97-1.15x     3.36x -> 2.38-2.97x     60x -> 57-64x
    ResNet-20   1.40x -> 1.10-1.11x     3.42x -> 2.69-2.79x     179x -> 124-144x

Bit-true misses its 40x goal: its packed matmul alone does about 43x the convolutions'
multiply-accumulates (docs/crossbar-path.md s.7).

Run: PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_crossbar_path.py [--device cuda]
(on CUDA the times are wall-clock after a synchronize).
"""

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from archsim.config.hardware import load_hardware
from archsim.data.inputs import InputHandling, load_split
from archsim.faults.inject import FaultInjector
from archsim.faults.malloc import keep_freed_memory
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import chip_precision
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets.registry import get_net

IMAGES, REPEATS = 256, 7


def _clock(device: torch.device) -> Callable[[], float]:
    if device.type == "cuda":

        def wall() -> float:
            torch.cuda.synchronize()
            return time.perf_counter()

        return wall
    return time.process_time


def _variant(
    model: torch.nn.Module, images: torch.Tensor, hardware: str | None, exact: bool
) -> FaultInjector | None:
    if hardware is None:
        return None
    hw = load_hardware(hardware)
    mapping = map_model(model, tuple(images.shape[1:]), hw, options=MapOptions(policy="cpu-1x1"))
    setup = CrossbarSetup(precision=chip_precision(hw), calibration=images, exact=exact)
    return FaultInjector(model, mapping, crossbar=setup)


def _time(
    model: torch.nn.Module,
    injector: FaultInjector | None,
    images: torch.Tensor,
    clock: Callable[[], float],
) -> float:
    with torch.no_grad():
        if injector is None:
            start = clock()
            model(images)
            return clock() - start
        with injector.session():
            start = clock()
            model(images)
            return clock() - start


def bench(name: str, device: torch.device) -> None:
    data = load_split("digits", "test", None, InputHandling(IMAGES))
    images = data.images.to(device)
    model = get_net(name, in_channels=images.shape[1], seed=0).to(device).eval()
    variants = {
        "fault-free": _variant(model, images, None, False),
        "fast isaac (lossless)": _variant(model, images, "isaac", False),
        "fast isaac-8bit-1cell (lossy)": _variant(model, images, "isaac-8bit-1cell", False),
        "bit-true isaac": _variant(model, images, "isaac", True),
    }
    clock = _clock(device)
    times: dict[str, list[float]] = {key: [] for key in variants}
    for _ in range(REPEATS):
        for key, injector in variants.items():
            times[key].append(_time(model, injector, images, clock))
    base = statistics.median(times["fault-free"])
    print(f"{name} on {device}, {IMAGES} images, medians of {REPEATS} interleaved runs")
    for key, samples in times.items():
        median = statistics.median(samples)
        print(f"  {key:32s} {median * 1e3:9.1f} ms  {median / base:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", default="lenet5,resnet20")
    args = parser.parse_args()
    keep_freed_memory()  # as `archsim evaluate` runs: no mmap/munmap per large tensor
    for name in args.models.split(","):
        bench(name, torch.device(args.device))


if __name__ == "__main__":
    main()
