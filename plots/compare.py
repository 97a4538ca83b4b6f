#!/usr/bin/env python3
"""Compare two ipcmeter runs benchmark by benchmark: the ratio of medians, both samples'
spread, and a Mann-Whitney U test over the repetitions (see stats.py).

    compare.py A B [--threshold 0.10] [--alpha 0.05] [--format text|markdown] [--plot PNG]

A and B are run directories (results/runs/<stamp>/, read through their bench.json) or Google
Benchmark JSON files. The figure compared is the time per iteration (lower is better: a
message, a round trip, an operation, a frame). Exit status: 0, nothing regressed; 1, some
benchmark is slower by more than the threshold with p < alpha; 2, the input cannot be read.
Benchmarks in only one run, or failed in one, are listed, never dropped.
"""

import argparse
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402
import summarize as sm  # noqa: E402

METRIC = "real_time_ns"


@dataclass
class Row:
    name: str
    a: Optional[stats.Spread]
    b: Optional[stats.Spread]
    ratio: Optional[float] = None  # median of B / median of A (time: above 1 is slower)
    p: Optional[float] = None
    verdict: str = ""
    regression: bool = False


def load(path: str) -> Tuple[dict, str]:
    """The run's JSON, read from a file or a run directory's bench.json."""
    if os.path.isdir(path):
        json_path = os.path.join(path, "bench.json")
        if not os.path.exists(json_path):
            raise sm.InputError(f"{path}: a directory without bench.json (not an ipcmeter run)")
        path = json_path
    data = sm.load_run(path)
    bad = [b for b in data["benchmarks"] if isinstance(b, dict) and "name" in b
           and not b.get("error_occurred") and "real_time" not in b]
    if bad:
        raise sm.InputError(f"{path}: not Google Benchmark JSON ('{bad[0]['name']}' has no real_time)")
    return data, path


def samples_by_name(data: dict, pattern: Optional[str]) -> Tuple[Dict[str, List[float]], Dict[str, str]]:
    """Per benchmark (run_name, timer suffix kept): its per-iteration times in ns, and the
    error of each that failed."""
    results, failures = sm.collect(data)
    times, errors = {}, {}
    for res in results:
        if pattern and not re.search(pattern, res.name):
            continue
        if res.error is not None:
            errors[res.name] = res.error
        elif METRIC in res.samples:
            times[res.name] = res.samples[METRIC]
        elif METRIC in res.values:  # only aggregates were written: one value, no samples
            times[res.name] = [res.values[METRIC]]
    return times, errors


def judge(name: str, a: List[float], b: List[float], threshold: float, alpha: float) -> Row:
    row = Row(name, stats.spread(a), stats.spread(b))
    row.ratio = row.b.median / row.a.median if row.a.median else None
    if min(len(a), len(b)) < 2 or stats.smallest_p(len(a), len(b)) >= alpha:
        row.verdict = f"not tested: {len(a)} against {len(b)} samples cannot reach p < {alpha:g}"
        return row
    _, row.p = stats.mann_whitney(a, b)
    change = f"{abs(row.ratio - 1):.0%}"
    if row.p >= alpha:
        row.verdict = "no significant difference"
    elif row.ratio > 1 + threshold:
        row.verdict, row.regression = f"SLOWER by {change}", True
    elif row.ratio < 1 / (1 + threshold):
        row.verdict = f"faster by {change}"
    else:
        row.verdict = f"changed by {change}, within the {threshold:.0%} threshold"
    for side, sp in (("A", row.a), ("B", row.b)):
        if sp.bimodal:
            row.verdict += f"; {side} bimodal"
    return row


def fmt_time(ns: float) -> str:
    for scale, unit in ((1e6, "ms"), (1e3, "us")):
        if ns >= scale * 0.9995:
            return f"{sm.fmt3(ns / scale)} {unit}"
    return f"{sm.fmt3(ns)} ns"


def fmt_p(p: Optional[float]) -> str:
    return "-" if p is None else "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_spread(sp: stats.Spread) -> str:
    if sp.bimodal:
        return "|".join(fmt_time(c) for c, _ in sp.clusters) + f" bi, n={sp.n}"
    if sp.n == 1:
        return f"{fmt_time(sp.median)}, n=1"
    return f"{fmt_time(sp.median)} ({fmt_time(sp.low)}-{fmt_time(sp.high)}), n={sp.n}"


def compare(a_data: dict, b_data: dict, threshold: float, alpha: float,
            pattern: Optional[str] = None):
    a_times, a_errors = samples_by_name(a_data, pattern)
    b_times, b_errors = samples_by_name(b_data, pattern)
    common = [n for n in a_times if n in b_times]
    rows = [judge(n, a_times[n], b_times[n], threshold, alpha) for n in common]
    only_a = [n for n in a_times if n not in b_times and n not in b_errors]
    only_b = [n for n in b_times if n not in a_times and n not in a_errors]
    failed = [(n, "A", e) for n, e in a_errors.items()] + [(n, "B", e) for n, e in b_errors.items()]
    return rows, only_a, only_b, failed


def order(rows: List[Row]) -> List[Row]:
    """Regressions first, then the rest by how much they moved."""
    return sorted(rows, key=lambda r: (not r.regression, -abs(math.log(r.ratio)) if r.ratio else 0))


def context_line(label: str, data: dict, path: str) -> str:
    c = data.get("context", {})
    return (f"{label}: {path} ({c.get('date', '?')}, {c.get('cpu_model', '?')}, profile"
            f" {c.get('ipcmeter_profile', '?')}, pinning {c.get('ipcmeter_pinning', '?')})")


def render(rows, only_a, only_b, failed, heads, threshold, alpha, fmt) -> str:
    md = fmt == "markdown"
    bullet = "- " if md else "  "
    regressions = [r for r in rows if r.regression]
    tested = [r for r in rows if r.p is not None]
    out = [("## " if md else "") + "ipcmeter comparison: B against A", ""]
    out += [f"{bullet}{h}" for h in heads]
    out.append(f"{bullet}time per iteration, median of each run's samples; Mann-Whitney U test over the samples, "
               f"two-sided; a regression is B slower by more than {threshold:.0%} with p < {alpha:g}")
    out.append(f"{bullet}{len(rows)} benchmarks in both, {len(tested)} tested, "
               f"{len(regressions)} regressed" + (": " + ", ".join(r.name for r in regressions[:5]) if regressions else ""))
    out.append("")
    header = ["benchmark", "A", "B", "B/A", "p", "verdict"]
    body = [[r.name, fmt_spread(r.a), fmt_spread(r.b), f"{r.ratio:.3f}" if r.ratio else "-",
             fmt_p(r.p), r.verdict] for r in order(rows)]
    if md:
        esc = lambda c: c.replace("|", "\\|")  # noqa: E731
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---", "--:", "--:", "--:", "--:", "---"]) + "|")
        out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in body]
    else:
        table = sm.Table("", header, body, 1)
        out.append(sm.render_text(table, width=10_000).lstrip("\n"))
    for title, names in ((f"only in A ({len(only_a)})", only_a), (f"only in B ({len(only_b)})", only_b)):
        if names:
            out += ["", f"{title}:"] + [f"{bullet}{n}" for n in names]
    if failed:
        out += ["", f"failed ({len(failed)}):"] + [f"{bullet}{n} in {side}: {e}" for n, side, e in failed]
    return "\n".join(out) + "\n"


def lo_all(rows: List[Row]) -> float:
    return min(min(r.b.low / r.a.high, r.ratio) for r in rows) * 0.95


def hi_all(rows: List[Row]) -> float:
    return max(max(r.b.high / r.a.low, r.ratio) for r in rows) * 1.05


def plot(rows: List[Row], path: str, threshold: float) -> None:
    """B/A per benchmark on a log axis, each with the range its samples allow, coloured by
    verdict; the most moved 40 when there are more."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401
    shown = order([r for r in rows if r.ratio])[:40][::-1]
    if not shown:
        return
    fig, ax = plt.subplots(figsize=(11, 0.28 * len(shown) + 1.9))
    colours = {"regression": "#c0392b", "faster": "#1e8449", "not significant": "#7f8c8d",
               "too few samples": "#b7950b"}
    for y, r in enumerate(shown):
        kind = ("regression" if r.regression else "too few samples" if r.p is None
                else "faster" if r.verdict.startswith("faster") else "not significant")
        lo = r.b.low / r.a.high if r.a.high else r.ratio
        hi = r.b.high / r.a.low if r.a.low else r.ratio
        ax.plot([lo, hi], [y, y], color=colours[kind], alpha=0.35, linewidth=4)
        ax.plot([r.ratio], [y], "o", color=colours[kind])
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 0.8, 1, 1.25, 2, 4) if lo_all(shown) <= t <= hi_all(shown)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.axvline(1, color="black", linewidth=0.8)
    for bound in (1 + threshold, 1 / (1 + threshold)):
        ax.axvline(bound, color="grey", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([r.name.replace("/manual_time", "") for r in shown], fontsize=7)
    ax.set_xlabel("B / A, median time per iteration (right of 1: B is slower)\n"
                  "bar: the ratios the samples allow, B's fastest over A's slowest to B's slowest over A's fastest;"
                  f" dashed: ±{threshold:.0%}", fontsize=8)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=k) for k, c in colours.items()]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("ipcmeter: B against A")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="the baseline run: a run directory or a JSON file")
    ap.add_argument("b", help="the run compared with it")
    ap.add_argument("--threshold", type=float, default=0.10, help="slower by more than this is a regression (0.10)")
    ap.add_argument("--alpha", type=float, default=0.05, help="significance level of the U test (0.05)")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    ap.add_argument("--filter", help="only benchmarks whose name matches this regular expression")
    ap.add_argument("--plot", help="also draw the comparison into this PNG (needs matplotlib)")
    args = ap.parse_args(argv)
    if not (0 < args.threshold < 10) or not (0 < args.alpha < 1):
        print("compare.py: --threshold must be above 0 and --alpha between 0 and 1", file=sys.stderr)
        return 2
    try:
        a_data, a_path = load(args.a)
        b_data, b_path = load(args.b)
        rows, only_a, only_b, failed = compare(a_data, b_data, args.threshold, args.alpha, args.filter)
        if not rows:
            raise sm.InputError(f"no benchmark in common between {a_path} and {b_path}")
    except sm.InputError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    heads = [context_line("A", a_data, a_path), context_line("B", b_data, b_path)]
    sys.stdout.write(render(rows, only_a, only_b, failed, heads, args.threshold, args.alpha, args.format))
    if args.plot:
        plot(rows, args.plot, args.threshold)
    return 1 if any(r.regression for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
