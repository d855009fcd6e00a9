"""`archsim map` of VGG-16 with balancing, as a whole process, against a bare `import torch`.

Both sides run as fresh processes, interleaved A B A B (ROUNDS pairs) so machine load hits
them alike; CPU time (user + system of the child, from `resource.getrusage`) is the measure,
wall time is printed beside it. The map runs with the defaults: one-chip budget, layers
replicated until the pipeline is balanced, the DES for 1 image stream. Target (issue 10):
median map CPU <= 1.5 x median `import torch` CPU.
"""

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 5
TARGET = 1.5
ARCHSIM = str(Path(sys.executable).with_name("archsim"))
COMMANDS = {
    "import torch": [sys.executable, "-c", "import torch"],
    "archsim map vgg16": [ARCHSIM, "map", "--model", "vgg16", "--format", "json"],
}


def run_once(argv: list[str]) -> tuple[float, float]:
    """(CPU s, wall s) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm the page cache, untimed
        run_once(argv)
    for _ in range(ROUNDS):
        for name, argv in COMMANDS.items():
            samples[name].append(run_once(argv))
    print(f"{'process':<20} {'median cpu s':>12} {'median wall s':>13}")
    medians = {}
    for name, values in samples.items():
        medians[name] = statistics.median(cpu for cpu, _ in values)
        wall = statistics.median(w for _, w in values)
        print(f"{name:<20} {medians[name]:>12.3f} {wall:>13.3f}")
    ratio = medians["archsim map vgg16"] / medians["import torch"]
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"map / import torch CPU: {ratio:.2f} (target <= {TARGET}) {verdict}")


if __name__ == "__main__":
    main()
