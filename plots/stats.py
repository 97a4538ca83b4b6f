"""Small-sample statistics for benchmark repetitions: spread, bimodality, Mann-Whitney U.

Standard library only, so the summary, the comparison and CI need nothing beyond Debian's
python3. The U test is the one Google Benchmark's tools/compare.py applies to repetitions
(it calls scipy); here it is written out from its definition:
  H. B. Mann and D. R. Whitney, "On a Test of Whether one of Two Random Variables is
  Stochastically Larger than the Other", Ann. Math. Statist. 18(1), 1947, 50-60:
the exact null distribution of U (counted by the recurrence of their paper) when there are
no ties and the samples are small, else the normal approximation with the tie correction
and a continuity correction, as scipy.stats.mannwhitneyu does with method="auto".

The bottom layer of plots/ with formatting.py: it imports no other module of plots/.
"""

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

# Clusters further apart than this factor (upper cluster's lowest over lower cluster's
# highest), and apart by more than twice the spread inside either, make a figure bimodal.
# Measured here: a shm-spsc stream at 2.2 M and at 12-16 M msgs/s (x5.5), a spinning
# round trip at 303-311 ns and at 711-767 ns (x2.3); the noise inside a cluster is 5-15 %.
BIMODAL_FACTOR = 1.3
# With 3 or 4 samples one of the clusters is a single sample, and noise alone (a quick
# sample here varies by up to 30-50 %) splits off one value that far: only a split of 2x
# or more is called bimodal then.
SMALL_SAMPLE_FACTOR = 2.0
# The exact U distribution is counted up to this many samples per side.
EXACT_LIMIT = 25


@dataclass
class Spread:
    n: int
    median: float
    low: float  # the smallest sample
    high: float  # the largest
    q1: float
    q3: float
    cv: Optional[float]  # sample standard deviation / mean; None for one sample
    clusters: Optional[List[Tuple[float, int]]] = None  # (median, count) per cluster when bimodal

    @property
    def bimodal(self) -> bool:
        return self.clusters is not None

    @property
    def relative_range(self) -> float:
        """(high - low) / median: how far apart the samples lie, as a fraction."""
        return (self.high - self.low) / self.median if self.median else 0.0


def quartiles(values: Sequence[float]) -> Tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def find_clusters(values: Sequence[float]) -> Optional[List[Tuple[float, int]]]:
    """Two clusters (median, count) when the sorted samples split at one gap that is wide
    against the spread on either side of it; None when they do not. Needs 3 samples; with
    5 or more, the smaller cluster must hold 2 (one stray sample is an outlier, not a mode)."""
    xs = sorted(v for v in values if v > 0)
    if len(xs) < 3:
        return None
    logs = [math.log(v) for v in xs]
    gap, cut = max((logs[i + 1] - logs[i], i + 1) for i in range(len(logs) - 1))
    lower, upper = logs[:cut], logs[cut:]
    inside = max(lower[-1] - lower[0], upper[-1] - upper[0])
    smaller = min(len(lower), len(upper))
    factor = BIMODAL_FACTOR if len(xs) >= 5 else SMALL_SAMPLE_FACTOR
    if gap < math.log(factor) or gap <= 2 * inside or (len(xs) >= 5 and smaller < 2):
        return None
    return [(statistics.median(xs[:cut]), cut), (statistics.median(xs[cut:]), len(xs) - cut)]


def spread(values: Sequence[float]) -> Spread:
    xs = sorted(values)
    if not xs:
        raise ValueError("no samples")
    mean = statistics.fmean(xs)
    cv = statistics.stdev(xs) / mean if len(xs) > 1 and mean else None
    q1, q3 = quartiles(xs)
    return Spread(len(xs), statistics.median(xs), xs[0], xs[-1], q1, q3, cv, find_clusters(xs))


def _ranks(values: Sequence[float]) -> Tuple[List[float], List[int]]:
    """Average ranks (1-based) of the values, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


@lru_cache(maxsize=None)
def _arrangements(n1: int, n2: int, u: int) -> int:
    """How many orderings of n1 x's and n2 y's have U = u (x's beating y's), by Mann and
    Whitney's recurrence: the largest value is an x (it beats all n2 y's) or a y."""
    if u < 0:
        return 0
    if n1 == 0 or n2 == 0:
        return 1 if u == 0 else 0
    return _arrangements(n1 - 1, n2, u - n2) + _arrangements(n1, n2 - 1, u)


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> Tuple[float, float]:
    """(U of x, two-sided p-value) for the hypothesis that x and y come from one distribution."""
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("each sample needs at least one value")
    ranks, ties = _ranks(list(x) + list(y))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    if not ties and max(n1, n2) <= EXACT_LIMIT:
        total = math.comb(n1 + n2, n1)
        k = int(round(min(u1, n1 * n2 - u1)))  # the lower tail, by symmetry
        tail = sum(_arrangements(n1, n2, u) for u in range(k + 1)) / total
        return u1, min(1.0, 2 * tail)
    n = n1 + n2
    tie_term = sum(t ** 3 - t for t in ties) / (n * (n - 1))
    variance = n1 * n2 / 12 * ((n + 1) - tie_term)
    if variance <= 0:  # every value equal: no evidence of any difference
        return u1, 1.0
    z = (abs(u1 - mean) - 0.5) / math.sqrt(variance)
    return u1, min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided p-value samples of these sizes can give: below 0.05 only from
    4 against 4 (2/70); 3 against 3 can never reach it (2/20)."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))
