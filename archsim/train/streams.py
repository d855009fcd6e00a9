"""The named random streams of a run, each its own seeded generator.

`data` (shuffling, augmentation; CPU), `noise` (drop-connect masks, training faults; on the
training device), `recal` (faults during BatchNorm recalibration). Each stream's seed is derived
from the run's seed by `numpy.random.SeedSequence`, so the streams are independent and a
stream is the same whichever command draws from it (`archsim train --recalibrate` and
`archsim recalibrate` draw the same recalibration faults for the same seed).
"""

import numpy as np
import torch

STREAMS = {"data": 0, "noise": 1, "recal": 2}


def stream_seed(seed: int, stream: str) -> int:
    """An independent 63-bit seed for one named random stream of a run."""
    return int(
        np.random.SeedSequence([seed, STREAMS[stream]]).generate_state(2, np.uint64)[0]
        >> np.uint64(1)
    )


def stream_generator(seed: int, stream: str, device: torch.device) -> torch.Generator:
    """A generator on `device` seeded for stream `stream` of the run seeded `seed`."""
    return torch.Generator(device=device).manual_seed(stream_seed(seed, stream))
