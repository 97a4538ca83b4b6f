"""The election projection's tables and answers, from the results of one run.

Three workloads (harness/workloads/election/):
  election/kernel    one kernel alone, simulations per second (sims_per_s);
  election/ui        a 60 Hz UI loop that shows a projection after every edit, the projection
                     computed inline (placement:inline) or by a worker over a transport;
  election/parallel  one projection in batches over W workers sharing a work queue, beside
                     the same batches over W threads with no queue (transport:none).

A view: imports formatting.py, runfile.py and tabular.py; tables.py, sampling.py, summary.py,
the report's page and its election figures build on it.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from formatting import fmt3, fmt_rate, fmt_us
from runfile import PLACEMENT_ORDER, Result
from tabular import Table, results_table, with_spread

KERNEL, UI, PARALLEL = "election/kernel", "election/ui", "election/parallel"
UI_FANOUT = "election/ui-fanout"  # the UI loop with each edit's projection split over W workers
UI_LOOPS = (UI, UI_FANOUT)
WORKLOADS = (KERNEL, UI, UI_FANOUT, PARALLEL)
FRAME_S = 1 / 60  # the UI loop's 16.7 ms frame
FRAME_NS = FRAME_S * 1e9
# The document's figure (../shared/seeds/000_*.txt): about 250 simulations inside the UI
# thread before the interface suffered (CPython, 2008).
DOC_INLINE_SIMS = 250
LARGEST_BATCH = 100_000_000  # the batch the summary asks every variant about
COMPUTE_ONLY = "none"  # the transport segment of the compute-only and inline rows
WITHIN = 0.95  # "communication costs less than 5 %": a rate of at least 95 % of compute-only
KERNEL_ORDER = ("textbook", "scalar", "simd")


def is_election(workload: str) -> bool:
    return workload in WORKLOADS


def _ok(results, workload, needed) -> List[Result]:
    return [r for r in results if r.workload == workload and r.error is None and needed in r.values]


def _ms(ns: float) -> str:
    return fmt3(ns / 1e6)


def variant(r: Result) -> str:
    """How a UI loop or a parallel projection was placed: 'inline', 'socketpair fork', ..."""
    placement = str(r.fields.get("placement", "?"))
    transport = str(r.fields.get("transport", "?"))
    if placement == "inline":
        return "inline"
    if transport == COMPUTE_ONLY:
        return "compute only"
    if r.workload == UI_FANOUT:
        return f"{transport} {placement}, {r.fields.get('workers', '?')} workers"
    return f"{transport} {placement}"


# ---- tables ---------------------------------------------------------------------------

def _kernel_cell(r: Result):
    return with_spread(r, "sims_per_s", fmt_rate(r.values["sims_per_s"])) if "sims_per_s" in r.values else None


def missed_frames(r: Result) -> Tuple[float, float, int]:
    """(fewest, most) frames missed over the samples, and the frames of one sample."""
    xs = r.samples.get("frames_missed") or [r.values.get("frames_missed", 0.0)]
    return min(xs), max(xs), int(r.values.get("iterations", 0))


def _ui_cell(r: Result):
    v = r.values
    if "edit_p50_ns" not in v or "edit_p99_ns" not in v:
        return None
    text = with_spread(r, "edit_p99_ns", f"{_ms(v['edit_p50_ns'])}/{_ms(v['edit_p99_ns'])}", _ms)
    low, high, frames = missed_frames(r)
    if high:
        missed = f"{low:.0f}" if low == high else f"{low:.0f}-{high:.0f}"
        text += f" ({missed}/{frames} missed)"
    return text


def _ui_load_cell(r: Result):
    v = r.values
    if "projections_per_s" not in v or "leader_cpu_ns_per_iter" not in v:
        return None
    return f"{v['projections_per_s']:.1f}/s {fmt_us(v['leader_cpu_ns_per_iter'])}"


def _parallel_cell(r: Result):
    return _kernel_cell(r)


def order(results: List[Result]) -> List[Result]:
    """Inline and compute-only first, then transports by name, placements cheap to dear."""
    def rank(r):
        placement = r.fields.get("placement")
        return (r.fields.get("transport") != COMPUTE_ONLY, str(r.fields.get("transport", "")),
                PLACEMENT_ORDER.index(placement) if placement in PLACEMENT_ORDER else -1,
                r.fields.get("workers", 0),
                KERNEL_ORDER.index(r.fields.get("kernel")) if r.fields.get("kernel") in KERNEL_ORDER else 9)
    return sorted(results, key=rank)


def tables(results: List[Result]) -> List[Table]:
    out = []
    batch = dict(column="batch", label=lambda b: fmt_rate(b) if isinstance(b, int) else str(b))
    kernels = order([r for r in results if r.workload == KERNEL])
    if kernels:
        out.append(results_table("election/kernel: simulated elections per second, one core (median ±spread),"
                                 " by simulations per call", kernels, None, _kernel_cell, **batch))
    ui = order([r for r in results if r.workload in UI_LOOPS])
    if ui:
        out.append(results_table("election/ui: edit-to-projection p50/p99 ms (±spread of p99), frames missed of"
                                 " the run's frames when any, by simulations per edit; inline = inside the frame",
                                 ui, None, _ui_cell, **batch))
        out.append(results_table("election/ui: projections shown per second, and the UI thread's CPU us per"
                                 " frame (median)", ui, None, _ui_load_cell, **batch))
    par = order([r for r in results if r.workload == PARALLEL])
    if par:
        out.append(results_table("election/parallel: simulations per second, all workers together (median"
                                 " ±spread), by simulations per batch; transport none = the same batches over"
                                 " threads with no queue (compute only)", par, None, _parallel_cell, **batch))
    return out


# ---- the answers ----------------------------------------------------------------------

def inline_capacity(results: List[Result]) -> Optional[Tuple[float, Result]]:
    """(simulations that fit in one frame, the kernel result it comes from): the fastest
    kernel's median rate at its largest measured batch, times 16.7 ms."""
    # The suite's kernels (kernel:K/batch:N); the Python driver's pure-Python kernel has no batch.
    kernels = [r for r in _ok(results, KERNEL, "sims_per_s") if isinstance(r.fields.get("batch"), int)]
    if not kernels:
        return None
    largest = max(r.fields.get("batch", 0) for r in kernels)
    best = max((r for r in kernels if r.fields.get("batch", 0) == largest), key=lambda r: r.values["sims_per_s"])
    return best.values["sims_per_s"] * FRAME_S, best


def _ui_by_batch(results, place) -> Dict[int, Result]:
    return {r.fields["batch"]: r for r in _ok(results, UI, "edit_p99_ns")
            if place(r) and isinstance(r.fields.get("batch"), int)}


def answer_lines(results: List[Result]) -> List[str]:
    """The issue's questions, answered from this run's numbers."""
    lines = []
    cap = inline_capacity(results)
    if cap is None:
        lines.append(f"simulations that fit in one 16.7 ms frame: not measured in this run (no {KERNEL})")
    else:
        n, r = cap
        lines.append(f"simulations that fit in one 16.7 ms frame here: about {fmt_rate(n)} (kernel:"
                     f"{r.fields.get('kernel')} at {fmt_rate(r.values['sims_per_s'])} simulations/s x 16.7 ms,"
                     f" one core), {n / DOC_INLINE_SIMS:,.0f}x the documents' figure of {DOC_INLINE_SIMS} (CPython, 2008)")
        slow = [k for k in _ok(results, KERNEL, "sims_per_s") if k.fields.get("batch") == r.fields.get("batch")
                and k.fields.get("kernel") in KERNEL_ORDER]
        if len(slow) > 1:
            lines.append("kernels at that batch: " + ", ".join(
                f"{k.fields.get('kernel')} {fmt_rate(k.values['sims_per_s'])}/s" for k in order(slow))
                + f" (the fast kernel is {r.values['sims_per_s'] / min(k.values['sims_per_s'] for k in slow):.0f}x"
                " the textbook one)")
    inline = _ui_by_batch(results, lambda r: r.fields.get("placement") == "inline")
    if inline:
        on_time = [b for b, r in sorted(inline.items()) if missed_frames(r)[1] == 0]
        late = [b for b, r in sorted(inline.items()) if missed_frames(r)[1] > 0]
        text = "the UI loop computing inline: "
        if on_time:
            r = inline[on_time[-1]]
            text += (f"largest batch with no missed frame {fmt_rate(on_time[-1])} simulations per edit (edit"
                     f" p99 {_ms(r.values['edit_p99_ns'])} ms)")
        else:
            text += "every measured batch missed frames"
        if late:
            r = inline[late[0]]
            low, high, frames = missed_frames(r)
            text += (f"; from {fmt_rate(late[0])} it misses frames ({high:.0f} of {frames},"
                     f" edit p99 {_ms(r.values['edit_p99_ns'])} ms)")
        lines.append(text)
    at_largest = [r for w in UI_LOOPS for r in _ok(results, w, "edit_p99_ns") if r.fields.get("batch") == LARGEST_BATCH]
    if not at_largest:
        lines.append(f"at {fmt_rate(LARGEST_BATCH)} simulations per edit: not measured in this run")
    else:
        kept = sorted((r for r in at_largest if missed_frames(r)[1] == 0), key=lambda r: r.values["edit_p99_ns"])
        missed = order([r for r in at_largest if missed_frames(r)[1] > 0])
        if kept:
            fastest = min(kept, key=lambda r: r.values["edit_p50_ns"])
            lines.append(f"fastest at {fmt_rate(LARGEST_BATCH)} simulations per edit that keeps every frame:"
                         f" {variant(fastest)}, edit-to-projection p50 {_ms(fastest.values['edit_p50_ns'])} ms")
            lines.append(f"at {fmt_rate(LARGEST_BATCH)} simulations per edit, every frame on time in every sample"
                         f" ({len(kept)} of {len(at_largest)} variants), edit-to-projection p50/p99 ms: "
                         + ", ".join(f"{variant(r)} {_ms(r.values['edit_p50_ns'])}/{_ms(r.values['edit_p99_ns'])}"
                                     for r in kept))
        else:
            lines.append(f"at {fmt_rate(LARGEST_BATCH)} simulations per edit no variant kept every frame on time")
        if missed:
            lines.append("frames missed at that batch: " + ", ".join(
                f"{variant(r)} {missed_frames(r)[1]:.0f} of {missed_frames(r)[2]}" for r in missed))
    lines += parallel_lines(results)
    return lines


def compute_only(results: List[Result]) -> Dict[Tuple[int, int], Result]:
    """{(workers, batch): compute-only result}."""
    return {(r.fields.get("workers"), r.fields.get("batch")): r for r in _ok(results, PARALLEL, "sims_per_s")
            if r.fields.get("transport") == COMPUTE_ONLY}


def smallest_batch_within(results: List[Result]):
    """[(transport, placement, workers, smallest batch or None, its ratio, largest ratio seen)]: the
    smallest batch whose median rate is at least 95 % of the compute-only median at the same
    workers and batch."""
    base = compute_only(results)
    rows: Dict[tuple, List[Tuple[int, float]]] = {}
    for r in _ok(results, PARALLEL, "sims_per_s"):
        key = (r.fields.get("transport"), r.fields.get("placement"), r.fields.get("workers"))
        b = base.get((key[2], r.fields.get("batch")))
        if key[0] != COMPUTE_ONLY and b is not None and b.values["sims_per_s"] > 0:
            rows.setdefault(key, []).append((r.fields.get("batch"), r.values["sims_per_s"] / b.values["sims_per_s"]))
    out = []
    for key, points in rows.items():
        points.sort()
        hit = next(((batch, ratio) for batch, ratio in points if ratio >= WITHIN), (None, None))
        out.append((*key, hit[0], hit[1], max(p[1] for p in points), max(p[0] for p in points)))
    by_transport = lambda row: (str(row[0]), PLACEMENT_ORDER.index(row[1]) if row[1] in PLACEMENT_ORDER else 9, row[2])  # noqa: E731
    return sorted(out, key=by_transport)


def parallel_lines(results: List[Result]) -> List[str]:
    rows = smallest_batch_within(results)
    if not rows:
        return [f"{PARALLEL}: not measured beside its compute-only rate in this run"]
    lines = []
    for transport, placement, workers, batch, ratio, best, largest in rows:
        head = f"{PARALLEL} {transport} {placement} {workers} worker{'s' if workers != 1 else ''}: "
        if batch is None:
            lines.append(head + f"no batch up to {fmt_rate(largest)} within 5% of compute only"
                         f" (best {best:.0%} of it)")
        else:
            lines.append(head + f"smallest batch within 5% of compute only: {fmt_rate(batch)} simulations"
                         f" ({ratio:.0%} of it)")
    return lines
