"""How well this run's figures were sampled: the spread of each figure's samples, the
figures that split into two clusters, the machine's floors sampled through the run, the
samples that fell short of the sample floor, and what --until-stable did.

A view: imports stats.py, formatting.py, runfile.py and election.py (its figures are counted
once); summary.py, the report's page and figures, and stability.py build on it.
"""

from typing import List

import election
import stats
from formatting import fmt_ns, fmt_rate
from runfile import Result, baseline, canonical


SPREAD_NOTE = ("Every figure is the median of its samples (repetitions taken at random points of the run); "
               "±N%: every sample lies within N % of it; a|b bi: the samples split into two clusters "
               "(bimodal), shown apart and never averaged.")
# The machine's own floors, sampled through the run (bench/register.cpp, kFloorRepetitions).
FLOORS = (("cacheline", "cache-line round trip, vCPU to vCPU (spinning)"),
          ("pipe-raw", "blocking wake-up round trip (8 B pipe ping-pong)"))
CV_TARGET = 0.05
THROUGHPUT_WORKLOADS = ("stream", "fanin")


def floor_lines(results: List[Result]) -> List[str]:
    """Each floor's samples through the run: its median and range, and when it was bimodal,
    when the other cluster was seen (a host that moved the vCPUs mid-run)."""
    lines = []
    for tag, what in FLOORS:
        base = baseline(results, tag)
        xs = base.samples.get("real_time_ns", []) if base else []
        if len(xs) < 2:
            lines.append(f"{what}: not sampled in this run")
            continue
        sp = stats.spread(xs)
        line = (f"{what}: median {fmt_ns(sp.median)}, {sp.n} samples through the run,"
                f" {fmt_ns(sp.low)} to {fmt_ns(sp.high)}")
        if sp.bimodal:
            (lo, n_lo), (hi, n_hi) = sp.clusters
            times = base.samples.get("t_s", [])
            cut = (sp.clusters[0][0] * sp.clusters[1][0]) ** 0.5
            slow = [t for x, t in zip(xs, times) if x > cut] if len(times) == len(xs) else []
            when = f", the slower ones at {min(slow):.0f}-{max(slow):.0f} s into the run" if slow else ""
            line += (f"; BIMODAL: {n_lo} near {fmt_ns(lo)}, {n_hi} near {fmt_ns(hi)}{when}: the host moved"
                     " the vCPUs; figures bound by this floor may split the same way")
        lines.append(line)
    return lines


def bimodal_lines(results: List[Result]) -> List[str]:
    """Every figure whose samples split into clusters, with the clusters."""
    lines = []
    for res in canonical(results):
        for key, fmt in (("items_per_second", fmt_rate), ("rtt_p50_ns", fmt_ns), ("reply_p50_ns", fmt_ns),
                         ("sims_per_s", fmt_rate), ("edit_p99_ns", fmt_ns)):
            if key == "items_per_second" and election.is_election(res.workload):
                continue  # the same figure as its sims_per_s, or frames per second
            sp = res.spread(key) if res.error is None and res.workload != "baseline" else None
            if sp and sp.bimodal:
                clusters = " | ".join(f"{fmt(c)} ({k} sample{'s' if k > 1 else ''})" for c, k in sp.clusters)
                lines.append(f"{res.name} {key}: {clusters}")
    return lines


def spread_lines(results: List[Result], profile: str) -> List[str]:
    """How tightly the throughput figures repeat: the full profile's target is CV <= 5 % for
    every one that is not bimodal (a benchmark of the suite itself, never a test)."""
    figures = [(r, r.spread("items_per_second")) for r in results
               if r.error is None and r.workload in THROUGHPUT_WORKLOADS]
    figures = [(r, sp) for r, sp in figures if sp is not None and sp.cv is not None]
    if not figures:
        return ["throughput figures: fewer than two samples each, no spread to report"]
    unimodal = [(r, sp) for r, sp in figures if not sp.bimodal]
    within = [r for r, sp in unimodal if sp.cv <= CV_TARGET]
    widest = sorted(unimodal, key=lambda f: -f[1].cv)[:3]
    target = "the full profile's target" if profile != "full" else "target"
    counts = sorted({sp.n for _, sp in figures})
    each = str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    lines = [f"throughput figures (stream, fanin): {len(within)} of {len(unimodal)} not bimodal have"
             f" CV <= {CV_TARGET:.0%} ({target}: all of them; samples each: {each});"
             f" {len(figures) - len(unimodal)} bimodal"]
    lines += [f"widest: {r.name} CV {sp.cv:.0%}" for r, sp in widest]
    return lines


def until_stable_lines(context: dict) -> List[str]:
    """What scripts/run-suite.sh --until-stable did to the spread (plots/stability.py)."""
    before, after = context.get("ipcmeter_stable_before"), context.get("ipcmeter_stable_after")
    if not before:
        return []
    return [f"--until-stable re-ran the figures above CV {CV_TARGET:.0%} or bimodal: within"
            f" {CV_TARGET:.0%} before: {before}; after: {after}"]


def short_sample_lines(results: List[Result]) -> List[str]:
    """Figures with a sample that fell short of the sample floor (bench/sample.hpp): fewer
    iterations or less time than the floor, its pace having changed since the last run."""
    short = [r for r in results if r.error is None and any(v > 0 for v in r.samples.get("sample_short", []))]
    if not short:
        counted = sum(1 for r in results if r.samples.get("sample_short"))
        return [f"every sample of {counted} figures rested on at least its floor"
                " (100 messages or operations, or 50 round trips, and 20 ms)"]
    return [f"{len(short)} figures had a sample below the floor (100 messages or operations, or 50 round trips,"
            " and 20 ms):"] + [f"SHORT {r.name}: fewest {min(r.samples.get('sample_iterations', [0])):.0f}"
                               f" iterations, shortest {min(r.samples.get('sample_s', [0])) * 1e3:.1f} ms"
                               for r in short]
