#!/usr/bin/python3
"""Render an ipcmeter run as PNG plots and a self-contained HTML page (needs Debian's matplotlib)."""

import argparse
import base64
import html
import math
import os
import sys
import tempfile
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import answer  # noqa: E402
import check  # noqa: E402
import compare  # noqa: E402
import election  # noqa: E402
import harness_cost  # noqa: E402
import summarize as sm  # noqa: E402
import transports  # noqa: E402

PLACEMENT_KEY = "placement"
SERIES_KEY = "transport"
DEPTH_KEY = "depth"
MARKERS = "osD^v"
DICT_PNG = "dicts.png"
WAIT_NOTE = (
    "Pinning ({pinning}) and the wait strategy ({wait}) shape these numbers. A blocked peer must be "
    "woken by the kernel: on the 2-vCPU development VM, waking a blocked peer on the other core costs "
    "about 65-70 µs, which dominates blocking small-message round trips. Spinning avoids the wake-up "
    "by burning a core, so compare it with blocking only beside the CPU counters."
)


def fail(reason: str) -> int:
    print(f"report.py: {reason}", file=sys.stderr)
    return 2


def write_atomic(path: str, write) -> None:
    """Write via a hidden temp file in the same directory and rename, so no half-file survives."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix="." + os.path.basename(path) + ".")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would make the page unreadable to a web server
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# Each queue's own depth and the bytes a queue at its own depth holds at most, from the run's
# context (ipcmeter_queue_own_depths, "queue-boost=64 queue-mutex=3 ...; bytes=8388608"),
# set by main(); empty for a run that does not say.
OWN_DEPTHS = {}
OWN_DEPTH_BYTES = [0]


def read_own_depths(ctx: dict) -> None:
    text = str(ctx.get("ipcmeter_queue_own_depths", ""))
    depths, _, limit = text.partition(";")
    OWN_DEPTHS.clear()
    OWN_DEPTHS.update((k, int(v)) for k, v in (item.split("=") for item in depths.split()) if v.isdigit())
    OWN_DEPTH_BYTES[0] = int(limit.split("=")[1]) if "=" in limit else 0


def own_depth(transport: str, size) -> Optional[int]:
    """The depth a queue runs at when none is asked for, at this message size (bench/options.hpp)."""
    default = OWN_DEPTHS.get(transport)
    if default is None or not isinstance(size, int) or not OWN_DEPTH_BYTES[0]:
        return default
    return max(1, min(default, OWN_DEPTH_BYTES[0] // size))


def split_identity(res: sm.Result, column: str = sm.SIZE_KEY):
    """(series, panel): transport names a line; other keys such as wait: get their own panel row."""
    ident = res.identity(column)
    placement = str(ident.pop(PLACEMENT_KEY, "-"))
    series = str(ident.pop(SERIES_KEY, None) or ident.pop(sm.TAGS_COLUMN, "-"))
    # A queue at its own depth is the transport's line (its depth lower for large messages);
    # another depth is a line of its own (queue-boost depth:3), not a panel.
    if DEPTH_KEY in ident:
        depth = ident.pop(DEPTH_KEY)
        if depth != own_depth(series, res.fields.get(column)):
            series += f" depth:{depth}"
    facet = " ".join(f"{k}:{v}" for k, v in ident.items())
    return series, (facet, placement)


def collect_points(results, needed, place):
    """{(facet, column title): {series: [(x, values)]}} for the successful results with `needed` that
    place(r) puts on a plot as (x, series, panel), or None for results that belong elsewhere."""
    out = {}
    for r in results:
        spot = place(r) if r.error is None and needed in r.values else None
        if spot is not None:
            x, series, panel = spot
            values = dict(r.values)
            for key, xs in r.samples.items():  # the samples' range, for the error bars
                values[key + "__low"], values[key + "__high"] = min(xs), max(xs)
            out.setdefault(panel, {}).setdefault(series, []).append((x, values))
    # An x a series skipped (spin runs only some sizes) becomes a gap, not a line across it.
    xs = sorted({x for by_series in out.values() for pts in by_series.values() for x, _ in pts})
    for by_series in out.values():
        for label, pts in by_series.items():
            have = dict(pts)
            first, last = min(have), max(have)
            by_series[label] = [(x, have.get(x)) for x in xs if first <= x <= last]
    return out


def grouped(results, workload, needed):
    """Sized results of one workload: a line per transport, a panel column per placement."""
    def place(r):
        if r.workload != workload or not isinstance(r.size, int):
            return None
        series, (facet, placement) = split_identity(r)
        return r.size, series, (facet, f"placement: {placement}")
    return collect_points(results, needed, place)


def dict_grouped(results, needed):
    """dict-* results against clients: a line per transport+placement, a panel column per workload."""
    def place(r):
        clients = r.fields.get(sm.CLIENTS_KEY)
        if not sm.is_dict(r.workload) or not isinstance(clients, int):
            return None
        series, (facet, placement) = split_identity(r, sm.CLIENTS_KEY)
        return clients, f"{series} {placement}", (facet, r.workload)
    return collect_points(results, needed, place)


def tick_label(y: float) -> str:
    """Log-axis ticks as 10k, 1M, 0.1 rather than 10^4 or 10.0k."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if y >= scale:
            return f"{y / scale:g}{suffix}"
    return f"{y:g}"


def figure(plt, groups, styles, title, ylabel, draw, extra_handles=(), xlabel="message size (bytes)"):
    """Log-log panels: a column per placement (or workload), a row per other key combination (e.g.
    wait:spin); shared axes so panels compare at a glance, and one legend below them all."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    # Placements cheap to dear, waits likewise, whatever order a shuffled run wrote them in.
    def rank(order, text):
        return next((i for i, o in enumerate(order) if text.endswith(o) or f"{o}," in text or f"wait:{o}" in text),
                    len(order)), text
    facets = sorted(dict.fromkeys(f for f, _ in groups), key=lambda f: rank(sm.WAIT_ORDER, f))
    columns = sorted(dict.fromkeys(c for _, c in groups), key=lambda c: rank(sm.PLACEMENT_ORDER, c))
    nrows, ncols = len(facets), len(columns)
    names = list({s for g in groups.values() for s in g}) + [h.get_label() for h in extra_handles]
    n_labels, width = len(names), 4.2 * ncols + 0.8
    # About 0.09 in per character plus the line sample: as many legend rows as long names need
    # (savefig's tight bounding box keeps a legend that is still too wide on the page).
    ncol = min(6, math.ceil(n_labels / math.ceil(sum(0.7 + 0.09 * len(n) for n in names) / width)))
    legend_in = 0.2 + 0.25 * math.ceil(n_labels / ncol)
    height = 3.3 * nrows + 0.6 + legend_in
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height),
                             sharex=True, sharey=True, squeeze=False)
    xs = sorted({x for g in groups.values() for pts in g.values() for x, _ in pts})
    handles = {}
    for r, facet in enumerate(facets):
        for c, column in enumerate(columns):
            ax = axes[r][c]
            by_series = groups.get((facet, column))
            if by_series is None:
                ax.set_axis_off()  # e.g. a wait strategy no transport offers in this placement
                continue
            for label, pts in by_series.items():
                handles[label] = draw(ax, styles[label], label, [s for s, _ in pts], [v for _, v in pts])
            ax.set_title(column + (f", {facet}" if facet else ""), fontsize=10)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(FixedLocator(xs))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: sm.fmt_size(int(round(x)))))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: tick_label(y)))
            ax.yaxis.set_minor_formatter(NullFormatter())
            # Minor ticks unlabelled but laid out: measuring every one for the tight layout
            # took most of the report's time (7 of 11 s); without them it takes 3.
            ax.yaxis.set_minor_locator(NullLocator())
            ax.tick_params(labelbottom=True, labelleft=True)  # sharing hides them on inner panels
            ax.grid(True, which="both", alpha=0.3)
            if r == nrows - 1 or groups.get((facets[r + 1], column)) is None:
                ax.set_xlabel(xlabel)
            if c == 0:
                ax.set_ylabel(ylabel)
    fig.suptitle(title)
    ordered = [label for label in styles if label in handles]
    fig.tight_layout(rect=(0, legend_in / height, 1, 1))
    fig.legend([handles[k] for k in ordered] + list(extra_handles),
               ordered + [h.get_label() for h in extra_handles], loc="lower center", ncol=ncol, frameon=False)
    return fig


def get(vals, key, scale=1.0):
    """One counter along a series; NaN where the series has no point, so the line breaks."""
    return [v[key] * scale if v and key in v else math.nan for v in vals]


def line(key):
    """The medians joined, each with a bar from its lowest to its highest sample: a long bar
    is a wide spread or a split into two clusters (the summary names the bimodal ones)."""
    def draw(ax, style, label, xs, vals):
        mid, low, high = get(vals, key), get(vals, key + "__low"), get(vals, key + "__high")
        bars = [(x, lo, hi) for x, lo, hi in zip(xs, low, high) if not (math.isnan(lo) or math.isnan(hi))]
        if bars:
            ax.vlines([b[0] for b in bars], [b[1] for b in bars], [b[2] for b in bars],
                      color=style["color"], alpha=0.45, linewidth=2)
        return ax.plot(xs, mid, label=label, ms=4, **{"ls": "-", **style})[0]
    return draw


def rtt_draw(ax, style, label, xs, vals):
    p50, p99 = get(vals, "rtt_p50_ns", 1e-3), get(vals, "rtt_p99_ns", 1e-3)
    ax.fill_between(xs, p50, p99, color=style["color"], alpha=0.1, linewidth=0)
    return ax.plot(xs, p50, label=label, ms=4, **{"ls": "-", **style})[0]


def cpu_draw(ax, style, label, xs, vals):
    ax.plot(xs, get(vals, "peer_cpu_ns_per_iter", 1e-3), "--", ms=4, alpha=0.7, mfc="none", **style)
    return ax.plot(xs, get(vals, "leader_cpu_ns_per_iter", 1e-3), "-", label=label, ms=4, **style)[0]


# (file, workload, needed counter, title, y label, draw, caption)
PLOTS = [
    ("throughput.png", "stream", "items_per_second", "stream: throughput (median, bar: lowest to highest sample)",
     "messages/s", line("items_per_second"),
     "Stream throughput in messages per second against message size, one panel per placement "
     "(and per wait strategy, when the run has several). Each point is the median of its samples; the bar "
     "reaches from the lowest to the highest sample. A queue's line is at its own depth (at most 8 MiB a "
     "direction: queue-boost holds 64 messages, 8 of 1 MiB); another depth is a line of its own."),
    ("bandwidth.png", "stream", "bytes_per_second", "stream: bandwidth (median)", "bytes/s",
     line("bytes_per_second"),
     "The same stream runs as bytes per second, showing where each transport's copy bandwidth saturates."),
    ("latency.png", "pingpong", "rtt_p50_ns", "pingpong: round-trip time, line = p50, band up to p99 (median)",
     "round-trip time (µs)", rtt_draw,
     "Ping-pong round-trip time (not one-way latency): the line is the median (p50) round trip and the "
     "shaded band reaches the 99th percentile."),
    ("cpu.png", "stream", "leader_cpu_ns_per_iter", "stream: CPU time per message (median)",
     "CPU time per message (µs)", cpu_draw,
     "CPU time per streamed message: solid lines are the consumer (leader), dashed lines the producer "
     "(peer; its thread, or its whole process for fork/spawn)."),
    (DICT_PNG, "dict-*", "items_per_second",
     "shared dictionaries: operations/s, all clients together (median, bar: lowest to highest sample)",
     "operations/s", line("items_per_second"),
     "Shared-dictionary operations per second, all clients together, against the number of clients: a panel "
     "per dict workload, a line per dictionary variant and placement. dict-local (a plain map, one client) is "
     "the baseline; dict-manager-* answer every request from a server over that transport."),
]


PLACEMENT_LINES = {"thread": ("-", "o"), "fork": ("--", "s"), "spawn": (":", "^")}


def palette_of(plt):
    """Fourteen colours a reader tells apart: tab10 and four darker ones, so the twelve
    transports never share a colour."""
    return list(plt.get_cmap("tab10").colors) + ["black", "#000080", "#e6ab02", "#ff00ff"]


def series_styles(plt, transports, dict_series):
    """One style per transport across every figure, so 'pipe' looks the same everywhere; a dict
    line ("<variant> <placement>") takes its variant's colour and its placement's line style
    and marker, so 17 lines stay apart."""
    palette = palette_of(plt)
    styles = {label: {"color": palette[i % len(palette)], "marker": MARKERS[(i // len(palette)) % len(MARKERS)]}
              for i, label in enumerate(sorted(transports))}
    order = list(PLACEMENT_LINES)
    dict_series = sorted(set(dict_series), key=lambda label: (
        label.rsplit(" ", 1)[0], order.index(label.rsplit(" ", 1)[-1]) if label.rsplit(" ", 1)[-1] in order else 9))
    variants = list(dict.fromkeys(label.rsplit(" ", 1)[0] for label in dict_series))
    for label in dict_series:
        variant, _, placement = label.rpartition(" ")
        ls, marker = PLACEMENT_LINES.get(placement, ("-.", "v"))
        styles[label] = {"color": palette[variants.index(variant) % len(palette)], "marker": marker, "ls": ls}
    return styles


def floors_figure(plt, best):
    """The machine's floors against the time each sample was taken: a host that moves the
    vCPUs mid-run shows as a step here, beside the figures it moves."""
    panels = []
    for tag, what in sm.FLOORS:
        base = sm._baseline(best, tag)
        if base and len(base.samples.get("real_time_ns", [])) >= 2 and "t_s" in base.samples:
            panels.append((what, base.samples["t_s"], base.samples["real_time_ns"]))
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 3.2), squeeze=False)
    for ax, (what, ts, ns) in zip(axes[0], panels):
        unit, scale = ("µs", 1e-3) if max(ns) >= 1000 else ("ns", 1.0)
        ax.plot(ts, [v * scale for v in ns], "o", ms=4)
        ax.set_ylim(0, max(ns) * scale * 1.15)
        ax.set_title(what, fontsize=9)
        ax.set_xlabel("seconds into the run")
        ax.set_ylabel(f"round trip ({unit})")
        ax.grid(True, alpha=0.3)
    fig.suptitle("machine floors, sampled through the run")
    fig.tight_layout()
    return fig


# The election figures: colour by transport, marker and line style by placement, so a
# reader tells every series apart.
PLACEMENT_STYLE = {"thread": ("o", "-"), "fork": ("s", "--"), "spawn": ("^", ":"), "inline": ("D", "-")}


def _election_style(palette, transports, r):
    placement = str(r.fields.get("placement"))
    marker, ls = PLACEMENT_STYLE.get(placement, ("v", "-."))
    if placement == "inline":
        return dict(color="black", marker=marker, ls=ls)
    return dict(color=palette[transports.index(r.fields.get("transport")) % len(palette)], marker=marker, ls=ls)


def _series(results, key):
    """{variant: (style source, [(batch, result)])} in the tables' order."""
    out = {}
    for r in election._order(results):
        if r.error is None and key in r.values and isinstance(r.fields.get("batch"), int):
            label = election.variant(r) + (f" W{r.fields['workers']}" if "workers" in r.fields else "")
            out.setdefault(label, (r, []))[1].append((r.fields["batch"], r))
    for _, pts in out.values():
        pts.sort(key=lambda p: p[0])
    return out


def _log_batch_axis(ax, xlabel="simulations per edit"):
    from matplotlib.ticker import FuncFormatter, NullFormatter
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: tick_label(x)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.grid(True, which="both", alpha=0.3)


def election_ui_figure(plt, best):
    from matplotlib.ticker import FuncFormatter
    ui = [r for r in best if r.workload == election.UI]
    series = _series(ui, "edit_p99_ns")
    if not series:
        return None
    palette = palette_of(plt)
    transports = sorted({r.fields.get("transport") for r in ui if r.fields.get("placement") != "inline"}, key=str)
    fig, (lat, miss) = plt.subplots(1, 2, figsize=(13, 5.2))
    handles, labels = [], []
    for label, (first, pts) in series.items():
        style = _election_style(palette, transports, first)
        xs = [b for b, _ in pts]
        p99 = [r.values["edit_p99_ns"] / 1e6 for _, r in pts]
        lows = [min(r.samples.get("edit_p99_ns", [r.values["edit_p99_ns"]])) / 1e6 for _, r in pts]
        highs = [max(r.samples.get("edit_p99_ns", [r.values["edit_p99_ns"]])) / 1e6 for _, r in pts]
        lat.vlines(xs, lows, highs, color=style["color"], alpha=0.45, linewidth=2)
        h = lat.plot(xs, p99, ms=5, mfc="none", **style)[0]
        frac = [election._missed(r)[1] / max(1, election._missed(r)[2]) for _, r in pts]
        miss.plot(xs, frac, ms=5, mfc="none", **style)
        handles.append(h)
        labels.append(label)
    one_frame = lat.axhline(election.FRAME_NS / 1e6, color="red", lw=1, ls="-.")
    handles.append(one_frame)
    labels.append("one frame, 16.7 ms")
    lat.set_yscale("log")
    lat.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    lat.set_ylabel("edit-to-projection p99 (ms)")
    lat.set_title("latency from an edit until its projection is shown\n(median p99; bar: lowest to highest sample)",
                  fontsize=10)
    top = max((election._missed(r)[1] / max(1, election._missed(r)[2]) for _, pts in series.values() for _, r in pts),
              default=0)
    miss.set_ylim(-0.005, max(0.1, top * 1.15))
    miss.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0%}"))
    miss.set_ylabel("frames missed, worst sample (% of the frames)")
    miss.set_title("frames the UI loop missed (work or lateness past 16.7 ms)", fontsize=10)
    for ax in (lat, miss):
        _log_batch_axis(ax)
    fig.suptitle("election/ui: a 60 Hz UI loop, the projection inline or in a worker (colour: transport,"
                 " marker and line: placement)")
    rows = math.ceil(len(labels) / 5)
    ncol = math.ceil(len(labels) / rows)
    fig.tight_layout(rect=(0, 0.05 + 0.045 * rows, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
    return fig


def election_parallel_figure(plt, best):
    from matplotlib.ticker import FuncFormatter
    par = [r for r in best if r.workload == election.PARALLEL]
    workers = sorted({r.fields.get("workers") for r in par if r.error is None and "sims_per_s" in r.values})
    if not workers:
        return None
    palette = palette_of(plt)
    transports = sorted({r.fields.get("transport") for r in par if r.fields.get("transport") != election.COMPUTE_ONLY},
                        key=str)
    fig, axes = plt.subplots(1, len(workers), figsize=(6.2 * len(workers), 5), sharey=True, squeeze=False)
    handles = {}
    for ax, w in zip(axes[0], workers):
        mine = [r for r in par if r.fields.get("workers") == w]
        for label, (first, pts) in _series(mine, "sims_per_s").items():
            xs = [b for b, _ in pts]
            ys = [r.values["sims_per_s"] for _, r in pts]
            lows = [min(r.samples.get("sims_per_s", [y])) for (_, r), y in zip(pts, ys)]
            highs = [max(r.samples.get("sims_per_s", [y])) for (_, r), y in zip(pts, ys)]
            name = label.rsplit(" W", 1)[0]
            if first.fields.get("transport") == election.COMPUTE_ONLY:
                style = dict(color="black", ls="--", marker="")
                handles[name] = ax.plot(xs, ys, lw=2, **style, label=name)[0]
            else:
                style = _election_style(palette, transports, first)
                handles[name] = ax.plot(xs, ys, ms=5, mfc="none", **style)[0]
            ax.vlines(xs, lows, highs, color=style["color"], alpha=0.45, linewidth=2)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: tick_label(y)))
        ax.set_title(f"{w} worker{'s' if w != 1 else ''} (median; bar: lowest to highest sample)", fontsize=10)
        if w == workers[0]:
            ax.set_ylabel("simulations/s, all workers together")
        _log_batch_axis(ax, "simulations per batch")
    fig.suptitle(f"election/parallel: a projection{projection_size(par)} in batches through a shared"
                 " work queue, against the compute-only rate")
    rows = math.ceil(len(handles) / 5)
    ncol = math.ceil(len(handles) / rows)
    fig.tight_layout(rect=(0, 0.05 + 0.045 * rows, 1, 1))
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, frameon=False)
    return fig


def projection_size(par) -> str:
    """' of 4M simulations', from a run's batches per projection; '' when no row tells."""
    for r in par:
        v = r.values
        if r.error is None and v.get("batches") and v.get("iterations") and isinstance(r.fields.get("batch"), int):
            return f" of {tick_label(v['batches'] / v['iterations'] * r.fields['batch'])} simulations"
    return ""


ELECTION_FIGURES = [
    ("election_ui.png", election_ui_figure,
     "The election UI loop: left, the edit-to-projection p99 latency against simulations per edit (the red line is "
     "one 16.7 ms frame); right, the share of frames missed in the worst sample (lines on 0%: every frame on "
     "time). Inline computes inside the frame; "
     "the workers poll without blocking the loop, and a newer edit supersedes a stale projection."),
    ("election_parallel.png", election_parallel_figure,
     "The parallel projection: simulations per second against batch size, one panel per worker count; the dashed "
     "black line is the same batches over threads with no queue (compute only). Where a queue's line meets it, "
     "communication costs nothing measurable; the summary names the smallest batch within 5% of it."),
]


SOURCES = ("documented", "Python", "Python Manager().Queue", "C++ threads", "C++ processes", "C++ manager queue",
           "C++ best")


def harness_cost_figure(plt, best):
    """Each figure's cost over its raw floor, one bar per pair, the flag bounds drawn."""
    pairs = [p for p in harness_cost.pairs(best) if p.ratio is not None]
    if not pairs:
        return None
    pairs.sort(key=lambda p: (p.suite.workload, str(p.suite.fields.get("transport")),
                              str(p.suite.fields.get("wait")), p.suite.size or 0))
    labels = [f"{p.suite.workload} {p.suite.fields.get('transport')} {p.suite.fields.get('wait')} "
              f"{sm.fmt_size(p.suite.size)}" for p in pairs]
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(pairs) + 1.5))
    colours = ["tab:red" if p.flagged else "tab:blue" for p in pairs]
    # Bars from 1 (the suite adding nothing) to the cost, so a suite faster than its floor
    # reads as a bar to the left.
    ax.barh(range(len(pairs)), [p.ratio - 1 for p in pairs], left=1, color=colours)
    for bound in (harness_cost.FLAG_LOW, 1.0, harness_cost.FLAG_HIGH):
        ax.axvline(bound, color="gray", ls="--" if bound != 1.0 else "-", lw=1)
    ax.set_yticks(range(len(pairs)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ticks = [0.5, harness_cost.FLAG_LOW, 1, harness_cost.FLAG_HIGH, 2, 3, 4]
    low = min(0.5, min(p.ratio for p in pairs) / 1.1)
    high = max(2.0, max(p.ratio for p in pairs) * 1.1)
    ax.set_xlim(low, high)
    ax.set_xticks([t for t in ticks if low <= t <= high])
    ax.set_xticklabels([f"{t:.2f}".rstrip("0").rstrip(".") for t in ticks if low <= t <= high])
    ax.minorticks_off()
    ax.set_xlabel("cost: the raw floor's rate / the suite's (1 = the suite adds nothing; flagged in red "
                  f"beyond {harness_cost.FLAG_LOW:.2f}-{harness_cost.FLAG_HIGH:.2f})")
    ax.set_title("harness cost, fork, one run (bimodal pairs left out: see the table)")
    return fig


def documented_figure(plt, rows):
    """Each documented figure beside today's measurements: one group per figure, log scale."""
    from matplotlib.ticker import FuncFormatter
    rows = [r for r in rows if r.values and len(r.values) > 2]
    if not rows:
        return None
    colours = dict(zip(SOURCES, ["#444444", "#3776ab", "#7aa6d0", "#d62728", "#ff7f0e", "#e6ab02", "#2ca02c"]))
    fig, ax = plt.subplots(figsize=(max(8, 1.9 * len(rows) + 2), 5.2))
    width = 0.8 / len(SOURCES)
    used = set()
    for i, row in enumerate(rows):
        present = [s for s in SOURCES if s == "documented" or s in row.values]
        for j, source in enumerate(present):
            x = i - 0.4 + (j + 0.5) * 0.8 / len(present)
            if source == "documented":
                lo, hi = row.values["documented low"], row.values["documented high"]
                ax.bar(x, hi, width=0.8 / len(present), color=colours[source], hatch="//", edgecolor="white",
                       label=None if source in used else "documented (2008, Pentium 4)")
                if hi > lo:
                    ax.vlines(x, lo, hi, color="white", linewidth=2)
            else:
                ax.bar(x, row.values[source], width=0.8 / len(present), color=colours[source],
                       label=None if source in used else f"{source} today")
            used.add(source)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: tick_label(y)))
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r.cells[0].replace(" (per 16.7 ms frame)", "\n(per frame)") for r in rows], fontsize=9)
    ax.set_ylabel("per second (per frame for the election)")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.set_title("documented figures (2008) beside Python and C++ on this machine today; log scale")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, frameon=False)
    fig.tight_layout()
    return fig


def html_table(t: sm.Table) -> str:
    def cell(tag, i, text):
        return f'<{tag}{" class=num" if i >= t.n_keys else ""}>{html.escape(text)}</{tag}>'

    head = "".join(cell("th", i, c) for i, c in enumerate(t.header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>\n" for r in t.rows)
    return f"<h3>{html.escape(t.title)}</h3>\n<table><tr>{head}</tr>\n{body}</table>"


def embedded(out_dir: str, fname: str) -> str:
    """The PNG as a data URI: the page carries its figures, so it can be attached or mailed."""
    with open(os.path.join(out_dir, fname), "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def html_lines(title: str, lines) -> str:
    esc = html.escape
    return f"<h3>{esc(title)}</h3><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>\n"


def html_page(data, best, failures, plot_status, out_dir, comparison=None, documented=None) -> str:
    ctx = data.get("context", {})
    esc = html.escape
    waits = sorted({str(r.fields["wait"]) for r in best if "wait" in r.fields})
    wait = "wait: " + ", ".join(waits) if waits else "blocking; the names carry no wait: key"
    ctx_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>\n"
                       for k, v in ctx.items() if isinstance(v, (str, int, float)))
    fails = "".join(f"<h3>{esc(title)} ({len(items)})</h3><ul>"
                    + "".join(f"<li><code>{esc(n)}</code>: {esc(m)}</li>" for n, m in items) + "</ul>\n"
                    for title, items in sm.split_failures(failures) if items) or "<p>none</p>"
    cost_table = sm.harness_cost_table(best)
    figs = []
    for fname, caption, skipped in plot_status:
        if skipped:
            figs.append(f"<p><b>{esc(fname)} not generated:</b> {esc(skipped)}</p>")
        else:
            figs.append(f'<figure><img src="{embedded(out_dir, fname)}" alt="{esc(fname)}">'
                        f"<figcaption>{esc(caption)}</figcaption></figure>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ipcmeter report {esc(str(ctx.get("date", "")))}</title>
<style>
body {{ font-family: sans-serif; max-width: 1400px; margin: 1em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; margin-bottom: 1em; font-size: 90%; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
.num {{ text-align: right; font-family: monospace; }}
img {{ max-width: 100%; }} figcaption {{ color: #444; margin-bottom: 2em; }}
</style></head><body>
<h1>ipcmeter report</h1>
<p>{"<br>".join(esc(ln) for ln in sm.context_lines(ctx))}</p>
<h2>The answer</h2>
{html_lines("threads or processes, and which transport (this run's numbers)", answer.answer_lines(best))}
{documented or ""}
<p><b>Reading these numbers.</b> {esc(WAIT_NOTE.format(pinning=ctx.get("ipcmeter_pinning", "?"), wait=wait))}
{esc(sm.SPREAD_NOTE)}</p>
<h2>Spread and the machine's floors</h2>
{html_lines("machine floors through the run", sm.floor_lines(best))}
{html_lines("spread of the samples", sm.spread_lines(best, ctx.get("ipcmeter_profile", "?"))
            + sm.until_stable_lines(ctx))}
{html_lines("sample floor", sm.short_sample_lines(best))}
{html_lines("bimodal figures, clusters never averaged", sm.bimodal_lines(best) or ["none"])}
{comparison or ""}
{html_lines("the election projection (this run's answers)", election.answer_lines(best))
 if any(election.is_election(r.workload) for r in best) else ""}
<h2>Harness cost: each figure beside its raw floor</h2>
{html_table(cost_table) if cost_table else ""}
{html_lines("harness cost", sm.harness_cost_lines(best))}
<p>{esc(sm.overhead_line(best))}</p>
<h2>Failed benchmarks</h2>
{fails}
<h2>Summary tables</h2>
{"".join(html_table(t) for t in sm.build_tables(best))}
<h2>Plots</h2>
{"".join(figs)}
<h2>Run context</h2>
<table>{ctx_rows}</table>
</body></html>
"""


def documented_section(plt, run_path: str, out_dir: str) -> str:
    """The documented-figures table, its verdicts and its figure; a note when there are none."""
    try:
        rows, table = check.run_check(run_path)
    except sm.InputError as e:
        return f"<p>Documented figures: {html.escape(str(e))}</p>"
    fig = documented_figure(plt, rows)
    img = ""
    if fig is not None:
        write_atomic(os.path.join(out_dir, "documented.png"),
                     lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
        plt.close(fig)
        img = (f'<figure><img src="{embedded(out_dir, "documented.png")}" alt="documented.png"><figcaption>'
               "Each documented figure (hatched; a white bar marks a documented range) beside today's measurements "
               "on this machine: Python (bench/python/ipcmeter_py.py) and C++ (the suite), log scale."
               "</figcaption></figure>")
    return (html_table(table) + html_lines("documented figures, verdicts", check.note_lines(rows)) + img)


def comparison_section(earlier: str, data: dict, run_path: str, out_dir: str) -> str:
    """The comparison of this run (B) with an earlier one (A): its table and figure."""
    a_data, a_path = compare.load(earlier)
    rows, only_a, only_b, failed = compare.compare(a_data, data, 0.10, 0.05)
    if not rows:
        raise sm.InputError(f"no benchmark in common between {a_path} and {run_path}")
    heads = [compare.context_line("A", a_data, a_path), compare.context_line("B", data, run_path)]
    text = compare.render(rows, only_a, only_b, failed, heads, 0.10, 0.05, "text")
    compare.plot(rows, os.path.join(out_dir, "comparison.png"), 0.10)
    return (f'<h2>Compared with an earlier run</h2><figure><img src="{embedded(out_dir, "comparison.png")}" '
            f'alt="comparison"></figure><pre>{html.escape(text)}</pre>')


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run", help="Google Benchmark JSON written with --benchmark_out_format=json")
    ap.add_argument("--out", required=True, help="directory for the PNGs and report.html (created if missing)")
    ap.add_argument("--compare-with", metavar="RUN",
                    help="an earlier run (directory or JSON): adds its comparison with this one, table and figure")
    args = ap.parse_args(argv)
    try:
        data = sm.load_run(args.run)
    except sm.InputError as e:
        return fail(str(e))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        return fail(f"matplotlib is not importable by {sys.executable}; run with /usr/bin/python3")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        return fail(f"{args.out}: {e.strerror}")

    results, failures = sm.collect(data)
    best = sm.pick_best(results)
    read_own_depths(data.get("context", {}))
    # One style per transport across every figure, so 'pipe' looks the same everywhere (dict lines
    # are transport+placement); the marker changes once tab10's colours run out.
    groups = {fname: dict_grouped(best, needed) if fname == DICT_PNG else grouped(best, workload, needed)
              for fname, workload, needed, *_ in PLOTS}
    plotted = {p[1] for p in PLOTS}
    labels = dict.fromkeys(split_identity(r)[0] for r in best if r.workload in plotted and isinstance(r.size, int))
    styles = series_styles(plt, labels, [s for by_series in groups[DICT_PNG].values() for s in by_series])
    cpu_keys = [Line2D([], [], color="gray", ls="-", label="leader (consumer): solid"),
                Line2D([], [], color="gray", ls="--", label="peer (producer): dashed")]

    status = []
    for fname, workload, needed, title, ylabel, draw, caption in PLOTS:
        if not groups[fname]:
            status.append((fname, caption, f"this run has no {workload} results with {needed}."))
            continue
        pinning = data.get("context", {}).get("ipcmeter_pinning", "?")
        fig = figure(plt, groups[fname], styles, f"{title}, pinning {pinning}", ylabel, draw,
                     cpu_keys if fname == "cpu.png" else (),
                     "clients" if fname == DICT_PNG else "message size (bytes)")
        write_atomic(os.path.join(args.out, fname), lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
        plt.close(fig)
        status.append((fname, caption, None))

    fig = floors_figure(plt, best)
    caption = ("The machine's own floors, each sample at the time it was taken: the cache-line round trip "
               "between the two vCPUs and a blocking wake-up round trip. A step means the host moved the vCPUs.")
    if fig is None:
        status.append(("floors.png", caption, "this run has fewer than two timed samples of baseline/cacheline"
                                              " or baseline/pipe-raw."))
    else:
        write_atomic(os.path.join(args.out, "floors.png"), lambda f: fig.savefig(f, format="png", dpi=100))
        plt.close(fig)
        status.append(("floors.png", caption, None))
    fig = harness_cost_figure(plt, best)
    caption = ("What the suite costs over each mechanism's raw floor (the same calls in a hand-written loop), "
               "per pair of figures measured in this run.")
    if fig is None:
        status.append(("harness_cost.png", caption, "this run has no suite figure beside a raw floor."))
    else:
        write_atomic(os.path.join(args.out, "harness_cost.png"),
                     lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
        plt.close(fig)
        status.append(("harness_cost.png", caption, None))
    for fname, draw_figure, caption in ELECTION_FIGURES:
        fig = draw_figure(plt, best)
        if fig is None:
            status.append((fname, caption, "this run has no election results for it."))
            continue
        write_atomic(os.path.join(args.out, fname), lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
        plt.close(fig)
        status.append((fname, caption, None))
    heat_caption = ("Stream throughput of a forked process over that of a thread, transport by message size "
                    "(blocking waits): below 1 a process moves fewer messages per second. * marks a ratio "
                    "beyond the spread: every process sample past every thread sample.")
    heat_path = os.path.join(args.out, "process_thread.png")
    with tempfile.TemporaryDirectory(dir=args.out) as scratch:
        drawn = transports.draw_heatmap(best, os.path.join(scratch, "heat.png"))
        if drawn:
            os.replace(os.path.join(scratch, "heat.png"), heat_path)
    status.append(("process_thread.png", heat_caption,
                   None if drawn else "this run has no stream results in both thread and process placements."))

    comparison = None
    if args.compare_with:
        try:
            comparison = comparison_section(args.compare_with, data, args.run, args.out)
        except sm.InputError as e:
            return fail(str(e))
    page = html_page(data, best, failures, status, args.out, comparison,
                     documented_section(plt, args.run, args.out)).encode("utf-8")
    write_atomic(os.path.join(args.out, "report.html"), lambda f: f.write(page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
