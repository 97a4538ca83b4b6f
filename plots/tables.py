"""The summary's tables: one per workload and figure (messages/s, round trips, CPU time, ...),
the shared dictionaries by clients, the election's own tables after them.

A view: imports formatting.py, runfile.py, tabular.py, election.py (its tables, and which
workloads are its) and harness_cost.py (the raw floors, which get no table here); summary.py
and the report's page show what it builds.
"""

from typing import List, Optional

import election
from formatting import fmt_clients, fmt_us
from harness_cost import FLOOR_PREFIX
from runfile import CLIENTS_KEY, Result, canonical, is_dict
from tabular import Table, results_table, stream_cell, with_spread


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
    "stream": ("messages/s", stream_cell),
    "fanin": ("messages/s, all producers together", stream_cell),
    "pingpong": ("round-trip time p50/p99, us", _rtt_cell),
    "paced": ("request-to-reply p50/p99 us seen by a 60 Hz loop that polls (frames missed)", _reply_cell),
}
CPU_UNITS = {"stream": "per message", "fanin": "per message", "pingpong": "per round trip", "paced": "per frame"}


def _dict_tables(workload: str, mine: List[Result]) -> List[Table]:
    """A shared-dictionary workload's tables: columns are clients, so --sizes does not apply."""
    by_clients = dict(column=CLIENTS_KEY, label=fmt_clients)
    out = [results_table(f"{workload}: operations/s, all clients together (median ±spread)", mine, None,
                         stream_cell, **by_clients)]
    if any(_dict_cpu_cell(r) for r in mine):
        out.append(results_table(f"{workload}: CPU us per operation, clients+server where a server answers"
                                 " (median)", mine, None, _dict_cpu_cell, **by_clients))
    return out


def _sized_tables(workload: str, mine: List[Result], sizes: Optional[List[int]]) -> List[Table]:
    """A workload's figure by message size, and its CPU time when the run has it."""
    label, cell = METRICS.get(workload, ("time per iteration, us", _time_cell))
    out = [results_table(f"{workload}: {label} (median ±spread)", mine, sizes, cell)]
    if any(_cpu_cell(r) for r in mine):
        unit = CPU_UNITS.get(workload, "per iteration")
        out.append(results_table(f"{workload}: CPU us {unit}, leader+peer (median)", mine, sizes, _cpu_cell))
    return out


def build_tables(results: List[Result], sizes: Optional[List[int]] = None) -> List[Table]:
    """Every table of a run, workloads in the order a reader meets them, the election's last."""
    tables = []
    results = canonical(results)
    for workload in dict.fromkeys(r.workload for r in results):
        if election.is_election(workload) or workload.startswith(FLOOR_PREFIX):
            continue  # their own tables, below and in the harness cost
        mine = [r for r in results if r.workload == workload]
        tables += _dict_tables(workload, mine) if is_dict(workload) else _sized_tables(workload, mine, sizes)
    return tables + election.tables(results)
