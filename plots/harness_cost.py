"""Harness cost: each suite figure beside its raw floor, in one run.

A raw floor (bench/floors.hpp) is the same mechanism in a loop written out by hand, with none
of the suite's code: floor/<the suite figure's name>. The cost of a figure is the floor's rate
over the suite's (the suite's time per message or round trip over the floor's): 1.00 means the
suite adds nothing measurable; above FLAG_HIGH (or below FLAG_LOW, the suite beating the raw
loop) the pair is flagged, and the README explains each flag that remains.

Standard library only; it reads the summary's Result objects (name, workload, values,
spread()) and imports nothing of the other report scripts.
"""

from dataclasses import dataclass
from typing import List, Optional

FLOOR_PREFIX = "floor/"
FLAG_HIGH = 1.5
FLAG_LOW = 1 / 1.5  # 0.67: the suite faster than the raw loop by as much
RATE = "items_per_second"


@dataclass
class Pair:
    suite: object  # summarize.Result
    floor: object
    ratio: Optional[float]  # floor rate / suite rate; None when either is bimodal or missing
    note: str  # "", "bimodal" or why there is no ratio

    @property
    def flagged(self) -> bool:
        return self.ratio is not None and not FLAG_LOW <= self.ratio <= FLAG_HIGH

    @property
    def beyond_spread(self) -> bool:
        """Flagged, and every sample of one side beyond every sample of the other: a cost
        the noise cannot explain. A flag whose samples overlap may be noise (the samples here
        often spread by 20-60 %): more samples (--until-stable) tell."""
        if not self.flagged:
            return False
        suite, floor = self.suite.samples.get(RATE, []), self.floor.samples.get(RATE, [])
        if not suite or not floor:
            return False
        return min(floor) > max(suite) if self.ratio > 1 else max(floor) < min(suite)


def _suite_name(floor_name: str) -> str:
    return floor_name[len(FLOOR_PREFIX):]


def pairs(results: List[object]) -> List[Pair]:
    """Every floor with the suite figure it pairs with, in the order the floors appear."""
    by_name = {r.name: r for r in results}
    found = []
    for floor in results:
        if not floor.name.startswith(FLOOR_PREFIX):
            continue
        suite = by_name.get(_suite_name(floor.name))
        if suite is None:
            continue
        found.append(_pair(suite, floor))
    return found


def _pair(suite, floor) -> Pair:
    if suite.error or floor.error:
        return Pair(suite, floor, None, "failed")
    if RATE not in suite.values or RATE not in floor.values:
        return Pair(suite, floor, None, "no rate")
    bimodal = [sp for sp in (suite.spread(RATE), floor.spread(RATE)) if sp is not None and sp.bimodal]
    if bimodal:
        # A ratio of medians across two clusters would describe neither: the clusters are shown.
        return Pair(suite, floor, None, "bimodal")
    return Pair(suite, floor, floor.values[RATE] / suite.values[RATE], "")


def flagged(results: List[object]) -> List[Pair]:
    return [p for p in pairs(results) if p.flagged]
