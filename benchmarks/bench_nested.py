"""Chip-images to a +-1-point 95% interval: every chip on the whole test set vs two-stage sampling.

Recipe (about 10-15 minutes on 2 shared cores):
1. Train ResNet-20 (width 1, cpu-1x1 placement, isaac) on the first `--train-limit` (6,000)
   Fashion-MNIST training images for `--epochs` (3) epochs, batch 128, SGD + cosine (the model
   card's recipe otherwise), twice: standard, and drop-connect at rate 0.2. No validation chips.
   Checkpoints go to `--models` (default: a temporary folder), so a rerun can reuse them.
2. Test set: the first `--test-images` (500) Fashion-MNIST test images. Chips: the
   `dropconnect` fault model (weights stuck at zero) at rate 0.1, seed 0.
3. For (i) the standard model's mean accuracy over chips and (ii) the drop-connect minus standard
   difference (paired: same chips, same images), run
   (a) adaptive Monte-Carlo scoring every chip on every test image, and
   (b) two-stage sampling with images per chip allocated from a 20-chip, 100-image pilot,
   both until the 95% interval of that figure is at most +-`--target` (1.0) points; print the
   chip-images each used, their ratio (goal (b) <= 1/5 of (a)) and whether the estimates agree
   (|a - b| within the interval of their difference, sqrt(h_a^2 + h_b^2)).
The chip cost the allocation uses (what drawing and swapping in a chip costs, in image
evaluations) is measured here first. The gain grows with the test set: about N / m* chip-images.

    .venv/bin/python benchmarks/bench_nested.py [--train-limit 6000] [--epochs 3] ...
"""

import argparse
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from archsim.checkpoint import load_checkpoint
from archsim.data import get_dataset
from archsim.faults import ChipDrawer, FaultInjector, MonteCarloSpec, RunInfo, get_fault_model
from archsim.faults.montecarlo import AccuracyResult, ChipPlan, accuracy, run_chips
from archsim.faults.paired import PairedResult, run_paired
from archsim.mapping.mapper import map_model
from archsim.mapping.options import MapOptions
from archsim.train import make_spec, train

RATE, PRESET = 0.1, "dropconnect"


def _train(method: str, args: argparse.Namespace, out: Path) -> Path:
    spec = make_spec(
        model="resnet20",
        dataset="fashion-mnist",
        limit=args.train_limit,
        epochs=args.epochs,
        batch_size=128,
        schedule="cosine",
        method=method,
        rate=0.2 if method == "dropconnect" else 0.0,
        val_chips=0,
        val_limit=500,
        out_dir=str(out),
        progress=False,
    )
    start = time.perf_counter()
    result = train(spec)
    state = "cached" if result.cached else f"{time.perf_counter() - start:.0f} s"
    print(f"  trained {method}: {state}, final validation {result.curves[-1].val_acc:.2f}%")
    return result.checkpoint


def _injector(path: Path) -> tuple[FaultInjector, RunInfo]:
    model, meta, _ = load_checkpoint(path)
    mapping = map_model(
        model,
        (1, 28, 28),
        "isaac",
        model_name="resnet20",
        options=MapOptions(policy=meta["policy"]),
    )
    info = RunInfo(
        "resnet20",
        1.0,
        "fashion-mnist",
        "isaac",
        meta["policy"],
        mapping.weight_bits,
        checkpoint=str(path),
    )
    return FaultInjector(model, mapping), info


def chip_cost(
    injector: FaultInjector, drawer: ChipDrawer, images: torch.Tensor, labels: torch.Tensor
) -> float:
    """What one chip costs beyond its images (draw, swap in, restore), in image evaluations."""
    with injector.session():
        accuracy(injector.model, images, labels)  # warm-up
        per_image = min(
            _timed(lambda: accuracy(injector.model, images, labels)) for _ in range(3)
        ) / len(images)

        def one_chip() -> None:
            with injector.chip(drawer.draw(RATE, 0, 10_000)):
                pass

        per_chip = min(_timed(one_chip) for _ in range(5))
    return per_chip / per_image


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _show(
    label: str, mean: float, half: float, chips: int, m: int | None, cost: int, seconds: float
) -> None:
    print(
        f"    {label}: {mean:6.2f} +-{half:.2f} points, {chips:5d} chips x {m} images = "
        f"{cost:9,d} chip-images ({seconds:.0f} s)"
    )


def _compare(what: str, a: tuple[float, float, int], b: tuple[float, float, int]) -> bool:
    (ma, ha, ca), (mb, hb, cb) = a, b
    ratio = cb / ca
    agree = abs(ma - mb) <= math.hypot(ha, hb)
    print(
        f"    {what}: (b)/(a) chip-images = {ratio:.3f} (1/{1 / ratio:.1f}; goal <= 1/5: "
        f"{'met' if ratio <= 0.2 else 'NOT met'}); estimates differ by {abs(ma - mb):.2f}, "
        f"within +-{math.hypot(ha, hb):.2f}: {'agree' if agree else 'DISAGREE'}"
    )
    return ratio <= 0.2 and agree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-limit", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--test-images", type=int, default=500)
    parser.add_argument("--target", type=float, default=1.0, help="95%% half-width, points")
    parser.add_argument("--models", type=Path, help="checkpoint folder (default: temporary)")
    args = parser.parse_args()
    print(
        f"ResNet-20 on Fashion-MNIST: train {args.train_limit} images x {args.epochs} epochs; "
        f"{args.test_images} test images; {PRESET} chips at rate {RATE}; target +-"
        f"{args.target}; {torch.get_num_threads()} torch threads"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = args.models or Path(tmp)
        std_path, dc_path = _train("standard", args, out), _train("dropconnect", args, out)
        std, info_std = _injector(std_path)
        dc, info_dc = _injector(dc_path)
    test = get_dataset("fashion-mnist", "test", limit=args.test_images)
    x, y = test.images, test.labels
    drawer = ChipDrawer(std.sites, get_fault_model(PRESET))
    cost = chip_cost(std, drawer, x[:256], y[:256])
    print(f"  measured chip cost: {cost:.1f} image evaluations (draw + swap in + restore)")
    full = MonteCarloSpec(chips=20_000, adaptive=args.target, min_chips=10, progress=False)
    nested = replace(full, images_per_chip="auto", pilot_chips=20, pilot_images=100, chip_cost=cost)
    ok = True
    print("  (i) mean accuracy of the standard model over chips")
    means = []
    for label, spec in (("(a) every image", full), ("(b) two-stage  ", nested)):
        start = time.perf_counter()
        r: AccuracyResult = run_chips(std, ChipPlan(drawer, RATE), x, y, spec, info_std)
        half = r.summary.half_width or 0.0
        _show(
            label,
            r.summary.mean,
            half,
            r.chips,
            r.images_per_chip,
            r.chip_images,
            time.perf_counter() - start,
        )
        means.append((r.summary.mean, half, r.chip_images))
        if r.pilot is not None:
            print(
                f"      pilot: between-chip sd {math.sqrt(r.pilot.between):.2f}, within-chip "
                f"sd {math.sqrt(r.pilot.within):.2f} points"
            )
    ok &= _compare("mean", means[0], means[1])
    print("  (ii) drop-connect minus standard, paired on the same chips and images")
    diffs = []
    for label, spec in (("(a) every image", full), ("(b) two-stage  ", nested)):
        start = time.perf_counter()
        p: PairedResult = run_paired(
            dc, std, ChipPlan(drawer, RATE), x, y, spec, (info_dc, info_std)
        )
        half = p.difference.half_width or 0.0
        _show(
            label,
            p.difference.mean,
            half,
            len(p.per_chip),
            p.first.images_per_chip,
            p.chip_images,
            time.perf_counter() - start,
        )
        diffs.append((p.difference.mean, half, p.chip_images))
    ok &= _compare("difference", diffs[0], diffs[1])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
