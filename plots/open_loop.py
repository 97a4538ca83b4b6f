"""The open loop (the rate workload): latency against offered load, and each curve's knee.

A curve is one transport, placement, message size and wait measured at several offered rates
(its rate: segment), each with its latency percentiles from the intended send time and
whether the rate was sustained. Its rate:max point offers the link's closed-loop maximum,
measured in the run just before (a stream of the same link; its offered_per_s counter). Its knee is the highest offered rate up to which, rate by
rate from the lowest, every rate was sustained and kept its p99 within KNEE_FACTOR times the
p99 at the lowest fixed rate: where queueing starts to show. Imports formatting.py, runfile.py and
tabular.py; summary.py renders the knee table, report.py draws the figure.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from formatting import bytes_text, fmt_rate, fmt_us
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
    at_max: bool = False  # the rate:max point: the link's closed-loop maximum


Key = Tuple[str, str, object, str]  # transport, placement, size, wait


def curves(best: List[Result]) -> Dict[Key, List[Point]]:
    """{(transport, placement, size, wait): its points by rising offered rate}, of every rate
    result that ran and has its figures."""
    out: Dict[Key, List[Point]] = {}
    for r in best:
        v = r.values
        rate = r.fields.get("rate")
        at_max = rate == "max"
        if at_max:
            rate = int(round(v.get("offered_per_s", 0.0)))
        if r.workload != WORKLOAD or r.error or "latency_p99_ns" not in v or not isinstance(rate, int) or rate <= 0:
            continue
        key = (str(r.fields.get("transport")), str(r.fields.get("placement")), r.fields.get("size"),
               str(r.fields.get("wait")))
        out.setdefault(key, []).append(Point(
            rate=rate, p50_ns=v.get("latency_p50_ns", 0.0), p99_ns=v["latency_p99_ns"],
            p999_ns=v.get("latency_p999_ns", v["latency_p99_ns"]), achieved=v.get("achieved_per_s", 0.0),
            sustained=v.get("sustained", 0.0) > SUSTAINED, at_max=at_max))
    for points in out.values():
        points.sort(key=lambda p: p.rate)
    return out


def knee(points: List[Point]) -> Optional[Point]:
    """The highest rate, climbing from the lowest, before the first one that was not sustained
    or whose p99 passed KNEE_FACTOR times the low-load p99 (the lowest fixed rate's); None when
    even the lowest rate broke."""
    if not points:
        return None
    limit = KNEE_FACTOR * low_load(points).p99_ns
    found = None
    for p in points:
        if not p.sustained or p.p99_ns > limit:
            break
        found = p
    return found


def low_load(points: List[Point]) -> Point:
    """The curve's low-load point: its lowest fixed rate (a closed-loop maximum below it, on a
    slow link, is no low load)."""
    fixed = [p for p in points if not p.at_max]
    return fixed[0] if fixed else points[0]


def past_knee(points: List[Point], at: Optional[Point]) -> str:
    """Why the curve stops at its knee: the next rate and what it broke."""
    nxt = [p for p in points if at is None or p.rate > at.rate]
    if not nxt:
        return "every rate measured held"
    return _held(nxt[0])


def _rate_text(p: Point) -> str:
    return f"{fmt_rate(p.rate)}/s" + (" (closed-loop max)" if p.at_max else "")


def _held(p: Point) -> str:
    if not p.sustained:
        return f"{_rate_text(p)} not sustained (achieved {fmt_rate(p.achieved)}/s)"
    return f"{_rate_text(p)}: p99 {fmt_us(p.p99_ns)} us"


def at_max_text(points: List[Point]) -> str:
    """The curve's closed-loop maximum point: its rate, p99, and whether it held."""
    top = [p for p in points if p.at_max]
    if not top:
        return "-"
    p = top[0]
    held = "sustained" if p.sustained else f"not sustained, achieved {fmt_rate(p.achieved)}/s"
    return f"{fmt_rate(p.rate)}/s: p99 {fmt_us(p.p99_ns)} us ({held})"


def knee_table(best: List[Result]) -> Optional[Table]:
    """One row a curve: its low-load p99, the knee, the p99 there, and what the next rate broke."""
    found = curves(best)
    if not found:
        return None
    rows = []
    for (transport, placement, size, wait), points in sorted(found.items(), key=lambda kv: _order(kv[0])):
        at = knee(points)
        rows.append([transport, placement, bytes_text(size) if isinstance(size, int) else str(size), wait,
                     f"{fmt_rate(low_load(points).rate)}/s: {fmt_us(low_load(points).p99_ns)} us",
                     _rate_text(at) if at else "none",
                     f"{fmt_us(at.p99_ns)} us" if at else "-",
                     past_knee(points, at), at_max_text(points)])
    header = ["transport", "placement", "size", "wait", "low-load p99", "knee", "p99 at knee", "past the knee",
              "at the closed-loop max"]
    title = (f"rate: latency under offered load (open loop, from the intended send time); knee = the highest "
             f"rate that is sustained with p99 within {KNEE_FACTOR:g}x the low load's (the lowest fixed rate)")
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
        for p in points:
            if p.at_max:
                ax.plot([p.rate], [p.p99_ns / 1e3], marker="s", ms=9, mfc="none", mec=colour, mew=1.5)
    for i, size in enumerate(sizes):
        for j, placement in enumerate(places):
            ax = axes[i][j]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"{placement}, {bytes_text(size) if isinstance(size, int) else size}", fontsize=10)
            ax.set_xlabel("offered rate (messages/s)")
            ax.set_ylabel("latency from intended send (us)")
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("rate: latency against offered load (p99 solid, p50 faint; ring: the knee, the highest rate "
                 f"sustained with p99 within {KNEE_FACTOR:g}x the lowest fixed rate's;\nsquare: the link's closed-loop "
                 "maximum, measured in the run and offered)", fontsize=10)
    fig.tight_layout()
    return fig
