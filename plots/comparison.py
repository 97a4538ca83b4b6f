"""Two runs compared benchmark by benchmark: the ratio of medians of the time per iteration,
both samples' spread, and a Mann-Whitney U test over the repetitions (stats.py), as a table
(text or markdown) and a figure.

A view: imports stats.py, formatting.py, runfile.py and tabular.py; compare.py prints it and
the report's page shows it (--compare-with).
"""

import math
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import stats
from formatting import fmt3
from runfile import InputError, collect
from tabular import Table, render_text

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


def samples_by_name(data: dict, pattern: Optional[str]) -> Tuple[Dict[str, List[float]], Dict[str, str]]:
    """Per benchmark (run_name, timer suffix kept): its per-iteration times in ns, and the
    error of each that failed."""
    results, failures = collect(data)
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
            return f"{fmt3(ns / scale)} {unit}"
    return f"{fmt3(ns)} ns"


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
        table = Table("", header, body, 1)
        out.append(render_text(table, width=10_000).lstrip("\n"))
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


def compare_text(a: Tuple[dict, str], b: Tuple[dict, str], threshold: float, alpha: float, fmt: str,
                 pattern: Optional[str] = None) -> Tuple[List[Row], str]:
    """(rows, the comparison as text or markdown) of run B against run A, each (JSON, path);
    InputError when they have no benchmark in common."""
    (a_data, a_path), (b_data, b_path) = a, b
    rows, only_a, only_b, failed = compare(a_data, b_data, threshold, alpha, pattern)
    if not rows:
        raise InputError(f"no benchmark in common between {a_path} and {b_path}")
    heads = [context_line("A", a_data, a_path), context_line("B", b_data, b_path)]
    return rows, render(rows, only_a, only_b, failed, heads, threshold, alpha, fmt)
