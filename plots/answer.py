"""The answer first: threads or processes, and then which transport, from one run's numbers.

Every comparison is made within one wait strategy (blocking, the default, unless no blocking
figure exists), and a spinning figure is named as such: a spinning transport burns a core to
win, so it is never ranked against a blocking one without saying so.

A view: imports formatting.py and runfile.py; summary.py and the report's page show its lines.
"""

from __future__ import annotations

from typing import List, Optional

from formatting import bytes_text, fmt_rate
from runfile import Result

SMALL, LARGE = 64, 1 << 20
PROCESS = "fork"  # the process placement the answer quotes (spawn differs only in start-up)


def _stream(results, placement: str, size: int, wait: str) -> List[Result]:
    found = [r for r in results if r.error is None and r.workload == "stream" and "items_per_second" in r.values
             and r.fields.get("placement") == placement and r.fields.get("size") == size
             and r.fields.get("wait") == wait]
    return sorted(found, key=lambda r: -r.values["items_per_second"])


def _name(r: Result) -> str:
    """The transport, with its queue depth when it has one."""
    depth = r.fields.get("depth")
    return str(r.fields["transport"]) + (f" depth:{depth}" if depth is not None else "")


def _rate(r: Result, size: int) -> str:
    text = f"{fmt_rate(r.values['items_per_second'])} messages/s"
    if size >= 1 << 16 and "bytes_per_second" in r.values:
        text += f" ({fmt_rate(r.values['bytes_per_second'])}B/s)"
    return text


def fastest_line(results, placement: str, size: int, who: str) -> str:
    label = f"{who}, {bytes_text(size)} messages"
    blocking = _stream(results, placement, size, "block")
    if not blocking:
        return f"{label}: not measured in this run"
    first = blocking[0]
    line = f"{label}: {_name(first)} is fastest with blocking waits, {_rate(first, size)}"
    # The next transport, not the same one at another depth.
    second = next((r for r in blocking if r.fields["transport"] != first.fields["transport"]), None)
    if second is not None:
        line += (f", {first.values['items_per_second'] / second.values['items_per_second']:.2f}x the next,"
                 f" {_name(second)} ({fmt_rate(second.values['items_per_second'])}/s)")
    spinning = _stream(results, placement, size, "spin")
    if spinning:
        s = spinning[0]
        line += (f"; spinning (a core burnt waiting), {_name(s)} reaches"
                 f" {fmt_rate(s.values['items_per_second'])}/s")
    return line


def _best_rtt(results, placement: str) -> Optional[Result]:
    found = [r for r in results if r.error is None and r.workload == "pingpong" and "rtt_p50_ns" in r.values
             and r.fields.get("placement") == placement and r.fields.get("wait") == "block"
             and r.fields.get("size") in (8, 64)]
    return min(found, key=lambda r: r.values["rtt_p50_ns"], default=None)


def _startup(results, placement: str) -> Optional[Result]:
    found = [r for r in results if r.error is None and r.workload == "startup" and "real_time_ns" in r.values
             and r.fields.get("placement") == placement]
    return max(found, key=lambda r: r.repetitions, default=None)


def process_cost_lines(results) -> List[str]:
    lines = []
    for size in (SMALL, LARGE):
        t, p = _stream(results, "thread", size, "block"), _stream(results, PROCESS, size, "block")
        if t and p:
            ratio = t[0].values["items_per_second"] / p[0].values["items_per_second"]
            lines.append(f"throughput at {bytes_text(size)} (best of each, blocking): a thread moves {ratio:.2f}x"
                         f" what a process does ({t[0].fields['transport']} {fmt_rate(t[0].values['items_per_second'])}/s"
                         f" against {p[0].fields['transport']} {fmt_rate(p[0].values['items_per_second'])}/s)")
    t, p = _best_rtt(results, "thread"), _best_rtt(results, PROCESS)
    if t and p:
        lines.append(f"round trip (best of each, blocking, {bytes_text(t.fields['size'])}): a process takes"
                     f" {p.values['rtt_p50_ns'] / t.values['rtt_p50_ns']:.2f}x a thread's"
                     f" ({_name(p)} {p.values['rtt_p50_ns'] / 1e3:.1f} us p50 against"
                     f" {_name(t)} {t.values['rtt_p50_ns'] / 1e3:.1f} us)")
    starts = {pl: _startup(results, pl) for pl in ("thread", "fork", "spawn")}
    if starts["thread"] and starts["fork"]:
        t = starts["thread"].values["real_time_ns"]
        text = (f"start-up (create a link, start the worker, one round trip, reap it): thread {t / 1e3:.0f} us,"
                f" fork {starts['fork'].values['real_time_ns'] / 1e3:.0f} us"
                f" ({starts['fork'].values['real_time_ns'] / t:.1f}x)")
        if starts["spawn"]:
            text += (f", spawn {starts['spawn'].values['real_time_ns'] / 1e3:.0f} us"
                     f" ({starts['spawn'].values['real_time_ns'] / t:.1f}x)")
        lines.append(text)
    return lines or ["what a process costs over a thread: not measured in this run"]


def answer_lines(results) -> List[str]:
    return ([fastest_line(results, "thread", size, "between threads") for size in (SMALL, LARGE)]
            + [fastest_line(results, PROCESS, size, "between processes (fork)") for size in (SMALL, LARGE)]
            + process_cost_lines(results))
