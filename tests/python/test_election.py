"""The election tables, answers and figures (plots/election.py, summary.py, report.py) on a
crafted run whose answers are worked out by hand below, and on a real run."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
# A real quick run of the election workloads (socketpair and queue-boost, threads and forks,
# the kernels, inline and compute-only), trimmed to its election benchmarks.
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "election-run.json")
FIXTURE_WITHOUT = os.path.join(ROOT, "tests", "fixtures", "quick-run.json")
sys.path.insert(0, PLOTS)
import election  # noqa: E402
import runfile  # noqa: E402
import summary  # noqa: E402

UI = "election/ui/transport:{}/placement:{}/wait:block/batch:{}/manual_time"
INLINE = "election/ui/transport:none/placement:inline/batch:{}/manual_time"
PARALLEL = "election/parallel/transport:{}/placement:{}/wait:block/workers:{}/batch:{}/manual_time"
COMPUTE = "election/parallel/transport:none/placement:thread/workers:{}/batch:{}/manual_time"
KERNEL = "election/kernel/kernel:{}/batch:{}/real_time"


def samples(name, **series):
    """One entry per sample: series maps a counter to its value in each sample."""
    n = len(next(iter(series.values())))
    out = []
    for i in range(n):
        entry = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": n,
                 "repetition_index": i, "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ms"}
        entry.update({k: v[i] for k, v in series.items()})
        out.append(entry)
    return out


def ui(name, p50_ms, p99_ms, missed):
    return samples(name, edit_p50_ns=[p50_ms * 1e6] * len(missed), edit_p99_ns=[p99_ms * 1e6] * len(missed),
                   frames_missed=missed, iterations=[60] * len(missed), projections_per_s=[6.0] * len(missed),
                   leader_cpu_ns_per_iter=[100e3] * len(missed))


def crafted():
    b = []
    # Kernels: simd's median at the largest batch is 300M/s, so 300M / 60 = 5.00M fit in a frame.
    b += samples(KERNEL.format("textbook", 100000), sims_per_s=[1.2e6, 1.0e6, 1.1e6])
    b += samples(KERNEL.format("simd", 100000), sims_per_s=[290e6, 310e6, 300e6])
    b += samples(KERNEL.format("simd", 250), sims_per_s=[250e6, 250e6, 250e6])
    # Inline: on time at 250 and 10k; at 1M one sample of two missed a frame, so 10k is the
    # largest batch with no missed frame, and the misses start at 1M.
    b += ui(INLINE.format(250), 0.02, 0.08, [0, 0])
    b += ui(INLINE.format(10000), 0.05, 0.2, [0, 0])
    b += ui(INLINE.format(1000000), 4.0, 17.0, [0, 1])
    b += ui(INLINE.format(100000000), 350.0, 380.0, [6, 6])
    # Workers at 100M: two keep every frame in every sample; zmq-ipc spawn missed 2 in one.
    b += ui(UI.format("socketpair", "fork", 100000000), 400.0, 450.0, [0, 0])
    b += ui(UI.format("shm-spsc", "thread", 100000000), 350.0, 380.0, [0, 0])
    b += ui(UI.format("zmq-ipc", "spawn", 100000000), 300.0, 320.0, [2, 0])
    # Parallel, two workers. Compute only: 100M, 200M, 200M per second at 1k, 10k, 100k.
    for batch, rate in ((1000, 100e6), (10000, 200e6), (100000, 200e6)):
        b += samples(COMPUTE.format(2, batch), sims_per_s=[rate] * 3)
    # queue-boost fork: 5% at 1k, 94.5% at 10k (not within 5%), exactly 95% at 100k: 100k.
    for batch, rate in ((1000, 10e6), (10000, 189e6), (100000, 190e6)):
        b += samples(PARALLEL.format("queue-boost", "fork", 2, batch), sims_per_s=[rate, rate * 0.9, rate * 1.1])
    # queue-mutex thread: 96% already at 1k.
    b += samples(PARALLEL.format("queue-mutex", "thread", 2, 1000), sims_per_s=[96e6] * 3)
    # queue-boost thread: 50%, 50%, 75%: never within 5%, best 75%.
    for batch, rate in ((1000, 50e6), (10000, 100e6), (100000, 150e6)):
        b += samples(PARALLEL.format("queue-boost", "thread", 2, batch), sims_per_s=[rate] * 3)
    # One worker: no compute-only rate at one worker in this run, so no answer for it.
    b += samples(PARALLEL.format("queue-boost", "fork", 1, 1000), sims_per_s=[1e6] * 3)
    return {"context": {"ipcmeter_profile": "quick"}, "benchmarks": b}


def results_of(data):
    return runfile.pick_best(runfile.collect(data)[0])


class Names(unittest.TestCase):
    def test_a_family_workload_takes_two_segments(self):
        self.assertEqual(runfile.parse_name("election/kernel/kernel:simd/batch:250/real_time"),
                         ("election/kernel", {"kernel": "simd", "batch": 250}, ()))
        self.assertEqual(runfile.parse_name(INLINE.format(250)),
                         ("election/ui", {"transport": "none", "placement": "inline", "batch": 250}, ()))
        workload, fields, _ = runfile.parse_name(PARALLEL.format("queue-boost", "fork", 2, 100))
        self.assertEqual((workload, fields["workers"], fields["batch"]), ("election/parallel", 2, 100))
        # Other workloads are untouched, bare segments included.
        self.assertEqual(runfile.parse_name("baseline/pipe-raw/real_time"), ("baseline", {}, ("pipe-raw",)))


class Answers(unittest.TestCase):
    def setUp(self):
        self.lines = election.answer_lines(results_of(crafted()))
        self.text = "\n".join(self.lines)

    def line(self, start):
        found = [x for x in self.lines if x.startswith(start)]
        self.assertEqual(len(found), 1, f"{start!r} in {self.lines}")
        return found[0]

    def test_how_many_simulations_fit_in_one_frame(self):
        line = self.line("simulations that fit in one 16.7 ms frame here")
        self.assertIn("about 5.00M (kernel:simd at 300M simulations/s", line)
        self.assertIn("20,000x the documents' figure of 250", line)  # 5M / 250
        self.assertIn("the fast kernel is 273x the textbook one", self.line("kernels at that batch"))  # 300M / 1.1M

    def test_inline_largest_batch_on_time_counts_every_sample(self):
        line = self.line("the UI loop computing inline")
        self.assertIn("largest batch with no missed frame 10.0k simulations per edit (edit p99 0.20 ms)", line)
        self.assertIn("from 1.00M it misses frames (1 of 60, edit p99 17.0 ms)", line)

    def test_variants_that_keep_every_frame_at_100m(self):
        line = self.line("at 100M simulations per edit, every frame on time in every sample")
        self.assertIn("(2 of 4 variants)", line)
        # By p99: shm-spsc thread (380 ms) before socketpair fork (450 ms); zmq-ipc spawn is
        # faster but missed two frames in one sample, so it is not among them.
        self.assertTrue(line.endswith("shm-spsc thread 350/380, socketpair fork 400/450"), line)
        self.assertEqual(self.line("frames missed at that batch"),
                         "frames missed at that batch: inline 6 of 60, zmq-ipc spawn 2 of 60")

    def test_smallest_batch_within_five_percent_of_compute_only(self):
        self.assertIn("queue-boost fork 2 workers: smallest batch within 5% of compute only: 100k simulations"
                      " (95% of it)", self.text)
        self.assertIn("queue-mutex thread 2 workers: smallest batch within 5% of compute only: 1.00k simulations"
                      " (96% of it)", self.text)
        self.assertIn("queue-boost thread 2 workers: no batch up to 100k within 5% of compute only (best 75% of it)",
                      self.text)
        self.assertNotIn("1 worker", self.text)  # no compute-only rate to compare with

    def test_a_run_without_election_results_says_so(self):
        lines = election.answer_lines([])
        self.assertIn("not measured in this run", lines[0])
        self.assertTrue(any("election/parallel: not measured" in x for x in lines))


class Tables(unittest.TestCase):
    def test_ui_cells_show_latency_and_every_missed_frame(self):
        t = next(t for t in election.tables(results_of(crafted())) if t.title.startswith("election/ui: edit"))
        self.assertEqual(t.header, ["transport", "placement", "wait", "250", "10.0k", "1.00M", "100M"])
        rows = {(r[0], r[1]): r for r in t.rows}
        self.assertEqual(list(rows)[0], ("none", "inline"))  # inline first
        # Every sample of a crafted p99 is the same: "±<1%".
        self.assertEqual(rows[("none", "inline")][3:], ["0.02/0.08 ±<1%", "0.05/0.20 ±<1%",
                                                        "4.00/17.0 ±<1% (0-1/60 missed)", "350/380 ±<1% (6/60 missed)"])
        self.assertEqual(rows[("zmq-ipc", "spawn")][6], "300/320 ±<1% (0-2/60 missed)")
        self.assertEqual(rows[("socketpair", "fork")][3], "-")

    def test_parallel_table_puts_compute_only_first(self):
        t = next(t for t in election.tables(results_of(crafted())) if t.title.startswith("election/parallel"))
        self.assertEqual(t.rows[0][:3], ["none", "thread", "2"])
        fork2 = next(r for r in t.rows if r[:3] == ["queue-boost", "fork", "2"])
        self.assertEqual(fork2[4:], ["10.0M ±10%", "189M ±10%", "190M ±10%"])

    def test_summary_has_the_election_section_and_tables(self):
        text = summary.format_report(crafted())
        self.assertIn("the election projection (this run's answers):", text)
        self.assertIn("election/kernel: simulated elections per second", text)
        self.assertIn("election/parallel: simulations per second", text)
        # The election workloads are not also shown as generic time-per-iteration tables.
        self.assertNotIn("election/ui: time per iteration", text)

    def test_a_run_without_election_results_has_no_election_section(self):
        with open(FIXTURE_WITHOUT, encoding="utf-8") as f:
            text = summary.format_report(json.load(f))
        self.assertNotIn("election", text)


class RealRun(unittest.TestCase):
    def test_summary_and_report_of_a_real_run(self):
        with open(FIXTURE, encoding="utf-8") as f:
            data = json.load(f)
        text = summary.format_report(data)
        for part in ("simulations that fit in one 16.7 ms frame here", "the UI loop computing inline",
                     "at 100M simulations per edit", "smallest batch within 5% of compute only",
                     "election/ui: edit-to-projection p50/p99 ms"):
            self.assertIn(part, text)
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run(["/usr/bin/python3", os.path.join(PLOTS, "report.py"), FIXTURE, "--out", out],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            for png in ("election_ui.png", "election_parallel.png"):
                self.assertGreater(os.path.getsize(os.path.join(out, png)), 10000, png)
            with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertIn('alt="election_ui.png"', page)
            self.assertIn("the election projection (this run&#x27;s answers)", page)
            self.assertNotIn("election_ui.png not generated", page)


if __name__ == "__main__":
    unittest.main()
