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

Measured on a shared, oversubscribed 2-core machine (AMD EPYC, one torch thread), 560 / 140 /
35 replicas per stage, `3 --images 300`, 5 % dropconnect (CPU time medians, A B A B); "before"
is the version that copied patches in pixel order before gathering the table, run right after
"after" on the same machine:

    weight path:                     before: replica-0 1.21 s, every replica 3.59 s: ratio 2.98
                                     after:  replica-0 1.12 s, every replica 2.84 s: ratio 2.54
    crossbar fast path (--crossbar): before: replica-0 1.63 s, every replica 4.24 s: ratio 2.60
                                     after:  replica-0 1.69 s, every replica 3.36 s: ratio 1.99

The goal was 1.3; it is not met. Per layer at 100 images (stages 1 / 2 / 3), the ordinary
convolution (oneDNN) takes 8 / 7-10 / 7 ms, the every-replica layer 35 / 23-27 / 12-14 ms: the
table 12 / 7.5 / 3 ms (was 18-24 / 9 / 5), the batched product 18-21 / 12-15 / 9.5-11 ms, the
gather back to pixel order 2 / 1 / 0.3 ms; the dealing's slots (numpy, 2 / 0.7 / 0.25 ms) are
computed once per stage and batch (`replicas.DealtBatch`). Per chip, drawing the 560-copy maps
takes 45 ms and writing and restoring them 67 ms (was 92: merged storage dimensions,
`index_copy_`, no held codes when every fault is stuck-off), against 4 + 2 ms unreplicated.

What remains is the product: it does as many multiply-adds as the layer's convolution, but
MKL's batched GEMM (560 copies of 183 x 144 by 144 x 16 in stage 1) runs at a half to a third
of oneDNN's direct convolution on this CPU, and it reads a table nine times the input (59 MB in
stage 1; the same product on a table that stays in cache takes 8.5 ms instead of 17). Tried and
not kept: oneDNN for the product (a dense 1x1 convolution or `mkldnn._linear_pointwise` on the
stage-1 shape: 14-16 ms against 15-17 for one shared weight, so no gain to expect per copy;
a grouped 1x1 convolution over the copies: 22-27 ms); weights x table transposed (no faster);
blocks of 16 copies whose table stays in cache (stage 1: 30-35 against 37-41 ms, but a Python
loop over copy blocks). Clean plus correction, y = conv(x, W_clean) + a sparse correction
(gather x at a pixel's base + the faulty weight's offset, times W_copy - W_clean, index_add):
a weight differs from the clean one wherever a fault changes it (5 % of weights at 5 %
dropconnect or sft; 1 - 0.95^8 = 34 % with cell-isaac's 8 cells a weight), and no stage-1
(copy, output channel) pair is fault-free (0.95^144 = 6e-4), so the correction reads
rate x out channels x the table's values one by one: 0.8 x the table in stage 1, 3.2 x in
stage 3. Measured (one layer, 100 images, its convolution included): stage 1 23 / 49 / 60 /
231 ms and stage 3 15 / 28 / 50 / 214 ms at rates 0.1 / 0.5 / 1 / 5 %, against 35-40 and
12-14 ms for the table: it wins only below about 0.3 % in stage 1 and never in stage 3, far
below the rates studied (1-30 %), so it is not used.

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

from archsim.api.mapping import MapRequest, design_points
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
        request = MapRequest(model="resnet20", widths=(1.0,), hardware="isaac", mapping=options)
        mappings[label] = design_points(request)[0].mapping
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
