"""Summary statistics of per-chip accuracies (in percent): mean, spread, CI, yield."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    std: float | None  # sample standard deviation (ddof 1); None for one chip
    ci_low: float | None  # two-sided 95% Student-t interval of the mean, clipped to [0, 100]
    ci_high: float | None
    p5: float
    p50: float
    p95: float
    yield_fraction: float | None  # fraction of chips with accuracy >= threshold
    yield_low: float | None = None  # its two-sided 95% Wilson score interval
    yield_high: float | None = None

    @property
    def half_width(self) -> float | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return max(self.ci_high - self.mean, self.mean - self.ci_low)


def t_half_width(values: Sequence[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean (inf below two values)."""
    n = len(values)
    if n < 2:
        return math.inf
    if max(values) == min(values):
        return 0.0
    sd = float(np.std(values, ddof=1))
    # scipy.stats costs ~0.5 s to import: load it only when an interval is computed.
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (two-sided 95% by default); (0, 1) for
    n = 0. Unlike the normal interval it stays inside [0, 1] and is not empty at 0 or n."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarize(values: Sequence[float], threshold: float | None = None) -> Summary:
    """Statistics of `values` (per-chip accuracies); yield only when a threshold is given."""
    if not values:
        raise ValueError("no chips were evaluated")
    a = np.asarray(values, dtype=np.float64)
    mean = float(a[0]) if np.ptp(a) == 0 else float(a.mean())  # identical chips: exact
    p5, p50, p95 = (float(p) for p in np.percentile(a, [5, 50, 95]))
    yld, ylow, yhigh = None, None, None
    if threshold is not None:
        passed = int((a >= threshold).sum())
        yld = passed / len(a)
        ylow, yhigh = wilson_interval(passed, len(a))
    if len(a) < 2:
        return Summary(1, mean, None, None, None, p5, p50, p95, yld, ylow, yhigh)
    half = 0.0 if np.ptp(a) == 0 else t_half_width(values)
    std = 0.0 if half == 0 else float(a.std(ddof=1))
    # An accuracy lies in [0, 100] %, and so does its mean: the interval is clipped to that.
    low, high = max(0.0, mean - half), min(100.0, mean + half)
    return Summary(len(a), mean, std, low, high, p5, p50, p95, yld, ylow, yhigh)


@dataclass(frozen=True)
class PairedDifference:
    """Mean over chips of (a - b) on the same chips, with its Student-t half-width."""

    mean: float
    half_width: float
    chips: int


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> PairedDifference | None:
    """a[i] - b[i] for the chips both were scored on (same seed, same chip indices), so the
    spread between chips cancels; None below two common chips."""
    n = min(len(a), len(b))
    if n < 2:
        return None
    diffs = [float(x) - float(y) for x, y in zip(a[:n], b[:n], strict=True)]
    return PairedDifference(float(np.mean(diffs)), t_half_width(diffs, confidence), n)
