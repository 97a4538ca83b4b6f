#!/usr/bin/python3
"""Render an ipcmeter run as PNG plots and a self-contained HTML page (needs Debian's matplotlib)."""

# The entry point: it draws every figure (figures.py, election_figures.py, the transports
# view's heatmap, the documented figures, the comparison) into --out and writes the page
# (page.py) beside them.

import argparse
import html
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comparison  # noqa: E402
import documented  # noqa: E402
import figures  # noqa: E402
import open_loop  # noqa: E402
import transports_view  # noqa: E402
from election_figures import ELECTION_FIGURES  # noqa: E402
from page import embedded, html_lines, html_page  # noqa: E402
from runfile import InputError, collect, load_run, load_run_dir, pick_best  # noqa: E402
from tabular import render_html  # noqa: E402

FLOORS_CAPTION = ("The machine's own floors, each sample at the time it was taken: the cache-line round trip "
                  "between the two vCPUs and a blocking wake-up round trip. A step means the host moved the vCPUs.")
HARNESS_COST_CAPTION = ("What the suite costs over each mechanism's raw floor (the same calls in a hand-written loop), "
                        "per pair of figures measured in this run.")
LATENCY_LOAD_CAPTION = ("Open loop (rate/...): each message's latency from its intended send time against the offered "
                        "rate, p99 solid and p50 faint, threads beside processes; the ring marks the knee, the "
                        "highest rate sustained with p99 within 2x the lowest rate's.")
HEATMAP_CAPTION = ("Stream throughput of a forked process over that of a thread, transport by message size "
                   "(blocking waits): below 1 a process moves fewer messages per second. * marks a ratio "
                   "beyond the spread: every process sample past every thread sample.")
DOCUMENTED_CAPTION = ("Each documented figure (hatched; a white bar marks a documented range) beside today's "
                      "measurements on this machine: Python (bench/python/ipcmeter_py.py) and C++ (the suite), "
                      "log scale.")


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


def save(plt, fig, path: str, tight: bool = True) -> None:
    """The figure as a PNG at path (written whole or not at all), then closed."""
    extra = {"bbox_inches": "tight"} if tight else {}
    write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100, **extra))
    plt.close(fig)


def drawn(plt, fig, out_dir: str, fname: str, caption: str, why_not: str, tight: bool = True):
    """The page's (file, caption, why it is missing) of one figure, saved when there is one."""
    if fig is None:
        return fname, caption, why_not
    save(plt, fig, os.path.join(out_dir, fname), tight)
    return fname, caption, None


def draw_figures(plt, data: dict, best, out_dir: str):
    """Every figure of the run saved into out_dir, in the page's order, with its status."""
    status = [drawn(plt, fig, out_dir, fname, caption, why_not)
              for fname, caption, fig, why_not in figures.workload_figures(plt, best, data.get("context", {}))]
    status.append(drawn(plt, figures.floors_figure(plt, best), out_dir, "floors.png", FLOORS_CAPTION,
                        "this run has fewer than two timed samples of baseline/cacheline or baseline/pipe-raw.",
                        tight=False))
    status.append(drawn(plt, figures.harness_cost_figure(plt, best), out_dir, "harness_cost.png",
                        HARNESS_COST_CAPTION, "this run has no suite figure beside a raw floor."))
    status.append(drawn(plt, open_loop.latency_load_figure(plt, best), out_dir, "latency_load.png",
                        LATENCY_LOAD_CAPTION, "this run has no rate results."))
    for fname, draw_figure, caption in ELECTION_FIGURES:
        status.append(drawn(plt, draw_figure(plt, best), out_dir, fname, caption,
                            "this run has no election results for it."))
    status.append(heatmap(best, out_dir))
    return status


def heatmap(best, out_dir: str):
    """The transports view's process/thread heatmap, with its status. draw_heatmap writes its
    file itself: it draws into a scratch directory, renamed into place once whole."""
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        made = transports_view.draw_heatmap(best, os.path.join(scratch, "heat.png"))
        if made:
            os.replace(os.path.join(scratch, "heat.png"), os.path.join(out_dir, "process_thread.png"))
    return ("process_thread.png", HEATMAP_CAPTION,
            None if made else "this run has no stream results in both thread and process placements.")


def documented_section(plt, run_path: str, out_dir: str) -> str:
    """The documented-figures table, its verdicts and its figure; a note when there are none."""
    try:
        rows, table = documented.run_check(run_path)
    except InputError as e:
        return f"<p>Documented figures: {html.escape(str(e))}</p>"
    fig = figures.documented_figure(plt, rows)
    img = ""
    if fig is not None:
        save(plt, fig, os.path.join(out_dir, "documented.png"))
        img = (f'<figure><img src="{embedded(out_dir, "documented.png")}" alt="documented.png"><figcaption>'
               f"{DOCUMENTED_CAPTION}</figcaption></figure>")
    return render_html(table) + html_lines("documented figures, verdicts", documented.note_lines(rows)) + img


def comparison_section(earlier: str, data: dict, run_path: str, out_dir: str) -> str:
    """The comparison of this run (B) with an earlier one (A): its table and figure."""
    rows, text = comparison.compare_text(load_run_dir(earlier), (data, run_path), 0.10, 0.05, "text")
    comparison.plot(rows, os.path.join(out_dir, "comparison.png"), 0.10)
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
        data = load_run(args.run)
    except InputError as e:
        return fail(str(e))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return fail(f"matplotlib is not importable by {sys.executable}; run with /usr/bin/python3")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        return fail(f"{args.out}: {e.strerror}")
    results, failures = collect(data)
    best = pick_best(results)
    status = draw_figures(plt, data, best, args.out)
    section = None
    if args.compare_with:
        try:
            section = comparison_section(args.compare_with, data, args.run, args.out)
        except InputError as e:
            return fail(str(e))
    page = html_page(data, best, failures, status, args.out, section,
                     documented_section(plt, args.run, args.out)).encode("utf-8")
    write_atomic(os.path.join(args.out, "report.html"), lambda f: f.write(page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
