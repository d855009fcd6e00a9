"""Time users lose outside Monte-Carlo, each measured as whole processes in one run.

1. `archsim train --model resnet20 --dataset fashion-mnist --limit 2000 --epochs 1`: now (the
   validation set follows the training size: 500 images, 3 chips) against the previous
   defaults (`--val-limit 10000 --val-chips 3`: the whole test set plus 3 faulty chips),
   alternated A B A B so load drift hits both; wall and CPU time of the child processes.
2. `import archsim.api` against `import torch` (matplotlib now loads only to draw a report).
3. `archsim map --model vgg16 --width 1.6 --budget-chips node` (replicated and balanced over
   the node's 64 chips) against `--no-replicate`: CPU time ratio.
Needs the Fashion-MNIST dataset (`apt-get install dataset-fashion-mnist`) for item 1.

    .venv/bin/python benchmarks/bench_elsewhere.py [--repeats 2]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARCHSIM = [str(Path(sys.executable).with_name("archsim"))]  # the installed entry point


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        cmd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(variants: dict[str, list[str]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each variant, run in turn `repeats` times."""
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
    for _ in range(repeats):
        for name, cmd in variants.items():
            times[name].append(run(cmd))
    return {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in times.items()
    }


def _ratio_line(label: str, new: tuple[float, float], old: tuple[float, float]) -> str:
    return (
        f"  {label}: {old[0]:.1f} s -> {new[0]:.1f} s wall ({old[0] / new[0]:.2f}x faster), "
        f"{old[1]:.1f} s -> {new[1]:.1f} s CPU ({old[1] / new[1]:.2f}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = [
            *ARCHSIM,
            "train",
            "--model",
            "resnet20",
            "--dataset",
            "fashion-mnist",
            "--limit",
            "2000",
            "--epochs",
            "1",
            "--no-progress",
            "--force",
        ]
        t = alternate(
            {
                "now": [*base, "--output", str(Path(tmp) / "now.safetensors")],
                "before": [
                    *base,
                    "--output",
                    str(Path(tmp) / "old.safetensors"),
                    "--val-limit",
                    "10000",
                    "--val-chips",
                    "3",
                ],
            },
            args.repeats,
        )
    print(f"medians of {args.repeats} alternated runs, OMP_NUM_THREADS=1")
    print(
        _ratio_line(
            "train --limit 2000 --epochs 1 (previous validation defaults -> now)",
            t["now"],
            t["before"],
        )
    )
    imports = alternate(
        {
            "torch": [sys.executable, "-c", "import torch"],
            "api": [
                sys.executable,
                "-c",
                "import archsim.api, sys; assert 'matplotlib' not in sys.modules",
            ],
        },
        max(3, args.repeats),
    )
    print(
        f"  import archsim.api / import torch: {imports['api'][0] / imports['torch'][0]:.2f}x "
        f"wall ({imports['api'][0]:.2f} s / {imports['torch'][0]:.2f} s); matplotlib not loaded"
    )
    vgg = [*ARCHSIM, "map", "--model", "vgg16", "--width", "1.6", "--format", "csv"]
    maps = alternate(
        {"plain": [*vgg, "--no-replicate"], "node": [*vgg, "--budget-chips", "node"]}, args.repeats
    )
    print(
        f"  map vgg16 x1.6 --budget-chips node / --no-replicate: "
        f"{maps['node'][1] / maps['plain'][1]:.2f}x CPU ({maps['node'][1]:.1f} s / "
        f"{maps['plain'][1]:.1f} s; target <= 1.2x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
