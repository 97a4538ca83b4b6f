"""Tests for the harness-cost pairing (plots/harness_cost.py), the sample floor's report and the
--until-stable arithmetic (plots/stability.py), on crafted runs."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
sys.path.insert(0, PLOTS)
import harness_cost  # noqa: E402
import runfile  # noqa: E402
import sampling  # noqa: E402
import stability  # noqa: E402
import summary  # noqa: E402

SUITE = "{workload}/transport:{transport}/placement:fork/wait:block/size:{size}/manual_time"


def sample(name, rate, **counters):
    entry = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3,
             "real_time": 1e9 / rate, "cpu_time": 1e9 / rate, "time_unit": "ns", "items_per_second": rate}
    entry.update(counters)
    return entry


def figure(name, rates, **counters):
    return [sample(name, r, **counters) for r in rates]


def run_of(*figures):
    return {"context": {}, "benchmarks": [entry for f in figures for entry in f]}


def pair(transport, suite_rates, floor_rates, workload="stream", size=64):
    name = SUITE.format(workload=workload, transport=transport, size=size)
    return figure(name, suite_rates) + figure("floor/" + name, floor_rates)


class HarnessCost(unittest.TestCase):
    def results(self, data):
        results, _ = runfile.collect(data)
        return runfile.pick_best(results)

    def test_cost_is_the_floors_rate_over_the_suites_and_flags_both_ways(self):
        data = run_of(pair("pipe", [100, 101, 99], [120, 121, 119]),        # 1.2: within
                      pair("socketpair", [100, 100, 100], [160, 161, 159]),  # 1.6: suite slower
                      pair("tcp", [100, 100, 100], [60, 61, 59]),            # 0.6: suite faster
                      pair("shm-spsc", [100, 101, 99], [150, 150, 150]))     # 1.5: on the bound
        by_transport = {p.suite.fields["transport"]: p for p in harness_cost.pairs(self.results(data))}
        self.assertAlmostEqual(by_transport["pipe"].ratio, 1.2, places=6)
        self.assertEqual({t for t, p in by_transport.items() if p.flagged}, {"socketpair", "tcp"})
        self.assertFalse(by_transport["shm-spsc"].flagged)

    def test_a_bimodal_side_gets_no_ratio_and_is_never_flagged(self):
        data = run_of(pair("zmq-ipc", [100, 101, 99, 400, 401], [300, 301, 299, 302, 300]))
        (p,) = harness_cost.pairs(self.results(data))
        self.assertIsNone(p.ratio)
        self.assertEqual(p.note, "bimodal")
        self.assertFalse(p.flagged)
        table = harness_cost.table(self.results(data))
        self.assertIn("bi", table.rows[0][5])  # the suite's cell shows its two clusters

    def test_a_flag_whose_samples_overlap_is_told_from_one_beyond_the_spread(self):
        data = run_of(pair("pipe", [100, 100, 100], [160, 161, 159]),        # apart: FLAG
                      pair("tcp", [100, 60, 140], [160, 120, 200]))           # 1.6, overlapping
        by_transport = {p.suite.fields["transport"]: p for p in harness_cost.pairs(self.results(data))}
        self.assertTrue(by_transport["pipe"].beyond_spread)
        self.assertTrue(by_transport["tcp"].flagged)
        self.assertFalse(by_transport["tcp"].beyond_spread)
        text = summary.format_report(data)
        self.assertIn("1.60 flag?", text)
        self.assertIn("flag? stream/transport:tcp/placement:fork/wait:block/size:64/manual_time: cost 1.60", text)

    def test_a_floor_without_its_suite_figure_is_not_paired(self):
        name = SUITE.format(workload="pingpong", transport="pipe", size=64)
        data = run_of(figure("floor/" + name, [10, 10, 10]),
                      figure(SUITE.format(workload="pingpong", transport="pipe", size=1048576), [5, 5, 5]))
        self.assertEqual(harness_cost.pairs(self.results(data)), [])

    def test_the_summary_shows_the_table_and_names_each_flag(self):
        data = run_of(pair("socketpair", [100, 100, 100], [160, 161, 159], workload="pingpong"),
                      pair("pipe", [100, 100, 100], [100, 100, 100], workload="pingpong"))
        text = summary.format_report(data)
        self.assertIn("harness cost: the suite's rate beside its raw floor's", text)
        self.assertIn("1.60 FLAG", text)
        self.assertIn("FLAG pingpong/transport:socketpair/placement:fork/wait:block/size:64/manual_time: cost 1.60",
                      text)
        self.assertIn("2 figures beside their raw floors: 1 flagged (1 beyond the spread of their samples)", text)
        # Floors get no generic table of their own.
        self.assertNotIn("floor/pingpong: time per iteration", text)


class SampleFloor(unittest.TestCase):
    def test_short_samples_are_named_with_what_they_rested_on(self):
        name = SUITE.format(workload="stream", transport="pipe", size=64)
        ok = SUITE.format(workload="stream", transport="tcp", size=64)
        data = run_of([sample(name, 100, sample_short=0, sample_iterations=5000, sample_s=0.05),
                       sample(name, 100, sample_short=1, sample_iterations=40, sample_s=0.004)],
                      figure(ok, [1, 1], sample_short=0, sample_iterations=100, sample_s=0.03))
        results, _ = runfile.collect(data)
        lines = sampling.short_sample_lines(runfile.pick_best(results))
        self.assertIn("1 figures had a sample below the floor", lines[0])
        self.assertEqual(len(lines), 2)
        self.assertIn(f"SHORT {name}: fewest 40 iterations, shortest 4.0 ms", lines[1])

    def test_no_short_sample_says_how_many_figures_were_checked(self):
        name = SUITE.format(workload="stream", transport="pipe", size=64)
        data = run_of(figure(name, [1, 1], sample_short=0, sample_iterations=100, sample_s=0.03))
        results, _ = runfile.collect(data)
        self.assertIn("every sample of 1 figures rested on at least its floor", sampling.short_sample_lines(results)[0])


class UntilStable(unittest.TestCase):
    def test_unstable_takes_throughput_figures_above_five_percent_or_bimodal(self):
        steady = SUITE.format(workload="stream", transport="pipe", size=64)
        noisy = SUITE.format(workload="stream", transport="tcp", size=64)
        split = SUITE.format(workload="fanin", transport="pipe", size=64)
        latency = SUITE.format(workload="pingpong", transport="tcp", size=64)
        data = run_of(figure(steady, [100, 101, 99, 100, 100]), figure(noisy, [100, 80, 120, 90, 110]),
                      figure(split, [100, 101, 300, 301, 99]), figure(latency, [100, 50, 150, 80, 120]))
        self.assertEqual(stability.unstable(data), sorted([noisy, split]))
        self.assertEqual(stability.count(data), "1 of 2 (bimodal: 1)")

    def test_a_round_that_fits_fewer_takes_the_bimodal_then_the_noisiest(self):
        noisy = SUITE.format(workload="stream", transport="tcp", size=64)       # CV about 16 %
        noisier = SUITE.format(workload="stream", transport="pipe", size=64)    # CV about 40 %
        split = SUITE.format(workload="fanin", transport="pipe", size=64)       # bimodal
        data = run_of(figure(noisy, [100, 80, 120, 90, 110]), figure(noisier, [100, 40, 160, 60, 140]),
                      figure(split, [100, 101, 300, 301, 99]))
        self.assertEqual(stability.unstable(data, 1), [split])
        self.assertEqual(stability.unstable(data, 2), sorted([split, noisier]))
        self.assertEqual(stability.unstable(data, 0), [])
        self.assertEqual(stability.unstable(data, 9), sorted([split, noisier, noisy]))

    def test_replace_keeps_the_other_figures_and_takes_every_new_sample(self):
        a = SUITE.format(workload="stream", transport="pipe", size=64)
        b = SUITE.format(workload="stream", transport="tcp", size=64)
        base = run_of(figure(a, [1, 2, 3]), figure(b, [10, 20, 30]))
        extra = run_of(figure(b, [21, 20, 20, 19, 20]))
        merged = stability.replace(base, extra)
        rates = {}
        for entry in merged["benchmarks"]:
            rates.setdefault(entry["run_name"], []).append(entry["items_per_second"])
        self.assertEqual(rates, {a: [1, 2, 3], b: [21, 20, 20, 19, 20]})

    def test_the_filter_matches_exactly_the_names_as_a_posix_regex(self):
        import re
        names = [SUITE.format(workload="stream", transport="shm-spsc", size=64),
                 "floor/stream/transport:queue-boost/placement:fork/wait:block/size:64/depth:64/manual_time"]
        text = stability.benchmark_filter(names)
        self.assertNotIn("\\-", text)  # POSIX ERE (Google Benchmark's) refuses escapes it does not know
        pattern = re.compile(text)
        self.assertTrue(all(pattern.search(n) for n in names))
        self.assertFalse(pattern.search(names[0].replace("size:64", "size:640")))
        self.assertFalse(pattern.search("x" + names[0]))

    def test_the_command_records_before_and_after_in_the_context(self):
        noisy = SUITE.format(workload="stream", transport="tcp", size=64)
        with tempfile.TemporaryDirectory() as tmp:
            run, extra = os.path.join(tmp, "run.json"), os.path.join(tmp, "extra.json")
            with open(run, "w") as f:
                json.dump(run_of(figure(noisy, [100, 80, 120])), f)
            with open(extra, "w") as f:
                json.dump(run_of(figure(noisy, [100, 101, 99, 100, 100])), f)
            subprocess.run([sys.executable, os.path.join(PLOTS, "stability.py"), "replace", run, extra], check=True)
            with open(run) as f:
                context = json.load(f)["context"]
        self.assertEqual(context["ipcmeter_stable_before"], "0 of 1 (bimodal: 0)")
        self.assertEqual(context["ipcmeter_stable_after"], "1 of 1 (bimodal: 0)")


if __name__ == "__main__":
    unittest.main()
