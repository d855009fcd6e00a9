"""Per-chip remapping against evaluation: is remapping a ResNet-20 chip cheaper than scoring it?

ResNet-20 (1x1 shortcuts, Fashion-MNIST shapes 1x28x28, every conv and the classifier on
crossbars: `all-rram`) with the weights of the checkpoint given as the first argument (else
the zoo's seeded initial weights), quantized to ISAAC's 16 bits. For each of 5 chips at 10%
`dropconnect` faults and at 2% `stuck-on` faults: the wall time of `remap_chip` (every faulty
block's layout) and of scoring the chip on 200 images (batch 200), with the torch thread
count of the run (`--threads`-like: the second argument, default 1). Median over the chips.
Results are in docs/fault-tolerance.md ("Speed").

    python benchmarks/bench_remap.py /work/models/resnet20-w1-fashion-mnist-standard.safetensors 1
"""

import argparse
import statistics
import time

import torch

from archsim.checkpoint import load_checkpoint
from archsim.faults import FaultInjector, get_fault_model
from archsim.faults.chip import ChipDrawer
from archsim.faults.remap import remap_chip
from archsim.faults.sampler import correct_mask
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets import get_net

CHIPS, IMAGES = 5, 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", help="trained weights (default: seeded init)")
    parser.add_argument("threads", nargs="?", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.checkpoint:
        model = load_checkpoint(args.checkpoint)[0].eval()
    else:
        model = get_net("resnet20", 1.0, 10, 1, seed=0, shortcut="1x1").eval()
    mapping = map_model(model, (1, 28, 28), "isaac", options=MapOptions(policy="all-rram"))
    injector = FaultInjector(model, mapping)
    images = torch.randn(IMAGES, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    labels = torch.zeros(IMAGES, dtype=torch.long)
    print(
        f"threads {torch.get_num_threads()}, {len(injector.sites)} RRAM layers, "
        f"{sum(len(s.blocks) for s in injector.sites)} blocks"
    )
    for name, rate in (("dropconnect", 0.1), ("stuck-on", 0.02)):
        drawer = ChipDrawer(injector.sites, get_fault_model(name))
        remap_s, eval_s, kept = [], [], []
        with injector.session() as net:
            for i in range(CHIPS):
                chip = drawer.draw(rate, 0, i)
                result = remap_chip(injector, chip)
                remap_s.append(result.seconds)
                kept.append(result.harm_after / result.harm_before)
                start = time.perf_counter()
                with injector.chip(result.chip):
                    correct_mask(net, images, labels, IMAGES)
                eval_s.append(time.perf_counter() - start)
        print(
            f"{name} {rate}: remap {statistics.median(remap_s):.3f} s, evaluate {IMAGES} "
            f"images {statistics.median(eval_s):.3f} s per chip (median of {CHIPS}); "
            f"harm left {statistics.mean(kept):.3f} of the identity layout's"
        )


if __name__ == "__main__":
    main()
