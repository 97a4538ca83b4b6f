#!/usr/bin/env python3
"""Stable until it is stable: which throughput figures of a run are not yet (CV above 5 %,
or bimodal), and the run with those figures replaced by a longer re-run of them.

    stability.py unstable RUN.json [N]        # prints a --benchmark_filter for them, the N least
                                              # stable at most (bimodal first, then by CV), or nothing
    stability.py replace RUN.json EXTRA.json  # RUN.json gets EXTRA's samples of the figures it re-ran
    stability.py count RUN.json               # "A of B": figures with CV <= 5 % of those not bimodal

scripts/run-suite.sh --until-stable uses it: after the first pass it re-runs only the
unstable figures, with longer and more samples, and replaces theirs, round after round until
none is left or the time budget is spent. Longer samples lower the spread that averages out
within a sample (a wake-up here and there); a figure that is bimodal because the host moved
the vCPUs may stay bimodal, and is then shown as its two clusters. The figures' CV before and
after goes into the run's context (ipcmeter_stable_before, ipcmeter_stable_after), which the
summary reports. Standard library only.
"""

# An entry point with its logic in one file (nothing else in plots/ uses it); the spread
# target and the figures it is about are sampling.py's, so the summary and this agree.

import json
import os
import sys
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402
from runfile import write_run  # noqa: E402
from sampling import CV_TARGET, THROUGHPUT_WORKLOADS  # noqa: E402

THROUGHPUT_PREFIXES = tuple(w + "/" for w in THROUGHPUT_WORKLOADS)
RATE = "items_per_second"


def _samples(data: dict) -> Dict[str, List[float]]:
    """Each throughput figure's rates, one per repetition, by run name."""
    found: Dict[str, List[float]] = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or b.get("error_occurred"):
            continue
        name = b.get("run_name") or b["name"]
        if name.startswith(THROUGHPUT_PREFIXES) and RATE in b:
            found.setdefault(name, []).append(float(b[RATE]))
    return found


def unstable(data: dict, at_most: Optional[int] = None) -> List[str]:
    """The throughput figures with two or more samples whose CV is above target, or bimodal;
    with `at_most`, only that many of the least stable (bimodal first, then the highest CV), so
    that a round re-runs what fits its time."""
    found = []
    for name, xs in _samples(data).items():
        if len(xs) < 2:
            continue
        sp = stats.spread(xs)
        if sp.bimodal or (sp.cv is not None and sp.cv > CV_TARGET):
            found.append((not sp.bimodal, -(sp.cv or 0.0), name))
    found.sort()
    if at_most is not None:
        found = found[:max(0, at_most)]
    return sorted(name for _, _, name in found)


def count(data: dict) -> str:
    """'A of B': of the B throughput figures that are not bimodal, A have CV <= target;
    plus how many are bimodal."""
    spreads = [stats.spread(xs) for xs in _samples(data).values() if len(xs) >= 2]
    unimodal = [sp for sp in spreads if not sp.bimodal]
    within = sum(1 for sp in unimodal if sp.cv is not None and sp.cv <= CV_TARGET)
    return f"{within} of {len(unimodal)} (bimodal: {len(spreads) - len(unimodal)})"


# Google Benchmark compiles its filter as a POSIX extended regular expression, which has no
# escapes beyond its own metacharacters: Python's re.escape (which escapes '-') is refused.
ERE_SPECIAL = set(".[]()*+?{}|^$\\")


def benchmark_filter(names: List[str]) -> str:
    escape = lambda name: "".join("\\" + c if c in ERE_SPECIAL else c for c in name)  # noqa: E731
    return "^(" + "|".join(escape(n) for n in names) + ")$"


def replace(base: dict, extra: dict) -> dict:
    """`base` with every entry of the figures `extra` re-ran replaced by `extra`'s."""
    rerun = {b.get("run_name") or b["name"] for b in extra.get("benchmarks", [])}
    kept = [b for b in base["benchmarks"] if (b.get("run_name") or b["name"]) not in rerun]
    merged = dict(base)
    merged["benchmarks"] = kept + list(extra.get("benchmarks", []))
    return merged


def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) in (2, 3) and args[0] == "unstable":
            names = unstable(_load(args[1]), int(args[2]) if len(args) == 3 else None)
            if names:
                print(benchmark_filter(names))
            return 0
        if len(args) == 2 and args[0] == "count":
            print(count(_load(args[1])))
            return 0
        if len(args) == 3 and args[0] == "replace":
            base = _load(args[1])
            merged = replace(base, _load(args[2]))
            context = merged.setdefault("context", {})
            context.setdefault("ipcmeter_stable_before", count(base))
            context["ipcmeter_stable_after"] = count(merged)
            write_run(args[1], merged)
            return 0
    except (OSError, json.JSONDecodeError, KeyError, ValueError) as e:
        print(f"stability.py: {e}", file=sys.stderr)
        return 2
    print("stability.py: usage: stability.py unstable RUN [N] | count RUN | replace RUN EXTRA", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
