"""Tests for the open loop's view (plots/open_loop.py): the knee found on crafted curves, the
knee table in the summary, and the latency-against-load figure, on crafted runs."""

import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "plots"))
import open_loop  # noqa: E402
import runfile  # noqa: E402
import summary  # noqa: E402
from open_loop import Point  # noqa: E402

NAME = "rate/transport:{transport}/placement:{placement}/wait:block/rate:{rate}/size:64/manual_time"


def curve(*p99_us, sustained=None):
    """Points at 1k, 10k, 100k, 1M... messages/s with these p99s (p50 a third of them)."""
    sustained = sustained or [True] * len(p99_us)
    return [Point(rate=10 ** (3 + i), p50_ns=us * 1e3 / 3, p99_ns=us * 1e3, p999_ns=us * 2e3,
                  achieved=10 ** (3 + i) * (1.0 if ok else 0.4), sustained=ok)
            for i, (us, ok) in enumerate(zip(p99_us, sustained))]


def entries(transport, placement, rate, p99_us, sustained=1.0, samples=3, at_max=False):
    """A rate point's samples; at_max: the rate:max point, offering `rate` (its counter)."""
    name = NAME.format(transport=transport, placement=placement, rate="max" if at_max else rate)
    return [{"name": name, "run_name": name, "run_type": "iteration", "repetitions": samples,
             "real_time": 1e9 / rate, "cpu_time": 1e9 / rate, "time_unit": "ns", "items_per_second": rate,
             "latency_p50_ns": p99_us * 300.0, "latency_p99_ns": p99_us * 1e3, "latency_p999_ns": p99_us * 2e3,
             "offered_per_s": rate, "achieved_per_s": rate * (1.0 if sustained else 0.3), "sustained": sustained}
            for _ in range(samples)]


def run_of(*figures):
    return {"context": {}, "benchmarks": [e for f in figures for e in f]}


class Knee(unittest.TestCase):
    def test_the_highest_rate_before_p99_doubles(self):
        # 10, 12, 19 us stay within 2x the 10 us at 1k; 100 us at 1M does not.
        self.assertEqual(open_loop.knee(curve(10, 12, 19, 100)).rate, 100_000)

    def test_a_rate_not_sustained_ends_the_curve_whatever_its_p99(self):
        self.assertEqual(open_loop.knee(curve(10, 11, 12, 13, sustained=[True, True, False, True])).rate, 10_000)

    def test_the_climb_stops_at_the_first_break_even_if_a_later_rate_recovers(self):
        self.assertEqual(open_loop.knee(curve(10, 25, 12, 11)).rate, 1_000)

    def test_exactly_twice_is_still_within_and_no_knee_when_the_lowest_rate_failed(self):
        self.assertEqual(open_loop.knee(curve(10, 20)).rate, 10_000)
        self.assertIsNone(open_loop.knee(curve(10, 11, sustained=[False, True])))
        self.assertIsNone(open_loop.knee([]))

    def test_what_broke_past_the_knee_is_said(self):
        points = curve(10, 12, 50, sustained=[True, True, True])
        self.assertEqual(open_loop.past_knee(points, open_loop.knee(points)), "100k/s: p99 50.0 us")
        points = curve(10, 12, 13, sustained=[True, True, False])
        self.assertIn("not sustained", open_loop.past_knee(points, open_loop.knee(points)))
        points = curve(10, 12)
        self.assertEqual(open_loop.past_knee(points, open_loop.knee(points)), "every rate measured held")


class FromARun(unittest.TestCase):
    def best(self, data):
        results, _ = runfile.collect(data)
        return runfile.pick_best(results)

    def crafted(self):
        # pipe between threads: knee at 10k (100k's p99 is 5x); shm-spsc to a forked process:
        # knee at 100k (1M not sustained); zmq-ipc: the lowest rate already failed.
        return run_of(entries("pipe", "thread", 1000, 20), entries("pipe", "thread", 10000, 30),
                      entries("pipe", "thread", 100000, 100),
                      entries("shm-spsc", "fork", 1000, 5), entries("shm-spsc", "fork", 100000, 6),
                      entries("shm-spsc", "fork", 1000000, 7, sustained=0.0),
                      entries("zmq-ipc", "fork", 1000, 50, sustained=0.0))

    def test_curves_group_by_transport_placement_size_and_wait_by_rising_rate(self):
        found = open_loop.curves(self.best(self.crafted()))
        self.assertEqual([p.rate for p in found[("pipe", "thread", 64, "block")]], [1000, 10000, 100000])
        self.assertFalse(found[("shm-spsc", "fork", 64, "block")][-1].sustained)

    def test_the_summary_has_a_knee_table(self):
        text = summary.format_report(self.crafted())
        self.assertIn("rate: latency under offered load", text)
        rows = {line.split()[0]: line for line in text.splitlines() if line.split()[:1] in (["pipe"], ["shm-spsc"], ["zmq-ipc"])
                and "/s" in line}
        self.assertIn("10.0k/s", rows["pipe"])
        self.assertIn("100k/s: p99 100 us", rows["pipe"])
        self.assertIn("1.00M/s not sustained", rows["shm-spsc"])
        self.assertIn("none", rows["zmq-ipc"])

    def test_the_figure_has_a_panel_per_placement_and_rings_each_knee(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = open_loop.latency_load_figure(plt, self.best(self.crafted()))
        self.assertEqual(len(fig.axes), 2)  # one size, two placements
        thread_panel = [ax for ax in fig.axes if ax.get_title().startswith("thread")][0]
        rings = [l for l in thread_panel.get_lines() if l.get_marker() == "o" and l.get_markerfacecolor() == "none"]
        self.assertEqual([list(r.get_xdata()) for r in rings], [[10000]])
        plt.close(fig)
        self.assertIsNone(open_loop.latency_load_figure(plt, []))

    def with_max(self):
        # shm-spsc's closed-loop maximum, 350k/s, measured in the run: between 100k and 1M.
        return run_of(entries("shm-spsc", "fork", 1000, 5), entries("shm-spsc", "fork", 100000, 6),
                      entries("shm-spsc", "fork", 350000, 40, sustained=0.0, at_max=True),
                      entries("shm-spsc", "fork", 1000000, 90, sustained=0.0))

    def test_the_closed_loop_maximum_is_a_point_at_its_measured_rate(self):
        points = open_loop.curves(self.best(self.with_max()))[("shm-spsc", "fork", 64, "block")]
        self.assertEqual([(p.rate, p.at_max) for p in points],
                         [(1000, False), (100000, False), (350000, True), (1000000, False)])
        # The climb meets it before 1M: it is what broke past the knee.
        self.assertEqual(open_loop.knee(points).rate, 100000)
        self.assertEqual(open_loop.past_knee(points, open_loop.knee(points)),
                         "350k/s (closed-loop max) not sustained (achieved 105k/s)")

    def test_a_closed_loop_maximum_below_the_sweep_is_no_low_load(self):
        # zmq-ipc at 64 KiB: 9.4k/s closed loop, under the sweep's 10k; its p99 is no baseline.
        data = run_of(entries("zmq-ipc", "thread", 9400, 1700, at_max=True), entries("zmq-ipc", "thread", 10000, 390),
                      entries("zmq-ipc", "thread", 100000, 900, sustained=0.0))
        points = open_loop.curves(self.best(data))[("zmq-ipc", "thread", 64, "block")]
        self.assertEqual(open_loop.low_load(points).rate, 10000)
        # The climb starts at 9.4k, whose 1700 us is over twice the 390 us at 10k: no knee.
        self.assertIsNone(open_loop.knee(points))
        self.assertEqual(open_loop.past_knee(points, None), "9.40k/s (closed-loop max): p99 1700 us")
        text = summary.format_report(data)
        self.assertIn("10.0k/s: 390 us", text)

    def test_the_table_says_what_the_closed_loop_maximum_did_and_the_figure_squares_it(self):
        text = summary.format_report(self.with_max())
        self.assertIn("at the closed-loop max", text)
        self.assertIn("350k/s: p99 40.0 us (not sustained, achieved 105k/s)", text)
        self.assertIn("64 B", text)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = open_loop.latency_load_figure(plt, self.best(self.with_max()))
        squares = [l for l in fig.axes[0].get_lines() if l.get_marker() == "s"]
        self.assertEqual([list(q.get_xdata()) for q in squares], [[350000]])
        self.assertEqual(fig.axes[0].get_title(), "fork, 64 B")
        plt.close(fig)


if __name__ == "__main__":
    unittest.main()
