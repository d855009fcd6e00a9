"""Monte-Carlo over faulty chips vs fault-free inference, measured in one run.

1. Throughput: ResNet-20 on Fashion-MNIST test images (random data of that shape if the
   dataset is absent): fault-free inference (images/s) against the Monte-Carlo evaluation of
   ISAAC cell-granularity chips (chip-images/s, including drawing each chip's fault map and
   swapping its weights in and out). Rounds alternate a fault-free pass and a one-chip pass;
   throughputs are the best round (the least disturbed by other processes sharing the cores),
   the ratio is the median of the rounds' paired ratios; target ratio >= 0.9. The cost a chip
   adds to inference (draw, swap in, restore) is timed on its own as well.
2. glibc's malloc trap (docs/sources.md s.2): each measurement runs in a child process, with the
   default malloc and with MALLOC_MMAP_THRESHOLD_=1 GiB / MALLOC_TRIM_THRESHOLD_=2 GiB,
   alternated (A B A B) so drift in machine load cancels; batches 256 and 512. The share of
   system time (mmap/munmap and page faults) shows the trap whatever the machine's load.
3. Adaptive stopping: a LeNet-5 trained for a few seconds on digits, chips evaluated until the
   95% CI half-width is <= 0.5 points, against a fixed 100 chips.
"""

import json
import os
import statistics
import subprocess
import sys
import time

import torch

from archsim.data import get_dataset
from archsim.errors import UserError
from archsim.faults import ChipDrawer, FaultInjector, MonteCarloSpec, RunInfo, get_fault_model
from archsim.faults.montecarlo import ChipPlan, accuracy, run_chips
from archsim.mapping.mapper import map_model
from archsim.nets import get_net

IMAGES, ROUNDS, REPEATS = 1024, 8, 2
TUNED = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(2 << 30)}


def _data() -> tuple[torch.Tensor, torch.Tensor, str]:
    try:
        ds = get_dataset("fashion-mnist", "test", limit=IMAGES)
        return ds.images, ds.labels, "Fashion-MNIST test"
    except UserError:
        gen = torch.Generator().manual_seed(0)
        return (
            torch.randn(IMAGES, 1, 28, 28, generator=gen),
            torch.randint(0, 10, (IMAGES,), generator=gen),
            "random 1x28x28",
        )


def _sys_share(start: os.times_result) -> float:
    end = os.times()
    user, system = end.user - start.user, end.system - start.system
    return system / (user + system) if user + system > 0 else 0.0


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def measure(batch: int) -> dict[str, float]:
    """Fault-free and Monte-Carlo throughput in this process (medians of interleaved rounds)."""
    images, labels, _ = _data()
    model = get_net("resnet20", 1.0, 10, 1).eval()
    mapping = map_model(model, (1, 28, 28), "isaac", model_name="resnet20")
    injector = FaultInjector(model, mapping)
    drawer = ChipDrawer(injector.sites, get_fault_model("cell-isaac"))
    info = RunInfo("resnet20", 1.0, "bench", "isaac", "cpu-1x1", 16)
    accuracy(model, images[:batch], labels[:batch], batch)  # warm-up
    rows: dict[str, list[float]] = {"clean": [], "mc": [], "clean_cpu": []}
    times = os.times()
    for r in range(ROUNDS):
        start = _clock()
        accuracy(model, images, labels, batch)
        wall, cpu = _since(start)
        rows["clean"].append(len(images) / wall)
        rows["clean_cpu"].append(len(images) / cpu)
        start = _clock()
        run_chips(
            injector,
            ChipPlan(drawer, 0.01),
            images,
            labels,
            MonteCarloSpec(chips=1, seed=r, batch_size=batch, progress=False),
            info,
        )
        rows["mc"].append(len(images) / _since(start)[0])
    overhead = []
    for chip in range(5):  # what a chip costs beyond inference: draw, swap in, restore
        start = _clock()
        with injector.applied(drawer.draw(0.01, 0, chip)):
            pass
        overhead.append(_since(start)[0])
    out: dict[str, float] = {k: max(v) for k, v in rows.items()}
    out["ratio"] = statistics.median(m / c for m, c in zip(rows["mc"], rows["clean"], strict=True))
    out["sys_share"] = _sys_share(times)
    out["overhead_ms"] = 1000 * min(overhead)
    return out


def _child(batch: int, tuned: bool) -> dict[str, float]:
    env = {**os.environ, **(TUNED if tuned else {})}
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(batch)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _trained_lenet(steps: int = 200) -> torch.nn.Module:
    """LeNet-5 after `steps` Adam steps on digits (a few seconds)."""
    train = get_dataset("digits", "train")
    model = get_net("lenet5", 1.0, 10, 1, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(train.images), (128,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(train.images[idx]), train.labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def adaptive(target: float = 0.5, rate: float = 0.05, fixed: int = 100) -> None:
    test = get_dataset("digits", "test")
    start = time.perf_counter()
    model = _trained_lenet()
    seconds = time.perf_counter() - start
    mapping = map_model(model, (1, 8, 8), "isaac", model_name="lenet5")
    injector = FaultInjector(model, mapping)
    info = RunInfo("lenet5", 1.0, "digits", "isaac", "cpu-1x1", 16)
    clean = accuracy(model, test.images, test.labels)
    print(
        f"Adaptive stopping (LeNet-5 trained {seconds:.0f} s on digits: {clean:.1f}% on "
        f"{len(test.images)} test images; rate {rate}, target +-{target} points):"
    )
    for preset in ("dropconnect", "sft", "cell-isaac"):
        drawer = ChipDrawer(injector.sites, get_fault_model(preset))
        full = run_chips(
            injector,
            ChipPlan(drawer, rate),
            test.images,
            test.labels,
            MonteCarloSpec(chips=fixed, progress=False),
            info,
        )
        ada = run_chips(
            injector,
            ChipPlan(drawer, rate),
            test.images,
            test.labels,
            MonteCarloSpec(chips=5000, adaptive=target, min_chips=10, progress=False),
            info,
        )
        print(
            f"  {preset:11s}: fixed {fixed} chips: mean {full.summary.mean:5.2f} "
            f"+-{full.summary.half_width:.2f} (std {full.summary.std:.2f}); adaptive: "
            f"{ada.chips} chips for mean {ada.summary.mean:5.2f} +-{ada.summary.half_width:.2f}"
        )


def main() -> int:
    _, _, source = _data()
    print(
        f"ResNet-20 (width 1) on {IMAGES} {source} images, {torch.get_num_threads()} torch "
        f"threads, cell-isaac chips at rate 0.01, {ROUNDS} interleaved rounds; "
        f"malloc variants alternated {REPEATS}x in child processes"
    )
    for batch in (256, 512):
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(REPEATS):
            for tuned in (False, True):
                runs[tuned].append(_child(batch, tuned))
        for tuned, label in ((False, "default malloc"), (True, "mallopt 1G/2G")):
            m = {k: max(r[k] for r in runs[tuned]) for k in runs[tuned][0]}
            m["ratio"] = statistics.median(r["ratio"] for r in runs[tuned])
            m["sys_share"] = statistics.mean(r["sys_share"] for r in runs[tuned])
            m["overhead_ms"] = min(r["overhead_ms"] for r in runs[tuned])
            print(
                f"  batch {batch} {label:14s}: fault-free {m['clean']:7.1f} images/s, "
                f"Monte-Carlo {m['mc']:7.1f} chip-images/s, ratio {m['ratio']:.3f}; fault-free "
                f"{m['clean_cpu']:.0f} images per CPU-second, system time {m['sys_share']:.0%};"
                f" per-chip overhead {m['overhead_ms']:.1f} ms"
            )
    torch.set_num_threads(1)  # chip counts do not depend on speed; spare the shared cores
    adaptive()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(main())
