"""Harness cost: each suite figure beside its raw floor, in one run.

A raw floor (bench/floors.hpp) is the same mechanism in a loop written out by hand, with none
of the suite's code: floor/<the suite figure's name>. The cost of a figure is the floor's rate
over the suite's (the suite's time per message or round trip over the floor's): 1.00 means the
suite adds nothing measurable; above FLAG_HIGH (or below FLAG_LOW, the suite beating the raw
loop) the pair is flagged, and docs/measurement.md explains each flag that remains.

A view: imports formatting.py, runfile.py and tabular.py; tables.py (which leaves the floors
out of its tables), the summary, the report's page and its figure build on it.
"""

from dataclasses import dataclass
from typing import List, Optional

from formatting import fmt_size
from runfile import Result
from tabular import Table, stream_cell

FLOOR_PREFIX = "floor/"
FLAG_HIGH = 1.5
FLAG_LOW = 1 / 1.5  # 0.67: the suite faster than the raw loop by as much
RATE = "items_per_second"


@dataclass
class Pair:
    suite: Result
    floor: Result
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


def pairs(results: List[Result]) -> List[Pair]:
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


def flagged(results: List[Result]) -> List[Pair]:
    return [p for p in pairs(results) if p.flagged]


def in_order(found: List[Pair]) -> List[Pair]:
    """The pairs by workload, transport, wait and size: the table's rows and the figure's bars."""
    return sorted(found, key=lambda p: (p.suite.workload, str(p.suite.fields.get("transport")),
                                        str(p.suite.fields.get("wait")), p.suite.size or 0))


def table(results: List[Result]) -> Optional[Table]:
    """Each suite figure of a one-peer stream or round trip beside its raw floor: the cost is
    the floor's rate over the suite's; flagged beyond its bounds."""
    found = pairs(results)
    if not found:
        return None
    rows = []
    for p in in_order(found):
        f = p.suite.fields
        if p.ratio is None:
            cost = p.note
        else:
            cost = f"{p.ratio:.2f}" + (" FLAG" if p.beyond_spread else " flag?" if p.flagged else "")
        cell = lambda r: stream_cell(r) if r.error is None else "FAIL"  # noqa: E731
        rows.append([p.suite.workload, str(f.get("transport")), str(f.get("wait")), fmt_size(p.suite.size),
                     str(f.get("depth", "-")), cell(p.suite), cell(p.floor), cost])
    title = (f"harness cost: the suite's rate beside its raw floor's (the same mechanism in a hand-written"
             f" loop, bench/floors.hpp), fork; cost = floor / suite, flagged beyond"
             f" {FLAG_HIGH:.2f} or below {FLAG_LOW:.2f}: FLAG when every sample of"
             f" one side lies beyond every sample of the other, flag? when they overlap (maybe noise)")
    header = ["workload", "transport", "wait", "size", "depth", "suite (per s)", "floor (per s)", "cost"]
    return Table(title, header, rows, 5)


def lines(results: List[Result]) -> List[str]:
    """How many figures were paired, flagged, bimodal; each flag by name."""
    found = pairs(results)
    if not found:
        return ["no raw floors in this run (they are measured at 64 B and 1 MiB, fork)"]
    flags = [p for p in found if p.flagged]
    beyond = [p for p in flags if p.beyond_spread]
    bimodal = [p for p in found if p.note == "bimodal"]
    out = [f"{len(found)} figures beside their raw floors: {len(flags)} flagged ({len(beyond)} beyond the"
           f" spread of their samples), {len(bimodal)} bimodal (clusters in the table above), the rest within"
           f" {FLAG_LOW:.2f}-{FLAG_HIGH:.2f}; docs/measurement.md explains each flag that holds"]
    out += [f"{'FLAG' if p.beyond_spread else 'flag?'} {p.suite.name}: cost {p.ratio:.2f}" for p in flags]
    return out
