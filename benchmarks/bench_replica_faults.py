"""The fault simulator with every replica faulted, as a ratio to the replica-0 path.

ResNet-20 (seeded initial weights, CIFAR-10 shapes 3x32x32, every conv and the classifier on
crossbars: `all-rram`) on ISAAC in its default budget (the fewest chips holding it
unreplicated). A: the replica-0 path (one copy of every layer, its faults used for every
pixel: the fault simulator before replicas were faulted). B: the design point's balanced
(replicated) mapping, every replica with its own faults, each output pixel computed by the
replica the pipeline deals it to. Each trial draws CHIPS chips at RATE of the default fault
model and scores each on IMAGES images (batch 100); trials run A B A B ... in one process,
and the CPU time (`time.process_time`) medians are compared.

    python benchmarks/bench_replica_faults.py [trials] [--images N] [--fault-model NAME]
        [--crossbar]      # the crossbar fast path (ISAAC's precision), evaluate's default
        [--exact]         # the crossbar path bit-true
        [--variation NAME]  # the crossbar path with programming variation (e.g. rram-wan2022)

Measured on a shared, oversubscribed 2-core machine (one torch thread), 560 / 140 / 35
replicas per stage, `3 --images 300`, 5 % dropconnect (CPU time medians, A B A B):

    weight path (--no-crossbar):  replica-0 0.95 s, every replica 3.39 s: ratio 3.56
    crossbar fast path (default): replica-0 1.50 s, every replica 3.96 s: ratio 2.64

(per chip: drawing and writing 560-copy fault maps is included; one forward of 100 images
alone is 0.15 s against 0.52 s, 3.4x.) The goal was 1.3; it is not met. Where the time goes
(one forward of 100 images, torch profiler): the batched product 47 %, the two gathers (the
copies' input table, the products back to pixel order) 26 %, the patch copy 16 %, the
dealing's slots (numpy, per batch) most of the rest. The product does as many
multiply-adds as the layer's convolution, but MKL's small batched GEMMs (560 copies of
183 x 144 by 144 x 16 in the first stage) run at about 2/3 of oneDNN's direct convolution,
and a convolution never materialises its patches; per layer at 100 images: conv 8.8 / 7.2 /
6.5 ms against 25 / 15 / 9.5 ms for the three stages. A grouped 1x1 convolution over the
copies (oneDNN) was slower than the batched GEMM (27 / 15 / 11 ms); gathering the table in
one pass from an overlapping view of the input is faster for kernel rows of >= 96 values
(stages 2 and 3: 9.7 / 3.8 ms against 14.7 / 6.3 ms for copy-then-gather) and slower below
(stage 1: 31.8 against 20.7 ms), hence `replicas.WIDE_ROW` (4 % of a forward).

The crossbar path's other modes deal pixels over every replica's cells too (`xbarcopies.py`).
Measured the same way (loaded 2-core machine, load average about 10), the previous version
(bit-true: replica 0 computing every pixel; fast: saturating columns from replica 0's cells)
against the current one, ratio B / A of each run:

    --crossbar, `3 --images 300`: before 2.67 and 2.76, after 2.58 and 2.53 (B 4.45 / 4.10
        s against 4.14 / 4.43 s: no saturating column at 5 % dropconnect on ISAAC, and the
        per-copy check costs about 2 ms per layer and chip)
    --exact, `2 --images 30`: before 0.95 (A 16.97 s, B 16.04 s; 0.61 GB peak memory),
        after 1.32 (A 16.02 s, B 21.15 s; 0.89 GB: every copy's cells, a byte each)

    --variation rram-wan2022, `1 --images 100`: before 0.98 (B 0.97 s, 0.51 GB), after 15.95
        (A 0.99 s, B 15.77 s; 1.36 GB): every copy draws its own variation, 261 M cells a chip

Bit-true B programs every copy's cells per chip (about 0.9 s a chip here) and computes each
copy's pixels with them in chunks of copies, as many readings as the layer's own bit-true
product plus the padding of unequal shares. Under device physics each chip's programming
(one normal draw per cell, about 40 % of it, then the copies' real-valued weights) is the
cost, about 7 s a chip.
"""

import argparse
import statistics
import time

import torch

from archsim.api.mapping import design_points
from archsim.config.hardware import load_hardware
from archsim.faults import FaultInjector, get_fault_model
from archsim.faults.chip import ChipDrawer
from archsim.faults.devices import device_physics
from archsim.faults.malloc import keep_freed_memory
from archsim.faults.pipeline import DEFAULT_FAULT_MODEL
from archsim.faults.sampler import correct_mask
from archsim.faults.xbarpath import CrossbarSetup
from archsim.hw.precision import chip_precision
from archsim.mapping.options import MapOptions
from archsim.mapping.records import Mapping
from archsim.nets import get_net

CHIPS, RATE, BATCH = 2, 0.05, 100


def trial(injector: FaultInjector, fault_model: str, images: torch.Tensor) -> float:
    """CPU seconds to draw and score CHIPS chips."""
    drawer = ChipDrawer(injector.sites, get_fault_model(fault_model))
    labels = torch.zeros(len(images), dtype=torch.long)
    start = time.process_time()
    with injector.session() as net:
        for i in range(CHIPS):
            with injector.chip(drawer.draw(RATE, 0, i)):
                correct_mask(net, images, labels, BATCH)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="?", type=int, default=3, help="A B pairs")
    parser.add_argument("--images", type=int, default=500, help="images per chip")
    parser.add_argument("--fault-model", default=DEFAULT_FAULT_MODEL)
    parser.add_argument("--crossbar", action="store_true", help="the crossbar fast path")
    parser.add_argument("--exact", action="store_true", help="the crossbar path bit-true")
    parser.add_argument("--variation", default=None, help="programming variation preset")
    args = parser.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()  # as `archsim evaluate` does
    model = get_net("resnet20", 1.0, 10, 3, seed=0).eval()
    mappings: dict[str, Mapping] = {}
    for label, replicate in (("A", False), ("B", True)):
        options = MapOptions(policy="all-rram", replicate=replicate)
        mappings[label] = design_points("resnet20", [1.0], "isaac", options).mappings[0]
    images = torch.randn(args.images, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    setup = None
    if args.crossbar or args.exact or args.variation:
        precision = chip_precision(load_hardware("isaac"))
        physics = device_physics(args.variation)
        setup = CrossbarSetup(
            precision=precision, calibration=images[:64], exact=args.exact, physics=physics
        )
    injectors = {label: FaultInjector(model, m, crossbar=setup) for label, m in mappings.items()}
    counts = [lm.replicas for lm in mappings["B"].rram_layers]
    print(f"B: replicas per layer {counts}")
    times: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.trials):
        for label in ("A", "B"):
            times[label].append(trial(injectors[label], args.fault_model, images))
            print(f"{label}: {times[label][-1]:.2f} s", flush=True)
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    print(
        f"{CHIPS} chips x {args.images} images at {RATE:.0%} {args.fault_model}: replica-0 "
        f"path {a:.2f} s, every replica faulted {b:.2f} s CPU (medians of {args.trials}); "
        f"ratio {b / a:.2f}"
    )


if __name__ == "__main__":
    main()
