#!/usr/bin/env python3
"""Summarize an ipcmeter Google Benchmark JSON run as text or markdown tables."""

import argparse
import json
import os
import statistics
import textwrap
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402
import election  # noqa: E402
import answer  # noqa: E402
import harness_cost  # noqa: E402

# Google Benchmark appends these to pick the timer; they say nothing about what was measured.
TIMER_TAGS = {"manual_time", "real_time", "process_time"}
# Google Benchmark's run-control keys say how long/often to measure, not what: a repeats:5 run
# and a sweep run of the same case land in the same table cell.
RUN_CONTROL_KEYS = {"repeats", "iterations", "min_time", "min_warmup_time"}
SIZE_KEY = "size"
# Shared-dictionary workloads (dict-get, dict-put, ...) have no size: their columns are clients.
DICT_PREFIX = "dict-"
CLIENTS_KEY = "clients"
TAGS_COLUMN = "name"
NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
OVERHEAD_TARGET = 1.10
OVERHEAD_CASE = {"transport": "pipe", "placement": "fork", SIZE_KEY: 8}
OVERHEAD_BASELINE = "pipe-raw"
# The raw baseline blocks in read(2), so only a blocking case is its counterpart.
OVERHEAD_WAIT = "block"
UNSUPPORTED = "unsupported"  # error_message prefix of combinations the suite lists but cannot run
# The `processing` package's documentation (seed document shared/seeds/004_75d65fc013cb0a80.txt in the
# parent directory), "on a Pentium 4, 2.5 Ghz": a value can be retrieved from a shared (Manager)
# dictionary 18,000-20,000 times/sec against around 5 million times/sec for a normal dictionary.
DOC_SHARED_DICT_GETS = (18_000, 20_000)
DOC_NORMAL_DICT_GETS = 5_000_000
# This run's counterparts: one client of a manager serving over a Unix socket from another process
# (what processing's Manager does on Linux), and the plain map.
REFERENCE_SHARED = {"transport": "dict-manager-unix-stream", "placement": "fork", CLIENTS_KEY: 1}
REFERENCE_NORMAL = {"transport": "dict-local", CLIENTS_KEY: 1}
TEXT_WIDTH = 120
# Workload families whose names take two segments (election/ui, election/parallel, ...), the
# raw floors among them (floor/stream, floor/pingpong: harness_cost.py).
FAMILIES = ("election", "floor")


class InputError(Exception):
    """The run file cannot be summarized; the message is the one-line reason."""


@dataclass
class Result:
    name: str  # run_name: one benchmark case, all its repetitions
    workload: str
    fields: Dict[str, object]  # every key:value segment of the name
    tags: Tuple[str, ...]  # bare segments other than timer tags, e.g. pipe-raw
    repetitions: int = 1
    values: Dict[str, float] = field(default_factory=dict)  # medians; times in *_ns
    error: Optional[str] = None
    samples: Dict[str, List[float]] = field(default_factory=dict)  # every repetition's values

    def spread(self, key: str) -> Optional["stats.Spread"]:
        """The spread of one figure over the repetitions, or None with fewer than two."""
        xs = self.samples.get(key, [])
        return stats.spread(xs) if len(xs) >= 2 else None

    @property
    def size(self):
        return self.fields.get(SIZE_KEY)

    def identity(self, column: str = SIZE_KEY) -> Dict[str, object]:
        """What was measured apart from the table's column key (the size): the row of a table."""
        ident = {k: v for k, v in self.fields.items() if k != column and k not in RUN_CONTROL_KEYS}
        if self.tags:
            ident.setdefault(TAGS_COLUMN, "/".join(self.tags))
        return ident


def load_run(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: invalid JSON ({e})") from None
    benchmarks = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(benchmarks, list) or not any(isinstance(b, dict) and "name" in b for b in benchmarks):
        raise InputError(f"{path}: no benchmarks in the JSON")
    return data


def parse_name(name: str) -> Tuple[str, Dict[str, object], Tuple[str, ...]]:
    """Split 'workload/key:value/.../bare' into (workload, fields, tags); sizes etc. become ints."""
    workload, *segments = name.split("/")
    # Workloads of a family name themselves in two bare segments: election/kernel/kernel:simd/...
    if workload in FAMILIES and segments and segments[0] and ":" not in segments[0]:
        workload += "/" + segments.pop(0)
    fields: Dict[str, object] = {}
    tags = []
    for seg in segments:
        if ":" in seg:
            key, value = seg.split(":", 1)
            fields[key] = int(value) if value.lstrip("-").isdigit() else value
        elif seg and seg not in TIMER_TAGS:
            tags.append(seg)
    return workload, fields, tuple(tags)


def _numbers(entry: dict) -> Dict[str, float]:
    out = {k: float(v) for k, v in entry.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    scale = NS_PER_UNIT.get(entry.get("time_unit", "ns"), 1.0)
    for key in ("real_time", "cpu_time"):
        if key in out:
            out[key + "_ns"] = out.pop(key) * scale
    return out


def _samples(entries: List[dict]) -> Dict[str, List[float]]:
    """Each numeric figure's value in every repetition (the figures all repetitions have)."""
    runs = [_numbers(e) for e in entries if e.get("run_type", "iteration") == "iteration"]
    keys = [k for k in runs[0] if all(k in r for r in runs)] if runs else []
    return {k: [r[k] for r in runs] for k in keys}


def _median_values(entries: List[dict], samples: Dict[str, List[float]]) -> Dict[str, float]:
    """The median of every figure: of its samples, or Google Benchmark's median aggregate
    when only aggregates were written (--benchmark_report_aggregates_only)."""
    if samples:
        return {k: statistics.median(v) for k, v in samples.items()}
    medians = [e for e in entries if e.get("run_type") == "aggregate" and e.get("aggregate_name") == "median"]
    return _numbers(medians[0]) if medians else {}


def _one_line(message) -> str:
    return " ".join(str(message or "").split()) or "(no message)"


def collect(data: dict) -> Tuple[List[Result], List[Tuple[str, str]]]:
    """One Result per run_name (in file order), and the (name, error_message) of each failure."""
    groups: Dict[str, List[dict]] = {}
    failures: List[Tuple[str, str]] = []
    for entry in data["benchmarks"]:
        if not isinstance(entry, dict) or "name" not in entry:
            continue
        run_name = entry.get("run_name") or entry["name"]
        groups.setdefault(run_name, []).append(entry)
        if entry.get("error_occurred"):
            failure = (entry["name"], _one_line(entry.get("error_message")))
            if failure not in failures:
                failures.append(failure)
    results = []
    for run_name, entries in groups.items():
        workload, fields, tags = parse_name(run_name)
        good = [e for e in entries if not e.get("error_occurred")]
        res = Result(run_name, workload, fields, tags, int(entries[0].get("repetitions", 1) or 1))
        if good:
            res.samples = _samples(good)
            res.values = _median_values(good, res.samples)
        if not res.values:
            res.error = next((_one_line(e.get("error_message")) for e in entries if e.get("error_occurred")),
                             "no data")
        results.append(res)
    return results, failures


def pick_best(results: List[Result]) -> List[Result]:
    """One Result per (workload, identity, size): successes over failures, then more repetitions."""
    best: Dict[tuple, Result] = {}
    for res in results:
        key = (res.workload, tuple(res.identity().items()), res.size)
        old = best.get(key)
        if old is None or (res.error is None, res.repetitions) > (old.error is None, old.repetitions):
            best[key] = res
    return list(best.values())


# ---- formatting -------------------------------------------------------------------------------

def fmt_size(n) -> str:
    if not isinstance(n, int):
        return str(n)
    for shift, suffix in ((30, "G"), (20, "M"), (10, "K")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


def fmt_clients(n) -> str:
    return f"{n} client" + ("" if n == 1 else "s")


def is_dict(workload: str) -> bool:
    return workload.startswith(DICT_PREFIX)


def parse_size(text: str) -> int:
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    return int(text[:-1] if mult > 1 else text) * mult


def size_list(text: str) -> List[int]:
    return [parse_size(x.strip()) for x in text.split(",") if x.strip()]


def fmt3(x: float) -> str:
    """Three significant digits, keeping trailing zeros so columns read evenly (1.40, 14.0, 140)."""
    return f"{x:.0f}" if abs(x) >= 99.95 else f"{x:.1f}" if abs(x) >= 9.995 else f"{x:.2f}"


def fmt_rate(x: float) -> str:
    # The 0.9995 makes 999,700 print as 1.00M rather than 1000k.
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale * 0.9995:
            return fmt3(x / scale) + suffix
    return fmt3(x)


def fmt_us(ns: float) -> str:
    return fmt3(ns / 1e3)


def with_spread(res: Result, key: str, text: str, fmt=None) -> str:
    """A median with how far its samples lie from it: "1.26M ±4%" (every sample within 4 %
    of the median); a figure whose samples split into two clusters shows both, never a
    median between them: "2.20M|13.9M bi"."""
    sp = res.spread(key)
    if sp is None:
        return text
    if sp.bimodal:
        fmt = fmt or fmt_rate
        return "|".join(fmt(c) for c, _ in sp.clusters) + " bi"
    deviation = max(sp.high - sp.median, sp.median - sp.low) / sp.median if sp.median else 0
    return f"{text} ±{deviation * 100:.0f}%" if deviation >= 0.005 else f"{text} ±<1%"


def _stream_cell(res: Result):
    v = res.values
    return with_spread(res, "items_per_second", fmt_rate(v["items_per_second"])) if "items_per_second" in v else None


def _rtt_cell(res: Result, prefix: str = "rtt"):
    v = res.values
    p50, p99 = f"{prefix}_p50_ns", f"{prefix}_p99_ns"
    if p50 not in v or p99 not in v:
        return None
    return with_spread(res, p50, f"{v[p50] / 1e3:.1f}/{v[p99] / 1e3:.1f}", lambda ns: f"{ns / 1e3:.1f}")


def _reply_cell(res: Result):
    text = _rtt_cell(res, "reply")
    if text is None:
        return None
    missed = res.values.get("frames_missed", 0)
    return text + (f" ({missed:.0f} missed)" if missed else "")


def _time_cell(res: Result):
    v = res.values
    return with_spread(res, "real_time_ns", fmt_us(v["real_time_ns"]), lambda ns: fmt_us(ns)) if "real_time_ns" in v else None


def _cpu_cell(res: Result):
    v = res.values
    if "leader_cpu_ns_per_iter" in v and "peer_cpu_ns_per_iter" in v:
        return f"{fmt_us(v['leader_cpu_ns_per_iter'])}+{fmt_us(v['peer_cpu_ns_per_iter'])}"
    return None


def _dict_cpu_cell(res: Result):
    # The leader only waits for the clients (~0): clients' CPU, plus the server's where one answers.
    v = res.values
    if "peer_cpu_ns_per_iter" not in v:
        return None
    us = lambda ns: fmt_us(ns) if ns >= 995 else f"{ns / 1e3:.3f}"  # noqa: E731  (plain maps take ~10 ns)
    server = v.get("server_cpu_ns_per_iter")
    return us(v["peer_cpu_ns_per_iter"]) + (f"+{us(server)}" if server is not None else "")


# Workloads not listed here (baselines, future ones) show time per iteration.
METRICS = {
    "stream": ("messages/s", _stream_cell),
    "fanin": ("messages/s, all producers together", _stream_cell),
    "pingpong": ("round-trip time p50/p99, us", _rtt_cell),
    "paced": ("request-to-reply p50/p99 us seen by a 60 Hz loop that polls (frames missed)", _reply_cell),
}
CPU_UNITS = {"stream": "per message", "fanin": "per message", "pingpong": "per round trip", "paced": "per frame"}


@dataclass
class Table:
    title: str
    header: List[str]
    rows: List[List[str]]
    n_keys: int  # leading left-aligned key columns


def _table(title, results, sizes, cell, column=SIZE_KEY, label=fmt_size) -> Table:
    """Rows are the results' identities, columns the values of `column` (labelled by `label`)."""
    keys: List[str] = []
    rows: Dict[tuple, Dict[object, str]] = {}
    for res in results:
        for k in res.identity(column):
            if k not in keys:
                keys.append(k)
    for res in results:
        ident = res.identity(column)
        row = rows.setdefault(tuple(ident.get(k, "-") for k in keys), {})
        if res.error:
            row[res.fields.get(column)] = "n/a" if res.error.startswith(UNSUPPORTED) else "FAIL"
        else:
            row[res.fields.get(column)] = cell(res) or "-"
    # Group rows by key values in first-seen order (transport, then placement, ...), wherever the
    # suite registered a case (the overhead pair comes last in the file).
    seen = [{} for _ in keys]
    for row in rows:
        for i, v in enumerate(row):
            seen[i].setdefault(v, len(seen[i]))
    rows = dict(sorted(rows.items(), key=lambda kv: [seen[i][v] for i, v in enumerate(kv[0])]))
    present = {res.fields.get(column) for res in results}
    cols = sizes or sorted(s for s in present if isinstance(s, int))
    cols = cols + [None] if None in present else cols  # e.g. baseline/pipe-raw beside memcpy/size:N
    header = keys + [label(s) if s is not None else "value" for s in cols]
    body = [[str(v) for v in k] + [cells.get(s, "-") for s in cols] for k, cells in rows.items()]
    return Table(title, header, body, len(keys))


# Workloads in the order a reader meets them; placements and waits from cheap to dear. A run
# written with random interleaving lists its benchmarks in random order: tables never follow it.
WORKLOAD_ORDER = ("stream", "fanin", "pingpong", "paced", "dict-get", "dict-put", "dict-mixed", "startup", "baseline")
PLACEMENT_ORDER = ("thread", "fork", "spawn", "rank")
WAIT_ORDER = ("block", "spin", "hybrid")


def canonical(results: List[Result]) -> List[Result]:
    def rank(order, value):
        return order.index(value) if value in order else len(order)
    return sorted(results, key=lambda r: (
        rank(WORKLOAD_ORDER, r.workload), r.workload, str(r.fields.get("transport", "")),
        rank(PLACEMENT_ORDER, r.fields.get("placement")), rank(WAIT_ORDER, r.fields.get("wait")),
        str(r.fields.get("producers", "")), r.tags, r.name))


def build_tables(results: List[Result], sizes: Optional[List[int]] = None) -> List[Table]:
    tables = []
    results = canonical(results)
    for workload in dict.fromkeys(r.workload for r in results):
        mine = [r for r in results if r.workload == workload]
        if election.is_election(workload) or workload.startswith(harness_cost.FLOOR_PREFIX):
            continue  # their own tables, below
        if is_dict(workload):  # columns are clients, so --sizes does not apply
            by_clients = dict(column=CLIENTS_KEY, label=fmt_clients)
            tables.append(_table(f"{workload}: operations/s, all clients together (median ±spread)", mine, None,
                                 _stream_cell, **by_clients))
            if any(_dict_cpu_cell(r) for r in mine):
                tables.append(_table(f"{workload}: CPU us per operation, clients+server where a server answers"
                                     " (median)", mine, None, _dict_cpu_cell, **by_clients))
            continue
        label, cell = METRICS.get(workload, ("time per iteration, us", _time_cell))
        tables.append(_table(f"{workload}: {label} (median ±spread)", mine, sizes, cell))
        if any(_cpu_cell(r) for r in mine):
            unit = CPU_UNITS.get(workload, "per iteration")
            tables.append(_table(f"{workload}: CPU us {unit}, leader+peer (median)", mine, sizes, _cpu_cell))
    return tables + election.tables(results)


def harness_cost_table(results: List[Result]) -> Optional[Table]:
    """Each suite figure of a one-peer stream or round trip beside its raw floor: the cost is
    the floor's rate over the suite's (harness_cost.py); flagged beyond its bounds."""
    found = harness_cost.pairs(results)
    if not found:
        return None
    rows = []
    for p in sorted(found, key=lambda p: (p.suite.workload, str(p.suite.fields.get("transport")),
                                          str(p.suite.fields.get("wait")), p.suite.size or 0)):
        f = p.suite.fields
        if p.ratio is None:
            cost = p.note
        else:
            cost = f"{p.ratio:.2f}" + (" FLAG" if p.beyond_spread else " flag?" if p.flagged else "")
        cell = lambda r: _stream_cell(r) if r.error is None else "FAIL"  # noqa: E731
        rows.append([p.suite.workload, str(f.get("transport")), str(f.get("wait")), fmt_size(p.suite.size),
                     str(f.get("depth", "-")), cell(p.suite), cell(p.floor), cost])
    title = (f"harness cost: the suite's rate beside its raw floor's (the same mechanism in a hand-written"
             f" loop, bench/floors.hpp), fork; cost = floor / suite, flagged beyond"
             f" {harness_cost.FLAG_HIGH:.2f} or below {harness_cost.FLAG_LOW:.2f}: FLAG when every sample of"
             f" one side lies beyond every sample of the other, flag? when they overlap (maybe noise)")
    header = ["workload", "transport", "wait", "size", "depth", "suite (per s)", "floor (per s)", "cost"]
    return Table(title, header, rows, 5)


def harness_cost_lines(results: List[Result]) -> List[str]:
    found = harness_cost.pairs(results)
    if not found:
        return ["no raw floors in this run (they are measured at 64 B and 1 MiB, fork)"]
    flags = [p for p in found if p.flagged]
    beyond = [p for p in flags if p.beyond_spread]
    bimodal = [p for p in found if p.note == "bimodal"]
    lines = [f"{len(found)} figures beside their raw floors: {len(flags)} flagged ({len(beyond)} beyond the"
             f" spread of their samples), {len(bimodal)} bimodal (clusters in the table above), the rest within"
             f" {harness_cost.FLAG_LOW:.2f}-{harness_cost.FLAG_HIGH:.2f}; README, 'Harness cost', explains each"
             " flag that holds"]
    lines += [f"{'FLAG' if p.beyond_spread else 'flag?'} {p.suite.name}: cost {p.ratio:.2f}" for p in flags]
    return lines


def short_sample_lines(results: List[Result]) -> List[str]:
    """Figures with a sample that fell short of the sample floor (bench/sample.hpp): fewer
    iterations or less time than the floor, its pace having changed since the last run."""
    short = [r for r in results if r.error is None and any(v > 0 for v in r.samples.get("sample_short", []))]
    if not short:
        counted = sum(1 for r in results if r.samples.get("sample_short"))
        return [f"every sample of {counted} figures rested on at least its floor"
                " (100 messages or operations, or 50 round trips, and 20 ms)"]
    return [f"{len(short)} figures had a sample below the floor (100 messages or operations, or 50 round trips,"
            " and 20 ms):"] + [f"SHORT {r.name}: fewest {min(r.samples.get('sample_iterations', [0])):.0f}"
                               f" iterations, shortest {min(r.samples.get('sample_s', [0])) * 1e3:.1f} ms"
                               for r in short]


def harness_overhead(results: List[Result]):
    """(ratio, pingpong ns, baseline ns), or (None, reason) when a side is missing."""
    ok = [r for r in results if r.error is None and "real_time_ns" in r.values]
    cases = [r for r in ok if r.workload == "pingpong" and r.fields.get("wait", OVERHEAD_WAIT) == OVERHEAD_WAIT
             and all(r.fields.get(k) == v for k, v in OVERHEAD_CASE.items())]
    bases = [r for r in ok if r.workload == "baseline" and OVERHEAD_BASELINE in r.tags]
    missing = [what for what, found in (("pingpong pipe fork 8 B", cases), (f"baseline/{OVERHEAD_BASELINE}", bases))
               if not found]
    if missing:
        return None, "no " + " and no ".join(missing) + " result in this run"
    # The plain case (fewest extra keys) is what the raw baseline mirrors; then the repeated run.
    case = min(cases, key=lambda r: (len(r.identity()), -r.repetitions))
    base = max(bases, key=lambda r: r.repetitions)
    pp, bl = case.values["real_time_ns"], base.values["real_time_ns"]
    return pp / bl, pp, bl


def overhead_line(results: List[Result]) -> str:
    ratio, *rest = harness_overhead(results)
    prefix = f"harness overhead: pingpong pipe fork 8 B / baseline/{OVERHEAD_BASELINE}"
    if ratio is None:
        return f"{prefix}: not computed, {rest[0]}"
    verdict = "within target" if ratio <= OVERHEAD_TARGET else "ABOVE TARGET"
    return (f"{prefix} = {ratio:.2f} ({fmt_us(rest[0])} / {fmt_us(rest[1])} us;"
            f" target <= {OVERHEAD_TARGET:.2f}): {verdict}")


def split_failures(failures):
    """[("failed", [...]), ("unsupported, listed by design", [...])]: the latter are not faults."""
    unsupported = [f for f in failures if f[1].startswith(UNSUPPORTED)]
    return [("failed", [f for f in failures if f not in unsupported]),
            ("unsupported, listed by design", unsupported)]


def _find(results: List[Result], workload: str, **fields) -> Optional[Result]:
    """The successful result of that workload whose fields include these (most repeated)."""
    found = [r for r in results if r.error is None and r.workload == workload
             and all(r.fields.get(k) == v for k, v in fields.items())]
    return max(found, key=lambda r: r.repetitions) if found else None


def _baseline(results: List[Result], tag: str, **fields) -> Optional[Result]:
    found = [r for r in results if r.error is None and r.workload == "baseline" and tag in r.tags
             and all(r.fields.get(k) == v for k, v in fields.items())]
    return max(found, key=lambda r: r.repetitions) if found else None


def _best_stream(results, transport, size):
    """(items/s, wait) of the fastest wait strategy (and queue depth) of a fork stream, or (None, None)."""
    found = [r for r in results if r.error is None and r.workload == "stream"
             and r.fields.get("transport") == transport and r.fields.get("placement") == "fork"
             and r.fields.get(SIZE_KEY) == size and "items_per_second" in r.values]
    best = max(found, key=lambda r: r.values["items_per_second"], default=None)
    return (best.values["items_per_second"], best.fields.get("wait")) if best else (None, None)


def target_lines(results: List[Result]) -> List[str]:
    """The performance targets, each as measured in this run (a report, never an assertion)."""
    lines = []

    def add(label, value, op, target, detail):
        if value is None:
            lines.append(f"{label}: not measured in this run")
            return
        ok = value <= target if op == "<=" else value >= target
        lines.append(f"{label} = {value:.2f} (target {op} {target:g}): "
                     f"{'met' if ok else 'NOT MET'} [{detail}]")

    for transport, wait, tag, target in (("shm-spsc", "spin", "cacheline", 2.0),
                                         ("zmq-ipc", "block", "zmq-raw", 1.10)):
        case = _find(results, "pingpong", transport=transport, placement="fork", wait=wait, size=8)
        base = _baseline(results, tag)
        ok = case and base and "real_time_ns" in case.values and "real_time_ns" in base.values
        value = case.values["real_time_ns"] / base.values["real_time_ns"] if ok else None
        detail = (f"{fmt_us(case.values['real_time_ns'])} us / {fmt_us(base.values['real_time_ns'])} us"
                  if ok else "")
        add(f"pingpong {transport} fork wait:{wait} 8 B / baseline/{tag}", value, "<=", target, detail)

    spsc, spsc_wait = _best_stream(results, "shm-spsc", 64)
    boost, boost_wait = _best_stream(results, "queue-boost", 64)
    add("stream 64 B fork: shm-spsc / queue-boost (each at its best wait and depth)",
        spsc / boost if spsc and boost else None, ">=", 3.0,
        f"{fmt_rate(spsc)} wait:{spsc_wait} / {fmt_rate(boost)} wait:{boost_wait}" if spsc and boost else "")
    add("stream 64 B fork: shm-spsc messages/s, millions", spsc / 1e6 if spsc else None, ">=", 10.0,
        f"wait:{spsc_wait}" if spsc else "")
    big = [r for r in results if r.error is None and r.workload == "stream"
           and r.fields.get("transport") == "shm-spsc" and r.fields.get("placement") == "fork"
           and r.fields.get(SIZE_KEY) == 1 << 20 and "bytes_per_second" in r.values]
    best = max(big, key=lambda r: r.values["bytes_per_second"], default=None)
    copy = _baseline(results, "memcpy", size=1 << 20)
    ok = best is not None and copy is not None and "bytes_per_second" in copy.values
    add("stream 1 MiB fork: shm-spsc bandwidth / baseline/memcpy/size:1048576",
        best.values["bytes_per_second"] / copy.values["bytes_per_second"] if ok else None, ">=", 0.5,
        f"{fmt_rate(best.values['bytes_per_second'])}B/s wait:{best.fields.get('wait')} / "
        f"{fmt_rate(copy.values['bytes_per_second'])}B/s" if ok else "")
    return lines


def reference_lines(results: List[Result]) -> List[str]:
    """The documented shared-dict figures beside this run's (a report, never an assertion)."""
    lo, hi = DOC_SHARED_DICT_GETS
    found = (_find(results, "dict-get", **case) for case in (REFERENCE_SHARED, REFERENCE_NORMAL))
    shared, normal = (r.values.get("items_per_second") if r else None for r in found)
    here = lambda x: f"{fmt_rate(x)} operations/s" if x else "not measured in this run"  # noqa: E731
    return [f"shared dict, dict-get dict-manager-unix-stream fork 1 client: {here(shared)}"
            f" (documents: {fmt_rate(lo)}-{fmt_rate(hi)}/s)",
            f"normal dict, dict-get dict-local 1 client: {here(normal)}"
            f" (documents: {fmt_rate(DOC_NORMAL_DICT_GETS)}/s)",
            f"normal / shared: {f'{normal / shared:.0f}x' if shared and normal else 'not measured in this run'}"
            f" (documents: about {DOC_NORMAL_DICT_GETS / hi:.0f}-{DOC_NORMAL_DICT_GETS / lo:.0f}x)"]


def context_lines(ctx: dict) -> List[str]:
    load = " ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
    g = lambda k: ctx.get(k, "?")  # noqa: E731
    return [
        f"ipcmeter {g('ipcmeter_version')} run {g('date')}: {g('cpu_model')}, {g('num_cpus')} cpus"
        + (f", load avg {load}" if load else ""),
        f"{g('kernel')} | {g('compiler')} | glibc {g('glibc')} | build {g('ipcmeter_build_type')}"
        f" | profile {g('ipcmeter_profile')} | pinning {g('ipcmeter_pinning')}",
    ]


def _text_block(t: Table, cols: List[int], title: str) -> str:
    widths = {i: max(len(r[i]) for r in [t.header] + t.rows) for i in cols}
    just = lambda i, s: s.ljust(widths[i]) if i < t.n_keys else s.rjust(widths[i])  # noqa: E731
    line = lambda r: "  ".join(just(i, r[i]) for i in cols).rstrip()  # noqa: E731
    return "\n".join([title, line(t.header), "  ".join("-" * widths[i] for i in cols)] + [line(r) for r in t.rows])


def render_text(t: Table, width: int = TEXT_WIDTH) -> str:
    """Aligned columns; a table wider than `width` continues below, repeating its key columns."""
    widths = [max(len(r[i]) for r in [t.header] + t.rows) for i in range(len(t.header))]
    keys = list(range(t.n_keys))
    chunks, used = [[]], sum(widths[:t.n_keys]) + 2 * t.n_keys
    for i in range(t.n_keys, len(widths)):
        if chunks[-1] and used + widths[i] > width:
            chunks.append([])
            used = sum(widths[:t.n_keys]) + 2 * t.n_keys
        chunks[-1].append(i)
        used += widths[i] + 2
    return "\n\n".join(_text_block(t, keys + c, t.title if n == 0 else t.title + " (continued)")
                       for n, c in enumerate(chunks))


def render_markdown(t: Table) -> str:
    line = lambda cells: "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"  # noqa: E731
    align = ["---" if i < t.n_keys else "--:" for i in range(len(t.header))]
    return "\n".join([f"**{t.title}**", "", line(t.header), line(align)] + [line(r) for r in t.rows])


SPREAD_NOTE = ("Every figure is the median of its samples (repetitions taken at random points of the run); "
               "±N%: every sample lies within N % of it; a|b bi: the samples split into two clusters "
               "(bimodal), shown apart and never averaged.")
# The machine's own floors, sampled through the run (bench/register.cpp, kFloorRepetitions).
FLOORS = (("cacheline", "cache-line round trip, vCPU to vCPU (spinning)"),
          ("pipe-raw", "blocking wake-up round trip (8 B pipe ping-pong)"))
CV_TARGET = 0.05
THROUGHPUT_WORKLOADS = ("stream", "fanin")


def _fmt_ns(ns: float) -> str:
    return f"{ns:.0f} ns" if ns < 995 else f"{fmt_us(ns)} us"


def floor_lines(results: List[Result]) -> List[str]:
    """Each floor's samples through the run: its median and range, and when it was bimodal,
    when the other cluster was seen (a host that moved the vCPUs mid-run)."""
    lines = []
    for tag, what in FLOORS:
        base = _baseline(results, tag)
        xs = base.samples.get("real_time_ns", []) if base else []
        if len(xs) < 2:
            lines.append(f"{what}: not sampled in this run")
            continue
        sp = stats.spread(xs)
        line = (f"{what}: median {_fmt_ns(sp.median)}, {sp.n} samples through the run,"
                f" {_fmt_ns(sp.low)} to {_fmt_ns(sp.high)}")
        if sp.bimodal:
            (lo, n_lo), (hi, n_hi) = sp.clusters
            times = base.samples.get("t_s", [])
            cut = (sp.clusters[0][0] * sp.clusters[1][0]) ** 0.5
            slow = [t for x, t in zip(xs, times) if x > cut] if len(times) == len(xs) else []
            when = f", the slower ones at {min(slow):.0f}-{max(slow):.0f} s into the run" if slow else ""
            line += (f"; BIMODAL: {n_lo} near {_fmt_ns(lo)}, {n_hi} near {_fmt_ns(hi)}{when}: the host moved"
                     " the vCPUs; figures bound by this floor may split the same way")
        lines.append(line)
    return lines


def bimodal_lines(results: List[Result]) -> List[str]:
    """Every figure whose samples split into clusters, with the clusters."""
    lines = []
    for res in canonical(results):
        for key, fmt in (("items_per_second", fmt_rate), ("rtt_p50_ns", _fmt_ns), ("reply_p50_ns", _fmt_ns),
                         ("sims_per_s", fmt_rate), ("edit_p99_ns", _fmt_ns)):
            if key == "items_per_second" and election.is_election(res.workload):
                continue  # the same figure as its sims_per_s, or frames per second
            sp = res.spread(key) if res.error is None and res.workload != "baseline" else None
            if sp and sp.bimodal:
                clusters = " | ".join(f"{fmt(c)} ({k} sample{'s' if k > 1 else ''})" for c, k in sp.clusters)
                lines.append(f"{res.name} {key}: {clusters}")
    return lines


def spread_lines(results: List[Result], profile: str) -> List[str]:
    """How tightly the throughput figures repeat: the full profile's target is CV <= 5 % for
    every one that is not bimodal (a benchmark of the suite itself, never a test)."""
    figures = [(r, r.spread("items_per_second")) for r in results
               if r.error is None and r.workload in THROUGHPUT_WORKLOADS]
    figures = [(r, sp) for r, sp in figures if sp is not None and sp.cv is not None]
    if not figures:
        return ["throughput figures: fewer than two samples each, no spread to report"]
    unimodal = [(r, sp) for r, sp in figures if not sp.bimodal]
    within = [r for r, sp in unimodal if sp.cv <= CV_TARGET]
    widest = sorted(unimodal, key=lambda f: -f[1].cv)[:3]
    target = "the full profile's target" if profile != "full" else "target"
    counts = sorted({sp.n for _, sp in figures})
    each = str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    lines = [f"throughput figures (stream, fanin): {len(within)} of {len(unimodal)} not bimodal have"
             f" CV <= {CV_TARGET:.0%} ({target}: all of them; samples each: {each});"
             f" {len(figures) - len(unimodal)} bimodal"]
    lines += [f"widest: {r.name} CV {sp.cv:.0%}" for r, sp in widest]
    return lines


def until_stable_lines(context: dict) -> List[str]:
    """What scripts/run-suite.sh --until-stable did to the spread (plots/stability.py)."""
    before, after = context.get("ipcmeter_stable_before"), context.get("ipcmeter_stable_after")
    if not before:
        return []
    return [f"--until-stable re-ran the figures above CV {CV_TARGET:.0%} or bimodal: within"
            f" {CV_TARGET:.0%} before: {before}; after: {after}"]


def format_report(data: dict, sizes: Optional[List[int]] = None, fmt: str = "text",
                  run_path: Optional[str] = None) -> str:
    results, failures = collect(data)
    best = pick_best(results)
    render = render_markdown if fmt == "markdown" else render_text
    head = context_lines(data.get("context", {}))
    parts = ["\n".join(f"- {h}" for h in head + [SPREAD_NOTE]) if fmt == "markdown"
             else "\n".join(head + textwrap.wrap(SPREAD_NOTE, TEXT_WIDTH - 2))]
    bullet = "- " if fmt == "markdown" else "  "

    def listed(title: str, lines: List[str]) -> str:
        """A titled list; in text, long items wrap under themselves."""
        if fmt == "markdown":
            return "\n".join([title] + [f"- {line}" for line in lines])
        return "\n".join([title] + [textwrap.fill(line, TEXT_WIDTH, initial_indent="  ", subsequent_indent="      ")
                                    for line in lines])
    parts.append(listed("THE ANSWER (this run's numbers; every ratio within one run):", answer.answer_lines(best)))
    if run_path is not None:
        table, notes = answer.documented_rows(run_path)
        if table is not None:
            parts.append(render(table))
        parts.append(listed("documented figures, verdicts:", notes))
    parts.append(listed("machine floors through the run:", floor_lines(best)))
    cost = harness_cost_table(best)
    if cost is not None:
        parts.append(render(cost))
    parts.append(listed("harness cost:", harness_cost_lines(best)))
    parts.append(listed("sample floor:", short_sample_lines(best)))
    parts += [render(t) for t in build_tables(best, sizes)]
    profile = data.get("context", {}).get("ipcmeter_profile", "?")
    if any(election.is_election(r.workload) for r in best):
        parts.append(listed("the election projection (this run's answers):", election.answer_lines(best)))
    parts.append(listed("spread of the samples:", spread_lines(best, profile)
                        + until_stable_lines(data.get("context", {}))))
    split = bimodal_lines(best)
    if split:
        parts.append(listed(f"bimodal figures ({len(split)}), their clusters never averaged:", split))
    for title, items in split_failures(failures):
        if items:
            parts.append("\n".join([f"{title} ({len(items)}):"] + [f"{bullet}{n}: {m}" for n, m in items]))
    parts.append(overhead_line(best))
    targets = target_lines(best)
    parts.append("\n".join(["performance targets (ratios measured in this run):"]
                           + [f"{bullet}{line}" for line in targets]))
    parts.append("\n".join(["reference figures (documents: Pentium 4, 2.5 GHz, Python processing package):"]
                           + [f"{bullet}{line}" for line in reference_lines(best)]))
    return "\n\n".join(parts) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run", help="Google Benchmark JSON written with --benchmark_out_format=json")
    ap.add_argument("--sizes", type=size_list,
                    help="comma-separated message sizes to show, e.g. 64,65536 or 64,64K")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    args = ap.parse_args(argv)
    try:
        data = load_run(args.run)
    except InputError as e:
        print(f"summarize.py: {e}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(format_report(data, args.sizes, args.format, args.run))
        sys.stdout.flush()
    except BrokenPipeError:
        # Piped into head: not an error; keep Python from complaining again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
