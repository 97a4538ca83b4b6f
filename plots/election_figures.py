"""The report's election figures: the UI loop's edit-to-projection latency and missed frames
against simulations per edit, and the parallel projection's rate against batch size beside
the compute-only rate.

A view: imports formatting.py, election.py and figures.py (its palette); report.py draws and
saves them.
"""

import math

import election
from figures import palette_of
from formatting import tick_label


# The election figures: colour by transport, marker and line style by placement, so a
# reader tells every series apart.
PLACEMENT_STYLE = {"thread": ("o", "-"), "fork": ("s", "--"), "spawn": ("^", ":"), "inline": ("D", "-")}


def _style(palette, transports, r):
    placement = str(r.fields.get("placement"))
    marker, ls = PLACEMENT_STYLE.get(placement, ("v", "-."))
    if placement == "inline":
        return dict(color="black", marker=marker, ls=ls)
    return dict(color=palette[transports.index(r.fields.get("transport")) % len(palette)], marker=marker, ls=ls)


def _series(results, key):
    """{variant: (style source, [(batch, result)])} in the tables' order."""
    out = {}
    for r in election.order(results):
        if r.error is None and key in r.values and isinstance(r.fields.get("batch"), int):
            label = election.variant(r) + (f" W{r.fields['workers']}" if r.workload == election.PARALLEL else "")
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


def _missed_share(r) -> float:
    """The share of its frames the worst sample missed."""
    _, most, frames = election.missed_frames(r)
    return most / max(1, frames)


def _legend_below(fig, handles, labels) -> None:
    """The legend under the panels, at most five entries a row, the panels made room for it."""
    rows = math.ceil(len(labels) / 5)
    ncol = math.ceil(len(labels) / rows)
    fig.tight_layout(rect=(0, 0.05 + 0.045 * rows, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)


def election_ui_figure(plt, best):
    from matplotlib.ticker import FuncFormatter
    ui = [r for r in best if r.workload in election.UI_LOOPS]
    series = _series(ui, "edit_p99_ns")
    if not series:
        return None
    palette = palette_of(plt)
    transports = sorted({r.fields.get("transport") for r in ui if r.fields.get("placement") != "inline"}, key=str)
    fig, (lat, miss) = plt.subplots(1, 2, figsize=(13, 5.2))
    handles, labels = [], []
    for label, (first, pts) in series.items():
        style = _style(palette, transports, first)
        xs = [b for b, _ in pts]
        p99 = [r.values["edit_p99_ns"] / 1e6 for _, r in pts]
        lows = [min(r.samples.get("edit_p99_ns", [r.values["edit_p99_ns"]])) / 1e6 for _, r in pts]
        highs = [max(r.samples.get("edit_p99_ns", [r.values["edit_p99_ns"]])) / 1e6 for _, r in pts]
        lat.vlines(xs, lows, highs, color=style["color"], alpha=0.45, linewidth=2)
        h = lat.plot(xs, p99, ms=5, mfc="none", **style)[0]
        frac = [_missed_share(r) for _, r in pts]
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
    top = max((_missed_share(r) for _, pts in series.values() for _, r in pts), default=0)
    miss.set_ylim(-0.005, max(0.1, top * 1.15))
    miss.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0%}"))
    miss.set_ylabel("frames missed, worst sample (% of the frames)")
    miss.set_title("frames the UI loop missed (work or lateness past 16.7 ms)", fontsize=10)
    for ax in (lat, miss):
        _log_batch_axis(ax)
    fig.suptitle("election/ui: a 60 Hz UI loop, the projection inline or in a worker (colour: transport,"
                 " marker and line: placement)")
    _legend_below(fig, handles, labels)
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
                style = _style(palette, transports, first)
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
    _legend_below(fig, list(handles.values()), list(handles))
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
