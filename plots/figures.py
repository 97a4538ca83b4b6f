"""The report's figures of a run (matplotlib, handed in as plt, never imported here): a
figure per workload figure against message size or clients, the machine's floors through the
run, the harness cost, the documented figures beside today's.

A view: imports formatting.py, runfile.py, harness_cost.py and sampling.py (the floors);
report.py draws and saves them, election_figures.py shares their palette.
"""

import math
from dataclasses import dataclass, field
from typing import Dict, Optional

import harness_cost
from formatting import fmt_size, tick_label
from runfile import CLIENTS_KEY, PLACEMENT_ORDER, SIZE_KEY, TAGS_COLUMN, WAIT_ORDER, Result, baseline, is_dict
from sampling import FLOORS

PLACEMENT_KEY = "placement"
SERIES_KEY = "transport"
DEPTH_KEY = "depth"
MARKERS = "osD^v"
DICT_PNG = "dicts.png"


@dataclass
class OwnDepths:
    """Each queue's own depth and the bytes a queue at its own depth holds at most, from the run's
    context (ipcmeter_queue_own_depths, "queue-boost=64 queue-mutex=3 ...; bytes=8388608");
    empty for a run that does not say."""
    depths: Dict[str, int] = field(default_factory=dict)
    limit: int = 0

    @classmethod
    def of(cls, ctx: dict) -> "OwnDepths":
        text = str(ctx.get("ipcmeter_queue_own_depths", ""))
        depths, _, limit = text.partition(";")
        return cls({k: int(v) for k, v in (item.split("=") for item in depths.split()) if v.isdigit()},
                   int(limit.split("=")[1]) if "=" in limit else 0)

    def at(self, transport: str, size) -> Optional[int]:
        """The depth a queue runs at when none is asked for, at this message size (bench/options.hpp)."""
        default = self.depths.get(transport)
        if default is None or not isinstance(size, int) or not self.limit:
            return default
        return max(1, min(default, self.limit // size))


def split_identity(res: Result, depths: OwnDepths, column: str = SIZE_KEY):
    """(series, panel): transport names a line; other keys such as wait: get their own panel row."""
    ident = res.identity(column)
    placement = str(ident.pop(PLACEMENT_KEY, "-"))
    series = str(ident.pop(SERIES_KEY, None) or ident.pop(TAGS_COLUMN, "-"))
    # A queue at its own depth is the transport's line (its depth lower for large messages);
    # another depth is a line of its own (queue-boost depth:3), not a panel.
    if DEPTH_KEY in ident:
        depth = ident.pop(DEPTH_KEY)
        if depth != depths.at(series, res.fields.get(column)):
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


def grouped(results, workload, needed, depths: OwnDepths):
    """Sized results of one workload: a line per transport, a panel column per placement."""
    def place(r):
        if r.workload != workload or not isinstance(r.size, int):
            return None
        series, (facet, placement) = split_identity(r, depths)
        return r.size, series, (facet, f"placement: {placement}")
    return collect_points(results, needed, place)


def dict_grouped(results, needed, depths: OwnDepths):
    """dict-* results against clients: a line per transport+placement, a panel column per workload."""
    def place(r):
        clients = r.fields.get(CLIENTS_KEY)
        if not is_dict(r.workload) or not isinstance(clients, int):
            return None
        series, (facet, placement) = split_identity(r, depths, CLIENTS_KEY)
        return clients, f"{series} {placement}", (facet, r.workload)
    return collect_points(results, needed, place)


def figure(plt, groups, styles, title, ylabel, draw, extra_handles=(), xlabel="message size (bytes)"):
    """Log-log panels: a column per placement (or workload), a row per other key combination (e.g.
    wait:spin); shared axes so panels compare at a glance, and one legend below them all."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    # Placements cheap to dear, waits likewise, whatever order a shuffled run wrote them in.
    def rank(order, text):
        return next((i for i, o in enumerate(order) if text.endswith(o) or f"{o}," in text or f"wait:{o}" in text),
                    len(order)), text
    facets = sorted(dict.fromkeys(f for f, _ in groups), key=lambda f: rank(WAIT_ORDER, f))
    columns = sorted(dict.fromkeys(c for _, c in groups), key=lambda c: rank(PLACEMENT_ORDER, c))
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
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_size(int(round(x)))))
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
    for tag, what in FLOORS:
        base = baseline(best, tag)
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


def harness_cost_figure(plt, best):
    """Each figure's cost over its raw floor, one bar per pair, the flag bounds drawn."""
    pairs = harness_cost.in_order([p for p in harness_cost.pairs(best) if p.ratio is not None])
    if not pairs:
        return None
    labels = [f"{p.suite.workload} {p.suite.fields.get('transport')} {p.suite.fields.get('wait')} "
              f"{fmt_size(p.suite.size)}" for p in pairs]
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


SOURCES = ("documented", "Python", "Python Manager().Queue", "C++ threads", "C++ processes", "C++ manager queue",
           "C++ best")


def documented_figure(plt, rows):
    """Each documented figure beside today's measurements: one group per figure, log scale."""
    from matplotlib.ticker import FuncFormatter
    rows = [r for r in rows if r.values and len(r.values) > 2]
    if not rows:
        return None
    colours = dict(zip(SOURCES, ["#444444", "#3776ab", "#7aa6d0", "#d62728", "#ff7f0e", "#e6ab02", "#2ca02c"]))
    fig, ax = plt.subplots(figsize=(max(8, 1.9 * len(rows) + 2), 5.2))
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


def workload_figures(plt, best, ctx: dict):
    """(file, caption, figure, why there is none) of each of PLOTS, drawn one at a time (the
    caller saves and closes each before the next is drawn); the figure is None when the run
    has nothing for it."""
    from matplotlib.lines import Line2D
    depths = OwnDepths.of(ctx)
    groups = {fname: dict_grouped(best, needed, depths) if fname == DICT_PNG else grouped(best, workload, needed, depths)
              for fname, workload, needed, *_ in PLOTS}
    # One style per transport across every figure, so 'pipe' looks the same everywhere (dict lines
    # are transport+placement); the marker changes once tab10's colours run out.
    plotted = {p[1] for p in PLOTS}
    labels = dict.fromkeys(split_identity(r, depths)[0] for r in best if r.workload in plotted and isinstance(r.size, int))
    styles = series_styles(plt, labels, [s for by_series in groups[DICT_PNG].values() for s in by_series])
    cpu_keys = [Line2D([], [], color="gray", ls="-", label="leader (consumer): solid"),
                Line2D([], [], color="gray", ls="--", label="peer (producer): dashed")]
    pinning = ctx.get("ipcmeter_pinning", "?")
    for fname, workload, needed, title, ylabel, draw, caption in PLOTS:
        if not groups[fname]:
            yield fname, caption, None, f"this run has no {workload} results with {needed}."
            continue
        yield fname, caption, figure(plt, groups[fname], styles, f"{title}, pinning {pinning}", ylabel, draw,
                                     cpu_keys if fname == "cpu.png" else (),
                                     "clients" if fname == DICT_PNG else "message size (bytes)"), None
