"""Keep freed memory in glibc's heap during long evaluations (docs/sources.md s.2, the malloc trap).

By default glibc serves every block above its mmap threshold (128 KiB, adapting up to 32 MiB)
with a fresh mmap and returns it with munmap, so each batch's activation tensors cost page
faults and system calls: measured here (benchmarks/bench_montecarlo.py, ResNet-20, batch 512)
as 12-16% of the CPU time spent in the kernel, about 0.2% after raising the thresholds. The
price is that the process keeps its peak memory until it exits.
"""

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
MMAP_THRESHOLD, TRIM_THRESHOLD = 1 << 30, (1 << 31) - 1  # mallopt takes a C int


def keep_freed_memory() -> bool:
    """Raise glibc's mmap (1 GiB) and trim (2 GiB) thresholds; False without glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
