"""The open loop (the rate workload): latency against offered load, and each curve's knee.

A curve is one transport, placement, message size and wait measured at several offered rates
(its rate: segment), each with its latency percentiles from the intended send time and
whether the rate was sustained. Its knee is the highest offered rate up to which, rate by
rate from the lowest, every rate was sustained and kept its p99 within KNEE_FACTOR times the
p99 at the lowest rate: where queueing starts to show. Imports formatting.py, runfile.py and
tabular.py; summary.py renders the knee table, report.py draws the figure.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from formatting import fmt_rate, fmt_size, fmt_us
from runfile import Result
from tabular import Table

WORKLOAD = "rate"
KNEE_FACTOR = 2.0
SUSTAINED = 0.5  # the median of the samples' 0/1 "sustained" counter: most samples kept up


@dataclass
class Point:
    rate: int  # offered, messages/s
    p50_ns: float
    p99_ns: float
    p999_ns: float
    achieved: float
    sustained: bool


Key = Tuple[str, str, object, str]  # transport, placement, size, wait


def curves(best: List[Result]) -> Dict[Key, List[Point]]:
    """{(transport, placement, size, wait): its points by rising offered rate}, of every rate
    result that ran and has its figures."""
    out: Dict[Key, List[Point]] = {}
    for r in best:
        v = r.values
        if r.workload != WORKLOAD or r.error or "latency_p99_ns" not in v or not isinstance(r.fields.get("rate"), int):
            continue
        key = (str(r.fields.get("transport")), str(r.fields.get("placement")), r.fields.get("size"),
               str(r.fields.get("wait")))
        out.setdefault(key, []).append(Point(
            rate=r.fields["rate"], p50_ns=v.get("latency_p50_ns", 0.0), p99_ns=v["latency_p99_ns"],
            p999_ns=v.get("latency_p999_ns", v["latency_p99_ns"]), achieved=v.get("achieved_per_s", 0.0),
            sustained=v.get("sustained", 0.0) > SUSTAINED))
    for points in out.values():
        points.sort(key=lambda p: p.rate)
    return out


def knee(points: List[Point]) -> Optional[Point]:
    """The highest rate, climbing from the lowest, before the first one that was not sustained
    or whose p99 passed KNEE_FACTOR times the lowest rate's; None when even the lowest rate was
    not sustained."""
    if not points or not points[0].sustained:
        return None
    limit = KNEE_FACTOR * points[0].p99_ns
    found = points[0]
    for p in points[1:]:
        if not p.sustained or p.p99_ns > limit:
            break
        found = p
    return found


def past_knee(points: List[Point], at: Optional[Point]) -> str:
    """Why the curve stops at its knee: the next rate and what it broke."""
    nxt = [p for p in points if at is None or p.rate > at.rate]
    if not nxt:
        return "every rate measured held"
    p = nxt[0]
    if not p.sustained:
        return f"{fmt_rate(p.rate)}/s not sustained (achieved {fmt_rate(p.achieved)}/s)"
    return f"{fmt_rate(p.rate)}/s: p99 {fmt_us(p.p99_ns)} us"


def knee_table(best: List[Result]) -> Optional[Table]:
    """One row a curve: its low-load p99, the knee, the p99 there, and what the next rate broke."""
    found = curves(best)
    if not found:
        return None
    rows = []
    for (transport, placement, size, wait), points in sorted(found.items(), key=lambda kv: _order(kv[0])):
        at = knee(points)
        rows.append([transport, placement, fmt_size(size) if isinstance(size, int) else str(size), wait,
                     f"{fmt_rate(points[0].rate)}/s: {fmt_us(points[0].p99_ns)} us",
                     f"{fmt_rate(at.rate)}/s" if at else "none",
                     f"{fmt_us(at.p99_ns)} us" if at else "-",
                     past_knee(points, at)])
    header = ["transport", "placement", "size", "wait", "low-load p99", "knee", "p99 at knee", "past the knee"]
    title = (f"rate: latency under offered load (open loop, from the intended send time); knee = the highest "
             f"rate that is sustained with p99 within {KNEE_FACTOR:g}x the lowest rate's")
    return Table(title, header, rows, 4)


def _order(key: Key):
    transport, placement, size, wait = key
    places = ("thread", "fork", "spawn")
    return (size if isinstance(size, int) else 0, wait, transport,
            places.index(placement) if placement in places else len(places))


def latency_load_figure(plt, best: List[Result]):
    """p50 and p99 against offered load, log-log: a panel per size (rows) and placement
    (columns), a colour per transport, the knee ringed; None without rate results."""
    found = curves(best)
    if not found:
        return None
    sizes = sorted({k[2] for k in found}, key=lambda s: s if isinstance(s, int) else 0)
    places = [p for p in ("thread", "fork", "spawn") if any(k[1] == p for k in found)]
    transports = sorted({k[0] for k in found})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(len(sizes), len(places), figsize=(5.2 * len(places), 3.9 * len(sizes)),
                             squeeze=False, sharex=True)
    for (transport, placement, size, wait), points in found.items():
        ax = axes[sizes.index(size)][places.index(placement)]
        colour = colours[transports.index(transport) % len(colours)]
        dash = "-" if wait == "block" else ":"
        xs = [p.rate for p in points]
        ax.plot(xs, [p.p99_ns / 1e3 for p in points], color=colour, ls=dash, marker="o", ms=4,
                label=f"{transport} p99" + ("" if wait == "block" else f" ({wait})"))
        ax.plot(xs, [p.p50_ns / 1e3 for p in points], color=colour, ls=dash, alpha=0.45, marker=".", ms=3)
        at = knee(points)
        if at is not None:
            ax.plot([at.rate], [at.p99_ns / 1e3], marker="o", ms=11, mfc="none", mec=colour, mew=1.5)
    for i, size in enumerate(sizes):
        for j, placement in enumerate(places):
            ax = axes[i][j]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"{placement}, {fmt_size(size) if isinstance(size, int) else size}", fontsize=10)
            ax.set_xlabel("offered rate (messages/s)")
            ax.set_ylabel("latency from intended send (us)")
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("rate: latency against offered load (p99 solid, p50 faint; ring: the knee, the highest rate "
                 f"sustained with p99 within {KNEE_FACTOR:g}x the lowest rate's)", fontsize=10)
    fig.tight_layout()
    return fig
