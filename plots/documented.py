"""The documented figures (results/reference/documented.json) checked against a run: each
figure or claim of 2008 beside Python today and C++ today, with its verdict.

A figure is met when some measured configuration reaches the documented figure (the low end
of a documented range); a claim holds, fails (no clear difference) or is reversed. check.py
prints the table; the summary and the report show it too.

A view: imports formatting.py, runfile.py and tabular.py.
"""

import fnmatch
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from formatting import fmt_rate
from runfile import InputError, Result, collect, load_run, pick_best, read_json
from tabular import Table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "results", "reference", "documented.json")
FRAME_S = 1 / 60
MUCH = 2.0  # "much faster"
CLEAR = 1.10  # a plain "faster": beyond 10 %, or it is no clear difference
HEADER = ["figure or claim", "documented", "Python today", "C++ threads", "C++ processes", "ratio", "verdict"]


@dataclass
class Measured:
    value: float
    result: Result
    where: str  # "Python", "C++"

    def config(self) -> str:
        f = self.result.fields
        parts = [str(f[k]) for k in ("transport", "placement") if k in f]
        parts += [f"{k}:{f[k]}" for k in ("wait", "depth", "workers", "kernel", "pin") if k in f]
        return " ".join(parts)


def load_reference(path: str) -> dict:
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise InputError(f"{path}: no 'items' list")
    return data


def load_runs(run: str) -> Tuple[List[Result], Optional[List[Result]], dict]:
    """(C++ results, Python results or None, the C++ run's context) of a run directory (or a
    bench.json given directly)."""
    if os.path.isdir(run):
        cpp_path, py_path = os.path.join(run, "bench.json"), os.path.join(run, "python.json")
    elif os.path.exists(run):
        cpp_path, py_path = run, os.path.join(os.path.dirname(run), "python.json")
    else:
        raise InputError(f"{run}: no such run directory or file")
    if not os.path.exists(cpp_path):
        raise InputError(f"{run}: no bench.json in it (not a run directory of run-suite.sh)")
    cpp = load_run(cpp_path)
    _check_convention(cpp, cpp_path)
    py = None
    if os.path.exists(py_path):
        py_data = load_run(py_path)
        _check_convention(py_data, py_path)
        py = pick_best(collect(py_data)[0])
    return pick_best(collect(cpp)[0]), py, cpp.get("context", {})


def _check_convention(data: dict, path: str) -> None:
    """JSON from another tool (Google Benchmark's own examples, say) has no key:value names."""
    names = [b.get("name", "") for b in data["benchmarks"] if isinstance(b, dict)]
    if not any("/transport:" in n or n.startswith(("election/kernel/", "baseline/")) for n in names):
        raise InputError(f"{path}: not an ipcmeter run (no benchmark named in its workload/key:value convention)")


def matches(res: Result, selector: dict) -> bool:
    if res.error is not None or res.workload != selector.get("workload"):
        return False
    for key, want in selector.items():
        if key == "workload":
            continue
        have = res.fields.get(key)
        options = want if isinstance(want, list) else [want]
        if not any(have == o or (isinstance(o, str) and isinstance(have, str) and fnmatch.fnmatchcase(have, o))
                   for o in options):
            return False
    return True


def pick(results: Optional[List[Result]], selector: Optional[dict], figure: str, lower_is_better=False,
         best=False) -> Optional[Measured]:
    """The matching result's figure: the most-sampled match, or with best=True the best one."""
    if not results or not selector:
        return None
    found = [r for r in results if matches(r, selector) and figure in r.values]
    if not found:
        return None
    if best:
        chosen = (min if lower_is_better else max)(found, key=lambda r: r.values[figure])
    else:
        # Several matches differ in a field the selector leaves open (a wait, a depth): the
        # default configuration (blocking waits, the fewest fields), then the most samples.
        chosen = min(found, key=lambda r: (r.fields.get("wait", "block") != "block", len(r.fields), -r.repetitions))
    return Measured(chosen.values[figure], chosen, "")


# ---- formatting ----------------------------------------------------------------------------

def fmt_value(x: Optional[float], unit: str = "") -> str:
    if x is None:
        return "not measured"
    text = fmt_rate(x)
    return f"{text} {unit}".strip()


def fmt_ratio(x: float) -> str:
    return f"{x:.3g}x" if x < 1000 else f"{fmt_rate(x)}x"


def fmt_time(ns: Optional[float]) -> str:
    if ns is None:
        return "not measured"
    return f"{ns / 1e6:.1f} ms" if ns >= 1e6 else f"{ns / 1e3:.0f} us"


def documented_text(doc: dict) -> str:
    lo, hi = doc["low"], doc["high"]
    approx = "~" if doc.get("approximate") else ""
    rng = fmt_rate(lo) if lo == hi else f"{fmt_rate(lo)}-{fmt_rate(hi)}"
    return f"{approx}{rng} {doc['unit']}"


@dataclass
class Row:
    cells: List[str]  # the table's; the verdict cell is short
    status: str  # met, not met, not measured, holds, fails, reversed, not measurable
    note: str = ""  # the verdict in full: which configuration, the numbers, why
    values: Optional[Dict[str, float]] = None  # a figure's: documented low/high and each measurement


def _scaled(m: Optional[Measured], per_frame: bool) -> Optional[float]:
    if m is None:
        return None
    return m.value * FRAME_S if per_frame else m.value


def _figure_cells(cspec: dict, unit: str, v, py_default, py_manager, threads, processes, manager):
    """The Python, C++ threads and C++ processes cells of a figure's row."""
    py_cell = fmt_value(v(py_default), unit)
    if py_manager is not None:
        py_cell = f"Queue {fmt_value(v(py_default), unit)}; Manager {fmt_value(v(py_manager), unit)}"
    proc_cell = fmt_value(v(processes), unit) if processes else ("-" if not cspec.get("processes") else "not measured")
    if manager is not None:
        proc_cell += f"; manager queue {fmt_value(v(manager))}"
    elif cspec.get("manager"):
        proc_cell += "; manager queue not measured"
    thread_cell = fmt_value(v(threads), unit) if cspec.get("threads") else "-"
    return py_cell, thread_cell, proc_cell


def _figure_verdict(item: dict, low: float, measured, via_manager: bool) -> Tuple[str, str]:
    """(status, the verdict in full) of a figure from every configuration measured."""
    meets = [label for label, x in measured if x is not None and x >= low]
    if meets:
        verdict = "met by " + ", ".join(meets)
        short = [label for label, x in measured if x is not None and x < low]
        if short:
            verdict += "; below it: " + ", ".join(short)
        status = "met"
    else:
        verdict = "NOT MET by any measured configuration"
        status = "not met"
    if item.get("round_trip_bound"):
        verdict += ("; round-trip bound: each operation wakes the other side, which on this VM costs"
                    " ~60-70 us across vCPUs, whatever the CPU's speed")
    if item.get("readings") and via_manager:
        direct = [x for label, x in measured if label in ("Python", "C++ processes")]
        via = [x for label, x in measured if "anager" in label]
        if direct and via:
            closer = min(("the direct queue", min(direct, key=lambda x: abs(x - low))),
                         ("the manager queue", min(via, key=lambda x: abs(x - low))),
                         key=lambda p: abs(p[1] - low) / low)
            verdict += f"; the figure is closest to {closer[0]} ({fmt_value(closer[1])})"
    return status, verdict


def figure_row(item: dict, cpp: List[Result], py: Optional[List[Result]],
               others: Optional[List[Result]] = None) -> Row:
    doc = item["documented"]
    low = doc["low"]
    pyspec, cspec = item.get("python", {}), item.get("cpp", {})
    per_frame = bool(cspec.get("per_frame") or pyspec.get("per_frame"))
    fig_py, fig_c = pyspec.get("figure", "items_per_second"), cspec.get("figure", "items_per_second")
    py_default = pick(py, pyspec.get("default"), fig_py)
    py_manager = pick(py, pyspec.get("manager"), fig_py)
    threads = pick(cpp, cspec.get("threads"), fig_c)
    processes = pick(cpp, cspec.get("processes"), fig_c)
    manager = pick(cpp, cspec.get("manager"), fig_c)
    # The best configuration measured: any transport and wait of this run, or of the other runs
    # given (another pinning, say), whose results carry their pinning as pin:.
    best = pick(cpp + (others or []), cspec.get("best"), fig_c, best=True)
    unit = doc["unit"].split()[0] if per_frame else ""

    def v(m):
        return _scaled(m, per_frame)

    # Every configuration measured, with its name, for the verdict.
    configs = [("Python", py_default), ("Python Manager().Queue", py_manager), ("C++ threads", threads),
               ("C++ processes", processes), ("C++ manager queue", manager)]
    if best is not None and all(best.result is not m.result for _, m in configs if m is not None):
        configs.append((f"C++ best ({best.config()})", best))
    measured = [(label, v(m)) for label, m in configs if m is not None]
    cells = _figure_cells(cspec, unit, v, py_default, py_manager, threads, processes, manager)
    name = item["id"] + (" (per 16.7 ms frame)" if per_frame else "")
    if not measured:
        return Row([name, documented_text(doc), *cells, "-", "not measured"],
                   "not measured", "its benchmarks are not in this run")
    main = v(processes) or v(threads) or v(py_default)
    ratio = fmt_ratio(main / low) if main else "-"
    status, verdict = _figure_verdict(item, low, measured, bool(py_manager or manager))
    values = {"documented low": float(doc["low"]), "documented high": float(doc["high"])}
    values.update({label.split(" (")[0]: x for label, x in measured if x is not None})
    return Row([name, documented_text(doc), *cells, ratio, "met" if status == "met" else "NOT MET"],
               status, verdict, values)


def _judge(faster: Optional[float], slower: Optional[float], threshold: float) -> Tuple[str, str]:
    if not faster or not slower:
        return "not measured", "-"
    r = faster / slower
    if r >= threshold:
        return "holds", f"{r:.2f}x"
    if r <= 1 / CLEAR:
        return "reversed", f"{r:.2f}x"
    return "fails", f"{r:.2f}x"


def claim_row(item: dict, cpp: List[Result], py: Optional[List[Result]]) -> Row:
    if item.get("not_measurable"):
        return Row([item["id"], "claim", "-", "-", "-", "-", "not measurable"], "not measurable",
                   item["not_measurable"])
    threshold = MUCH if "much" in item.get("holds_when", "") else CLEAR
    pyspec, cspec = item.get("python", {}), item.get("cpp", {})
    if "one" in pyspec or "one" in cspec:  # the GIL claim: scaling with workers
        return gil_row(item, cpp, py)
    verdicts, ratios, statuses = [], {}, []
    for where, spec, results in (("Python", pyspec, py), ("C++", cspec, cpp)):
        low = bool(spec.get("lower_is_better"))
        fig = spec.get("figure", "items_per_second")
        fast, slow = pick(results, spec.get("faster"), fig, low), pick(results, spec.get("slower"), fig, low)
        f, s = (fast.value if fast else None), (slow.value if slow else None)
        if low and f and s:
            f, s = 1 / f, 1 / s  # a time: the faster one takes less
        verdict, ratio = _judge(f, s, threshold)
        statuses.append(verdict)
        show = fmt_time if low else fmt_value
        ratios[where] = ratio if fast and slow else "not measured"
        verdicts.append(f"{where}: {verdict}" + (f" ({fast.config()} {show(fast.value)} against {slow.config()}"
                                                  f" {show(slow.value)}: {ratio})" if fast and slow else ""))
    measured = [s for s in statuses if s != "not measured"]
    status = "not measured" if not measured else ("reversed" if "reversed" in measured else
                                                  "holds" if all(s == "holds" for s in measured) else "fails")
    short = statuses[0] if statuses[0] == statuses[1] else f"Python {statuses[0]}; C++ {statuses[1]}"
    return Row([item["id"], "claim", ratios["Python"], ratios["C++"], "", item.get("ratio", ""), short], status,
               f"holds when {item['holds_when']}: " + "; ".join(verdicts))


def gil_row(item: dict, cpp: List[Result], py: Optional[List[Result]]) -> Row:
    pyspec, cspec = item["python"], item["cpp"]
    fig = pyspec.get("figure", "sims_per_s")
    one, threads, procs = (pick(py, pyspec.get(k), fig) for k in ("one", "threads", "processes"))
    c_one, c_threads = (pick(cpp, cspec.get(k), cspec.get("figure", fig)) for k in ("one", "threads"))
    py_cell, verdict, status = "not measured", "Python: not measured", "not measured"
    if one and threads and procs:
        t, p = threads.value / one.value, procs.value / one.value
        py_cell = f"{threads.value / one.value:.2f}x / {procs.value / one.value:.2f}x"
        holds = t <= 1.2 and p >= 1.5
        status = "holds" if holds else "fails"
        verdict = (f"Python: {status}: 1 thread {fmt_rate(one.value)}/s, 2 threads {fmt_rate(threads.value)}/s"
                   f" ({t:.2f}x), 2 processes {fmt_rate(procs.value)}/s ({p:.2f}x)")
    c_cell = "not measured"
    if c_one and c_threads:
        c_cell = f"{c_threads.value / c_one.value:.2f}x / -"
        verdict += (f"; C++ has no GIL: 1 thread {fmt_rate(c_one.value)}/s, 2 threads"
                    f" {fmt_rate(c_threads.value)}/s ({c_threads.value / c_one.value:.2f}x)")
    return Row([item["id"], "claim", py_cell, c_cell, "", item.get("ratio", ""), status], status,
               f"holds when {item['holds_when']}: {verdict}")


def check(reference: dict, cpp: List[Result], py: Optional[List[Result]],
          others: Optional[List[Result]] = None) -> List[Row]:
    rows = []
    for item in reference["items"]:
        rows.append(figure_row(item, cpp, py, others) if item.get("kind") == "figure" else claim_row(item, cpp, py))
    return rows


def load_others(runs) -> List[Result]:
    """The suite's results of other runs, each marked with its run's pinning (pin:)."""
    out = []
    for run in runs:
        results, _, ctx = load_runs(run)
        for r in results:
            r.fields["pin"] = ctx.get("ipcmeter_pinning", "?")
        out += results
    return out


def table(rows: List[Row], ctx: dict, has_python: bool) -> Table:
    title = (f"documented (2008) vs Python and C++ today (pinning {ctx.get('ipcmeter_pinning', '?')},"
             f" profile {ctx.get('ipcmeter_profile', '?')}" + (")" if has_python else "; no Python run)"))
    return Table(title, HEADER, [r.cells for r in rows], 1)


def note_lines(rows: List[Row]) -> List[str]:
    return [f"{r.cells[0]}: {r.cells[6]}: {r.note}" for r in rows if r.note]


def exit_status(rows: List[Row]) -> int:
    return 1 if any(r.status == "not met" for r in rows) else 0


def run_check(run: str, reference_path: str = REFERENCE, other_runs=()):
    """(rows, table): InputError for bad input, or when nothing in the run answers any item."""
    reference = load_reference(reference_path)
    cpp, py, ctx = load_runs(run)
    rows = check(reference, cpp, py, load_others(other_runs))
    if all(r.status in ("not measured", "not measurable") for r in rows):
        raise InputError(f"{run}: no benchmark in this run answers any documented figure or claim")
    return rows, table(rows, ctx, py is not None)


def report_rows(run_path: str) -> Tuple[Optional[Table], List[str]]:
    """The documented-figures table for this run, and its notes; (None, [reason]) when it
    cannot be made."""
    try:
        rows, table_ = run_check(run_path)
    except InputError as e:
        return None, [f"documented figures: {e}"]
    return table_, note_lines(rows)
