"""The run-file model: a Google Benchmark JSON run of ipcmeter read into one Result per benchmark.

Loading a run (a file, or a run directory's bench.json), parsing a benchmark's name into its
workload, key:value fields and bare tags, collecting every repetition's figures (samples) and
their medians, picking the best result of each case, finding results by their fields, the
order a reader meets them in, and writing a run back. Imports stats.py only: every view and
script of plots/ builds on this module, and it knows none of them.
"""

import json
import os
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import stats

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
UNSUPPORTED = "unsupported"  # error_message prefix of combinations the suite lists but cannot run
# Workload families whose names take two segments (election/ui, election/parallel, ...), the
# raw floors among them (floor/stream, floor/pingpong: harness_cost.py).
FAMILIES = ("election", "floor")
# Workloads in the order a reader meets them; placements and waits from cheap to dear. A run
# written with random interleaving lists its benchmarks in random order: tables never follow it.
WORKLOAD_ORDER = ("stream", "fanin", "pingpong", "paced", "rate", "dict-get", "dict-put", "dict-mixed", "startup", "baseline")
PLACEMENT_ORDER = ("thread", "fork", "spawn", "rank")
WAIT_ORDER = ("block", "spin", "hybrid")


class InputError(Exception):
    """The run file cannot be read as a run; the message is the one-line reason."""


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

    def spread(self, key: str) -> Optional[stats.Spread]:
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


def is_dict(workload: str) -> bool:
    return workload.startswith(DICT_PREFIX)


def read_json(path: str):
    """A JSON file's contents, or an InputError that says in one line why not."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: invalid JSON ({e})") from None


def load_run(path: str) -> dict:
    data = read_json(path)
    benchmarks = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(benchmarks, list) or not any(isinstance(b, dict) and "name" in b for b in benchmarks):
        raise InputError(f"{path}: no benchmarks in the JSON")
    return data


def load_run_dir(path: str) -> Tuple[dict, str]:
    """(the run's JSON, the file it came from), read from a JSON file or a run directory's
    bench.json; a file whose benchmarks carry no real_time is not Google Benchmark's."""
    if os.path.isdir(path):
        json_path = os.path.join(path, "bench.json")
        if not os.path.exists(json_path):
            raise InputError(f"{path}: a directory without bench.json (not an ipcmeter run)")
        path = json_path
    data = load_run(path)
    bad = [b for b in data["benchmarks"] if isinstance(b, dict) and "name" in b
           and not b.get("error_occurred") and "real_time" not in b]
    if bad:
        raise InputError(f"{path}: not Google Benchmark JSON ('{bad[0]['name']}' has no real_time)")
    return data, path


def write_run(path: str, data: dict) -> None:
    """Write through PATH.partial and rename, so a reader never sees half a run."""
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


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


def split_failures(failures):
    """[("failed", [...]), ("unsupported, listed by design", [...])]: the latter are not faults."""
    unsupported = [f for f in failures if f[1].startswith(UNSUPPORTED)]
    return [("failed", [f for f in failures if f not in unsupported]),
            ("unsupported, listed by design", unsupported)]


def find(results: List[Result], workload: str, **fields) -> Optional[Result]:
    """The successful result of that workload whose fields include these (most repeated)."""
    found = [r for r in results if r.error is None and r.workload == workload
             and all(r.fields.get(k) == v for k, v in fields.items())]
    return max(found, key=lambda r: r.repetitions) if found else None


def baseline(results: List[Result], tag: str, **fields) -> Optional[Result]:
    """The successful baseline/<tag> result whose fields include these (most repeated)."""
    found = [r for r in results if r.error is None and r.workload == "baseline" and tag in r.tags
             and all(r.fields.get(k) == v for k, v in fields.items())]
    return max(found, key=lambda r: r.repetitions) if found else None


def _rank(order, value) -> int:
    """value's place in order; anything not listed after everything listed."""
    return order.index(value) if value in order else len(order)


def canonical(results: List[Result]) -> List[Result]:
    """The results in the order a reader meets them (workload, transport, placement, wait, ...)."""
    return sorted(results, key=lambda r: (
        _rank(WORKLOAD_ORDER, r.workload), r.workload, str(r.fields.get("transport", "")),
        _rank(PLACEMENT_ORDER, r.fields.get("placement")), _rank(WAIT_ORDER, r.fields.get("wait")),
        str(r.fields.get("producers", "")), r.tags, r.name))
