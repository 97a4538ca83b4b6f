"""Tests for plots/stats.py, compare.py (comparison.py), transports.py (transports_view.py),
merge.py and the spread in the summary's cells (tabular.py, sampling.py), on committed
fixtures (tests/fixtures/compare/) and crafted samples."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "compare")
RUN_WAITS = os.path.join(ROOT, "tests", "fixtures", "quick-run-waits.json")
sys.path.insert(0, PLOTS)
import runfile  # noqa: E402
import sampling  # noqa: E402
import stats  # noqa: E402
import tabular  # noqa: E402
import transports_view  # noqa: E402


def fixture(name):
    return os.path.join(FIXTURES, name)


def script(name, *args):
    return subprocess.run([sys.executable, os.path.join(PLOTS, name), *args],
                          capture_output=True, text=True, timeout=120)


class MannWhitney(unittest.TestCase):
    def test_exact_p_for_fully_separated_samples(self):
        # No ties: the exact distribution. Fully separated, 3 against 3: 2 orderings of 20 are
        # as extreme, p = 0.1, never below 0.05; 5 against 5: 2 of 252.
        self.assertEqual(stats.mann_whitney([1, 2, 3], [4, 5, 6]), (0.0, 0.1))
        u, p = stats.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        self.assertEqual(u, 0.0)
        self.assertAlmostEqual(p, 2 / 252)

    def test_matches_the_worked_example_of_scipys_documentation(self):
        # scipy.stats.mannwhitneyu's documented example (ages of male and female employees):
        # U = 17, exact two-sided p = 0.1111.
        u, p = stats.mann_whitney([19, 22, 16, 29, 24], [20, 11, 17, 12])
        self.assertEqual(u, 17.0)
        self.assertAlmostEqual(p, 0.1111111111, places=8)

    def test_ties_use_the_corrected_normal_approximation(self):
        x, y = [1, 2, 2, 3, 3, 3], [3, 4, 4, 5, 5, 6]
        u, p = stats.mann_whitney(x, y)
        self.assertEqual(u, 1.5)  # ranks with ties averaged
        self.assertLess(p, 0.01)
        self.assertEqual(stats.mann_whitney(y, x)[1], p)  # two-sided: symmetric
        self.assertEqual(stats.mann_whitney([5, 5, 5], [5, 5, 5]), (4.5, 1.0))

    def test_smallest_p_says_when_a_test_can_succeed(self):
        self.assertAlmostEqual(stats.smallest_p(3, 3), 0.1)
        self.assertLess(stats.smallest_p(4, 4), 0.05)


class Clusters(unittest.TestCase):
    def test_the_issues_measured_splits_are_bimodal(self):
        # shm-spsc 64 B stream: 2.2 M msgs/s in 3 repetitions, 12-16 M in 5.
        sp = stats.spread([2.2e6, 2.21e6, 2.19e6, 12e6, 13e6, 14e6, 15e6, 16e6])
        self.assertTrue(sp.bimodal)
        self.assertEqual([k for _, k in sp.clusters], [3, 5])
        self.assertAlmostEqual(sp.clusters[0][0], 2.2e6)
        # A spinning round trip: 303-311 ns in 6, 711-767 ns in 2.
        sp = stats.spread([303, 305, 307, 309, 311, 306, 711, 767])
        self.assertEqual([k for _, k in sp.clusters], [6, 2])

    def test_noise_and_a_lone_outlier_are_not_modes(self):
        self.assertFalse(stats.spread([100, 104, 98, 103, 101]).bimodal)
        self.assertFalse(stats.spread([100, 101, 102, 103, 300]).bimodal)  # one stray of five
        self.assertFalse(stats.spread([100, 120, 140, 160, 180]).bimodal)  # spread, no gap

    def test_cv_and_range(self):
        sp = stats.spread([9, 10, 11])
        self.assertEqual((sp.n, sp.median, sp.low, sp.high), (3, 10, 9, 11))
        self.assertAlmostEqual(sp.cv, 0.1)
        self.assertIsNone(stats.spread([5]).cv)


class Compare(unittest.TestCase):
    def test_regression_is_found_and_fails(self):
        proc = script("compare.py", fixture("a.json"), fixture("b.json"))
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("1 regressed", proc.stdout)
        lines = {ln.split()[0]: ln for ln in proc.stdout.splitlines() if ln.startswith(("stream", "pingpong", "dict", "startup"))}
        self.assertIn("SLOWER by 30%", lines["stream/transport:shm-spsc/placement:fork/wait:block/size:64/manual_time"])
        self.assertIn("faster by 24%", lines["stream/transport:pipe/placement:fork/wait:block/size:64/manual_time"])
        self.assertIn("no significant difference", lines["pingpong/transport:pipe/placement:fork/wait:block/size:64/manual_time"])
        # 10 ns operations keep their digits (the units differ between benchmarks).
        self.assertIn("10.1 ns", lines["dict-get/transport:dict-local/placement:thread/wait:block/clients:1/manual_time"])
        # One sample a side: listed, not tested, not an error.
        self.assertIn("not tested: 1 against 1", lines["startup/transport:pipe/placement:spawn/real_time"])

    def test_benchmarks_in_one_run_or_failed_are_listed(self):
        out = script("compare.py", fixture("a.json"), fixture("b.json")).stdout
        self.assertIn("only in A (1):\n  stream/transport:zmq-ipc", out)
        self.assertIn("only in B (1):\n  stream/transport:tcp", out)
        self.assertIn("failed (1):\n  stream/transport:queue-boost/placement:fork/wait:block/size:64/manual_time in B:"
                      " stream transport:queue-boost", out)

    def test_the_same_run_has_no_regression_and_a_larger_threshold_forgives(self):
        self.assertEqual(script("compare.py", fixture("a.json"), fixture("a.json")).returncode, 0)
        self.assertEqual(script("compare.py", fixture("a.json"), fixture("b.json"), "--threshold", "0.5").returncode, 0)

    def test_markdown_for_a_job_summary(self):
        proc = script("compare.py", fixture("a.json"), fixture("b.json"), "--format", "markdown")
        self.assertIn("## ipcmeter comparison", proc.stdout)
        self.assertIn("| benchmark | A | B | B/A | p | verdict |", proc.stdout)
        self.assertIn("| <0.001 | SLOWER by 30% |", proc.stdout)

    def test_plot_is_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "c.png")
            proc = subprocess.run(["/usr/bin/python3", os.path.join(PLOTS, "compare.py"), fixture("a.json"),
                                   fixture("b.json"), "--plot", png], capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            with open(png, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_bad_input_is_one_line_and_exit_2(self):
        with tempfile.TemporaryDirectory() as empty_dir:
            cases = [
                ((fixture("missing.json"), fixture("b.json")), "no such file"),
                ((fixture("malformed.json"), fixture("b.json")), "invalid JSON"),
                ((fixture("other-tool.json"), fixture("b.json")), "no benchmarks in the JSON"),
                ((fixture("no-times.json"), fixture("b.json")), "not Google Benchmark JSON"),
                ((fixture("a.json"), fixture("disjoint.json")), "no benchmark in common"),
                ((empty_dir, fixture("b.json")), "without bench.json"),
                ((fixture("a.json"), fixture("b.json"), "--alpha", "2"), "--alpha"),
            ]
            for args, expected in cases:
                proc = script("compare.py", *args)
                self.assertEqual(proc.returncode, 2, args)
                self.assertEqual(proc.stdout, "", args)
                self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
                self.assertIn(expected, proc.stderr)
                self.assertTrue(proc.stderr.startswith("compare.py: "), proc.stderr)


class Merge(unittest.TestCase):
    def test_samples_of_several_runs_become_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.json")
            proc = script("merge.py", out, fixture("a.json"), fixture("a.json"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out) as f:
                merged = json.load(f)
            results, _ = runfile.collect(merged)
            same = [r for r in results if r.name.startswith("pingpong/transport:pipe")][0]
            self.assertEqual(len(same.samples["real_time_ns"]), 18)  # aggregates dropped
            self.assertEqual(merged["context"]["ipcmeter_merged_runs"], "2")
            self.assertEqual(script("merge.py", out, fixture("malformed.json")).returncode, 2)


class Transports(unittest.TestCase):
    def run_waits(self):
        return runfile.pick_best(runfile.collect(runfile.load_run(RUN_WAITS))[0])

    def test_ranked_per_workload_and_size_with_the_process_thread_ratio(self):
        found = transports_view.tables(self.run_waits(), "block", [64])
        titles = [t.title for t in found]
        self.assertTrue(titles[0].startswith("stream 64 B, wait:block: messages/s"), titles)
        stream = found[0]
        ranked = [row[1] for row in stream.rows]
        rates = {}
        for r in self.run_waits():
            if r.workload == "stream" and r.fields.get("wait") == "block" and r.size == 64 and r.fields["placement"] == "fork":
                rates[r.fields["transport"]] = r.values["items_per_second"]
        self.assertEqual(ranked, sorted(rates, key=lambda t: -rates[t]))  # best fork figure first
        for row in stream.rows:
            by_placement = {r.fields["placement"]: r for r in self.run_waits() if r.workload == "stream"
                            and r.fields.get("wait") == "block" and r.size == 64 and r.fields["transport"] == row[1]}
            expected = by_placement["fork"].values["items_per_second"] / by_placement["thread"].values["items_per_second"]
            self.assertEqual(row[-1].rstrip("*"), f"{expected:.2f}")

    def test_markdown_and_bad_input(self):
        proc = script("transports.py", RUN_WAITS, "--format", "markdown", "--sizes", "64")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("| # | transport | thread | fork | spawn | process/thread |", proc.stdout)
        for args, expected in (((fixture("malformed.json"),), "invalid JSON"),
                               ((fixture("a.json"), "--wait", "hybrid"), "no stream or pingpong results")):
            proc = script("transports.py", *args)
            self.assertEqual(proc.returncode, 2)
            self.assertIn(expected, proc.stderr)
            self.assertEqual(proc.stderr.count("\n"), 1)

    def test_a_queue_at_two_depths_is_two_rows(self):
        def res(depth, placement, rate):
            fields = {"transport": "queue-boost", "placement": placement, "wait": "block", "size": 64}
            if depth is not None:
                fields["depth"] = depth
            r = runfile.Result(f"stream/{depth}/{placement}", "stream", fields, ())
            r.values = {"items_per_second": rate}
            return r
        results = [res(3, "thread", 1e5), res(3, "fork", 5e4), res(64, "thread", 1e6), res(64, "fork", 8e5),
                   res(None, "fork", 1.0)]
        rows = {row[1]: row for row in transports_view.tables(results, "block", [64])[0].rows}
        self.assertEqual(list(rows), ["queue-boost depth:64", "queue-boost depth:3", "queue-boost"])
        self.assertEqual(rows["queue-boost depth:3"][-1], "0.50")

    def test_beyond_spread_marks_only_separated_samples(self):
        def res(placement, xs):
            r = runfile.Result("x", "stream", {"placement": placement}, ())
            r.samples = {"items_per_second": xs}
            r.values = {"items_per_second": sorted(xs)[len(xs) // 2]}
            return r
        apart = {"thread": res("thread", [10, 11, 12]), "fork": res("fork", [5, 6, 7])}
        overlapping = {"thread": res("thread", [10, 11, 12]), "fork": res("fork", [9, 10.5, 11])}
        self.assertTrue(transports_view.beyond_spread(apart, "items_per_second"))
        self.assertFalse(transports_view.beyond_spread(overlapping, "items_per_second"))
        self.assertEqual(transports_view.ratio_text(apart, "items_per_second"), "0.55*")


class SpreadInTheSummary(unittest.TestCase):
    def test_cells_show_spread_and_bimodal_clusters(self):
        a = runfile.load_run(fixture("a.json"))
        results, _ = runfile.collect(a)
        slower = [r for r in results if r.name.startswith("stream/transport:shm-spsc")][0]
        self.assertEqual(tabular.stream_cell(slower) if "items_per_second" in slower.values else None, None)
        self.assertEqual(tabular.with_spread(slower, "real_time_ns", "x"), "x ±3%")
        split = runfile.Result("s", "stream", {}, ())
        split.samples = {"items_per_second": [2.2e6, 2.21e6, 2.19e6, 12e6, 13e6, 14e6, 15e6, 16e6]}
        split.values = {"items_per_second": 12e6}
        self.assertEqual(tabular.stream_cell(split), "2.20M|14.0M bi")
        self.assertIn("(3 samples) | 14.0M (5 samples)", sampling.bimodal_lines([split])[0])

    def test_floor_split_in_time_is_reported_with_when(self):
        floor = runfile.Result("baseline/cacheline/repeats:12/real_time", "baseline", {}, ("cacheline",))
        floor.samples = {"real_time_ns": [130, 131, 129, 132, 430, 431, 429, 428, 130, 131, 130, 129],
                         "t_s": [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]}
        floor.values = {"real_time_ns": 131}
        line = sampling.floor_lines([floor])[0]
        self.assertIn("BIMODAL: 8 near 130 ns, 4 near 430 ns", line)
        self.assertIn("the slower ones at 40-70 s into the run", line)


if __name__ == "__main__":
    unittest.main()
