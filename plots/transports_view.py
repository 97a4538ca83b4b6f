"""The transports of one run side by side: for each workload and message size, every
transport ranked, its figure between threads, forked and spawned processes, and the
process/thread ratio; the same ratio as a heatmap (transport by size).

A view: imports formatting.py, runfile.py and tabular.py; transports.py prints its tables and
the report draws its heatmap.
"""

from typing import Dict, List, Optional

from formatting import bytes_text, fmt_size
from runfile import Result
from tabular import Table, stream_cell, with_spread

PLACEMENTS = ("thread", "fork", "spawn")
# workload: (figure, how it reads, higher is better)
VIEWS = {
    "stream": ("items_per_second", "messages/s", True),
    "pingpong": ("rtt_p50_ns", "round trip p50 (p99)", False),
}


def cells_of(results: List[Result], workload: str, wait: str, sizes: Optional[List[int]]):
    """{size: {transport: {placement: Result}}} of the successful results."""
    out: Dict[int, Dict[str, Dict[str, Result]]] = {}
    for r in results:
        f = r.fields
        if (r.error is None and r.workload == workload and f.get("wait") == wait and isinstance(r.size, int)
                and (sizes is None or r.size in sizes)):
            out.setdefault(r.size, {}).setdefault(transport_label(r), {})[f.get("placement")] = r
    return out


def transport_label(r: Result) -> str:
    """The transport, with its depth for a queue measured at several (queue-boost depth:3)."""
    depth = r.fields.get("depth")
    return str(r.fields.get("transport")) + (f" depth:{depth}" if depth is not None else "")


def ratio(by_placement: Dict[str, Result], key: str) -> Optional[float]:
    """fork over thread (spawn when there is no fork): what the process placement gives for
    each unit the thread placement gives. Throughput: below 1, processes are slower; a
    latency: above 1, processes are slower."""
    thread = by_placement.get("thread")
    process = by_placement.get("fork") or by_placement.get("spawn")
    if not thread or not process or key not in thread.values or key not in process.values:
        return None
    return process.values[key] / thread.values[key] if thread.values[key] else None


def beyond_spread(by_placement: Dict[str, Result], key: str) -> bool:
    """True when every process sample lies beyond every thread sample (on either side): a
    difference the samples cannot explain as noise."""
    thread = by_placement.get("thread")
    process = by_placement.get("fork") or by_placement.get("spawn")
    if not thread or not process:
        return False
    a, b = thread.samples.get(key, []), process.samples.get(key, [])
    if len(a) < 2 or len(b) < 2:
        return False
    return max(b) < min(a) or min(b) > max(a)


def ratio_text(by_placement: Dict[str, Result], key: str) -> str:
    r = ratio(by_placement, key)
    if r is None:
        return "-"
    return f"{r:.2f}" + ("*" if beyond_spread(by_placement, key) else "")


def rank_key(by_placement: Dict[str, Result], key: str, higher_better: bool) -> float:
    """The best process figure (fork or spawn), else the thread one: processes are the
    question this view answers."""
    values = [by_placement[p].values[key] for p in ("fork", "spawn") if p in by_placement and key in by_placement[p].values]
    if not values and "thread" in by_placement and key in by_placement["thread"].values:
        values = [by_placement["thread"].values[key]]
    if not values:
        return float("inf")
    best = max(values) if higher_better else min(values)
    return -best if higher_better else best


def cell(res: Optional[Result], workload: str) -> str:
    if res is None:
        return "-"
    if workload == "pingpong":
        v = res.values
        return with_spread(res, "rtt_p50_ns", f"{v['rtt_p50_ns'] / 1e3:.1f} us ({v['rtt_p99_ns'] / 1e3:.0f})",
                              lambda ns: f"{ns / 1e3:.1f} us")
    return stream_cell(res) or "-"


def tables(results: List[Result], wait: str, sizes: Optional[List[int]]) -> List[Table]:
    out = []
    for workload, (key, reads, higher) in VIEWS.items():
        for size, by_transport in sorted(cells_of(results, workload, wait, sizes).items()):
            ranked = sorted(by_transport.items(), key=lambda kv: rank_key(kv[1], key, higher))
            rows = []
            for rank, (transport, by_placement) in enumerate(ranked, 1):
                rows.append([str(rank), transport] + [cell(by_placement.get(p), workload) for p in PLACEMENTS]
                            + [ratio_text(by_placement, key)])
            title = (f"{workload} {bytes_text(size)}, wait:{wait}: {reads}, ranked by the best process figure;"
                     f" process/thread = fork (else spawn) over thread, * when every process sample lies"
                     f" beyond every thread sample")
            out.append(Table(title, ["#", "transport", *PLACEMENTS, "process/thread"], rows, 2))
    return out


def heatmap_data(results: List[Result], wait: str = "block"):
    """Stream throughput, process over thread, transport x size."""
    cells = cells_of(results, "stream", wait, None)
    sizes = sorted(cells)
    transports = sorted({t for by_t in cells.values() for t, by_p in by_t.items()
                         if ratio(by_p, "items_per_second") is not None})
    grid = [[ratio(cells[s].get(t, {}), "items_per_second") for s in sizes] for t in transports]
    marks = [[beyond_spread(cells[s].get(t, {}), "items_per_second") for s in sizes] for t in transports]
    return transports, sizes, grid, marks


def draw_heatmap(results: List[Result], path: str, wait: str = "block") -> bool:
    transports, sizes, grid, marks = heatmap_data(results, wait)
    if not transports:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    values = np.array([[float("nan") if v is None else v for v in row] for row in grid])
    fig, ax = plt.subplots(figsize=(1.1 * len(sizes) + 3, 0.45 * len(transports) + 1.8))
    # A log scale centred on 1: as slow as a thread is white, slower red, faster blue.
    norm = matplotlib.colors.LogNorm(vmin=0.25, vmax=4)
    image = ax.imshow(np.clip(values, 0.25, 4), cmap="RdBu", norm=norm, aspect="auto")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            text = "-" if v is None else f"{v:.2f}" + ("*" if marks[i][j] else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([fmt_size(s) for s in sizes])
    ax.set_yticks(range(len(transports)))
    ax.set_yticklabels(transports)
    ax.set_xlabel("message size, bytes")
    ax.set_title(f"stream throughput, process (fork) / thread, wait:{wait}\nbelow 1 (red): a process is slower;"
                 " *: every process sample beyond every thread sample", fontsize=10)
    fig.colorbar(image, ax=ax, ticks=[0.25, 0.5, 1, 2, 4], format="%g")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
