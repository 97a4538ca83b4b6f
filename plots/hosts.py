#!/usr/bin/python3
"""The transports that cross hosts, from scripts/netns-hosts.sh's run directory: on one host,
mpi (Open MPI's shared memory, between two ranks) beside shm-spsc (the suite's fastest ring,
to a forked process) and tcp beside zmq-tcp; across two network namespaces (two hosts on one
machine), the round trip and throughput of tcp, zmq-tcp and mpi against message size.

Reads RUN/same-host.json and RUN/netns.json (either may be missing), writes RUN/anchors.png,
RUN/netns.png and RUN/hosts.md (the ratios, also printed)."""

# An entry point with its view in one file: nothing else in plots/ uses these figures.
# Imports formatting.py and runfile.py.

import argparse
import os
import sys
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formatting import fmt_size  # noqa: E402
from runfile import InputError, Result, collect, load_run, pick_best  # noqa: E402

SAME_HOST, ACROSS = "same-host.json", "netns.json"
CROSSING = ("tcp", "zmq-tcp", "mpi")
# Each pair is compared where it is fastest: the rings spinning (both burn a core to win),
# the sockets blocking (both sleep in the kernel).
PAIRS = [("mpi", "rank", "shm-spsc", "fork", "spin"), ("tcp", "fork", "zmq-tcp", "fork", "block")]
COLOURS = {"mpi": "tab:red", "shm-spsc": "tab:blue", "tcp": "tab:green", "zmq-tcp": "tab:purple"}
WAIT_LINES = {"block": "-", "spin": "--"}
RATIO_SIZES = (64, 1 << 20)


def load(path: str) -> Tuple[List[Result], dict]:
    data = load_run(path)
    results, _ = collect(data)
    return [r for r in pick_best(results) if r.error is None and isinstance(r.size, int)], data.get("context", {})


def find(results, workload, transport, placement, wait, size) -> Optional[Result]:
    for r in results:
        f = r.fields
        if (r.workload, f.get("transport"), f.get("placement"), f.get("wait"), r.size) == \
                (workload, transport, placement, wait, size):
            return r
    return None


def series(results, workload, transport, placement, wait, key):
    """[(size, median, lowest sample, highest sample)] of one line, by size."""
    return sorted((r.size, r.values[key], min(r.samples.get(key, [r.values[key]])),
                   max(r.samples.get(key, [r.values[key]]))) for r in results
                  if r.workload == workload and r.fields.get("transport") == transport
                  and r.fields.get("placement") == placement and r.fields.get("wait") == wait and key in r.values)


def draw_line(ax, points, scale, **style):
    """The medians joined, each with a bar from its lowest to its highest sample (as in the
    main report): a long bar is a spread the machine put there, not the transport."""
    xs = [p[0] for p in points]
    ax.vlines(xs, [p[2] * scale for p in points], [p[3] * scale for p in points],
              color=style["color"], alpha=0.45, linewidth=2)
    ax.plot(xs, [p[1] * scale for p in points], marker="o", ms=4, **style)


def rtt_us(r: Optional[Result]) -> Optional[float]:
    return r.values["rtt_p50_ns"] / 1e3 if r and "rtt_p50_ns" in r.values else None


def rate(r: Optional[Result]) -> Optional[float]:
    return r.values.get("bytes_per_second") if r else None


def ratio_text(a: Optional[float], b: Optional[float]) -> str:
    return f"{a / b:.2f}x" if a and b else "n/a"


def hosts_of(results) -> str:
    return next((str(r.fields["hosts"]) for r in results if "hosts" in r.fields), "?")


def axes_style(ax, xs, ylabel, title):
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # 1, 2, 5 in every decade, labelled: a panel spanning less than a decade stays readable.
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt_size(int(round(x)))))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.grid(True, which="both", alpha=0.3)
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)


def anchors_figure(plt, results):
    """Two columns (mpi beside shm-spsc, spinning; tcp beside zmq-tcp, blocking), two rows
    (round trip, throughput)."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), squeeze=False)
    xs = sorted({r.size for r in results if r.fields.get("placement") == "rank"}) or sorted({r.size for r in results})
    drawn = False
    for c, (t1, p1, t2, p2, wait) in enumerate(PAIRS):
        for row, (workload, key, scale, ylabel) in enumerate(
                [("pingpong", "rtt_p50_ns", 1e-3, "round trip p50 (µs)"),
                 ("stream", "bytes_per_second", 1e-6, "stream throughput (MB/s)")]):
            ax = axes[row][c]
            for transport, placement in ((t1, p1), (t2, p2)):
                # Only the sizes measured between ranks (not the 8-byte comparison shm-spsc also has).
                points = [p for p in series(results, workload, transport, placement, wait, key) if p[0] in xs]
                if points:
                    drawn = True
                    draw_line(ax, points, scale, color=COLOURS[transport], label=f"{transport} ({placement})")
            axes_style(ax, xs, ylabel, f"{t1} beside {t2}, wait:{wait}")
            ax.legend(fontsize=8)
    fig.suptitle(f"One host ({hosts_of(results)}): the crossing transports beside the suite's anchors")
    fig.tight_layout()
    return fig if drawn else None


def netns_figure(plt, results):
    """Round trip and throughput against size, a colour per transport, a line style per wait."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), squeeze=False)
    xs = sorted({r.size for r in results})
    drawn = False
    for c, (workload, key, scale, ylabel) in enumerate(
            [("pingpong", "rtt_p50_ns", 1e-3, "round trip p50 (µs)"),
             ("stream", "bytes_per_second", 1e-6, "stream throughput (MB/s)")]):
        ax = axes[0][c]
        for transport in CROSSING:
            for wait, ls in WAIT_LINES.items():
                points = series(results, workload, transport, "rank", wait, key)
                if points:
                    drawn = True
                    draw_line(ax, points, scale, ls=ls, color=COLOURS[transport], label=f"{transport} wait:{wait}")
        axes_style(ax, xs, ylabel, f"{workload}, leader and peer on {hosts_of(results)}")
        ax.legend(fontsize=8)
    fig.suptitle("Across two network namespaces (a veth pair): tcp, zmq-tcp and mpi (Open MPI over TCP)")
    fig.tight_layout()
    return fig if drawn else None


def ratio_lines(same: List[Result], across: List[Result]) -> List[str]:
    lines = []
    if same:
        lines.append(f"## One host ({hosts_of(same)})")
        lines.append("")
        lines.append("| pair | size | round trip p50 (µs) | ratio | throughput (MB/s) | ratio |")
        lines.append("|---|---|---|---|---|---|")
        for t1, p1, t2, p2, wait in PAIRS:
            for size in RATIO_SIZES:
                r1, r2 = (rtt_us(find(same, "pingpong", t, p, wait, size)) for t, p in ((t1, p1), (t2, p2)))
                b1, b2 = (rate(find(same, "stream", t, p, wait, size)) for t, p in ((t1, p1), (t2, p2)))
                rt = f"{r1:.1f} / {r2:.1f}" if r1 and r2 else "n/a"
                bw = f"{b1 / 1e6:.0f} / {b2 / 1e6:.0f}" if b1 and b2 else "n/a"
                lines.append(f"| {t1} ({p1}) / {t2} ({p2}), {wait} | {fmt_size(size)} | {rt} | "
                             f"{ratio_text(r1, r2)} | {bw} | {ratio_text(b1, b2)} |")
        lines.append("")
    if across:
        lines.append(f"## Across namespaces ({hosts_of(across)})")
        lines.append("")
        lines.append("| transport | wait | size | round trip p50 (µs) | throughput (MB/s) | round trip over one host's |")
        lines.append("|---|---|---|---|---|---|")
        for transport in CROSSING:
            for wait in WAIT_LINES:
                for size in RATIO_SIZES:
                    r = rtt_us(find(across, "pingpong", transport, "rank", wait, size))
                    b = rate(find(across, "stream", transport, "rank", wait, size))
                    if r is None and b is None:
                        continue
                    local = rtt_us(find(same, "pingpong", transport, "rank", wait, size))
                    lines.append(f"| {transport} | {wait} | {fmt_size(size)} | "
                                 f"{f'{r:.1f}' if r else 'n/a'} | {f'{b / 1e6:.0f}' if b else 'n/a'} | "
                                 f"{ratio_text(r, local)} |")
        lines.append("")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="the run directory scripts/netns-hosts.sh wrote")
    args = ap.parse_args(argv)
    paths = {name: os.path.join(args.run, name) for name in (SAME_HOST, ACROSS)}
    loaded: Dict[str, List[Result]] = {}
    for name, path in paths.items():
        if os.path.exists(path):
            try:
                loaded[name], _ = load(path)
            except InputError as e:
                print(f"hosts.py: {e}", file=sys.stderr)
                return 2
    if not loaded:
        print(f"hosts.py: {args.run} has neither {SAME_HOST} nor {ACROSS}", file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    same, across = loaded.get(SAME_HOST, []), loaded.get(ACROSS, [])
    for fname, draw, results in (("anchors.png", anchors_figure, same), ("netns.png", netns_figure, across)):
        fig = draw(plt, results) if results else None
        if fig is not None:
            fig.savefig(os.path.join(args.run, fname), dpi=100)
            plt.close(fig)
    text = "\n".join(ratio_lines(same, across))
    with open(os.path.join(args.run, "hosts.md"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
