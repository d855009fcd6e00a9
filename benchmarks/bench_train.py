"""Time a drop-connect training step against a plain one on ResNet-20 (batch 128, 3x32x32).

Both steps are the loop's real step (`archsim.train.epoch.train_epoch` on one batch: forward,
cross-entropy, backward, SGD with momentum and weight decay); the drop-connect one runs under
rate-0.2 masks on the RRAM layers of the default cpu-1x1 mapping, drawn fresh per step. Steps
alternate (plain, drop-connect, plain, ...) so load from other processes hits both alike; the
medians and their ratios are printed. Target: ratio <= 1.10. On a shared machine wall time
is dominated by other processes' load, so the verdict uses CPU time of this process (with one
thread, the default, that is exactly the work a step does); the wall-time ratio is printed too.

    .venv/bin/python benchmarks/bench_train.py [--steps 20] [--threads N]
"""

import argparse
import statistics
from time import perf_counter, process_time

import torch

from archsim.faults.inject import rram_layer_names
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.nets import get_net
from archsim.train.dropconnect import DropConnect
from archsim.train.epoch import EpochParts, train_epoch
from archsim.train.perturb import layer_weights

SHAPE = (3, 32, 32)
BATCH = 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps of each kind")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (0: torch default); 1 is steadiest on a shared box",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = get_net("resnet20", 1.0, 10, 3, shortcut="1x1")
    layers = rram_layer_names(
        map_model(model, SHAPE, "isaac", options=MapOptions(policy="cpu-1x1"))
    )
    model.to(memory_format=torch.channels_last)  # as the training loop runs it
    weights = layer_weights(model, layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, *SHAPE, generator=gen).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (BATCH,), generator=gen)
    plain = EpochParts(layers, weights)
    masked = EpochParts(layers, weights, DropConnect(0.2, torch.Generator().manual_seed(1)))

    def step(parts: EpochParts) -> tuple[float, float]:
        wall, cpu = perf_counter(), process_time()
        train_epoch(model, [(x, y)], optimizer, parts, lambda _: 0.01)
        return perf_counter() - wall, process_time() - cpu

    for _ in range(3):  # warm-up: allocator, kernels, parametrize's class cache
        step(plain), step(masked)
    times: dict[str, list[tuple[float, float]]] = {"plain": [], "dropconnect": []}
    for i in range(args.steps):  # ABBA order: neither kind always runs second
        order = ("plain", "dropconnect") if i % 2 == 0 else ("dropconnect", "plain")
        for kind in order:
            times[kind].append(step(plain if kind == "plain" else masked))
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    n = sum(w.numel() for w in weights.values())
    print(
        f"ResNet-20 (1x1 shortcuts), batch {BATCH}x{'x'.join(map(str, SHAPE))}, "
        f"{torch.get_num_threads()} threads, {args.steps} alternating steps each"
    )
    print(f"drop-connect on {len(layers)} RRAM layers ({n:,} weights), rate 0.2")
    for kind in ("plain", "dropconnect"):
        print(
            f"{kind + ' step:':19s} {med[kind] * 1e3:8.1f} ms wall, {cpu[kind] * 1e3:8.1f} ms CPU"
            f" (medians; {BATCH / med[kind]:.0f} img/s)"
        )
    print(f"wall-time ratio drop-connect / plain: {med['dropconnect'] / med['plain']:.3f}")
    ratio = cpu["dropconnect"] / cpu["plain"]
    print(
        f"CPU-time ratio drop-connect / plain:  {ratio:.3f} (target <= 1.10: "
        f"{'met' if ratio <= 1.10 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
