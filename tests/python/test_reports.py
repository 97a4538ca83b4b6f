"""Tests for plots/summarize.py and plots/report.py (the run-file model, the tables, the targets)
on crafted runs and the fixture runs."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "quick-run.json")
# A later real run (pipe, shm-spsc, zmq-ipc, baselines, startup): wait strategies, fan-in
# producers, unsupported combinations, repeats:5 medians.
FIXTURE_WAITS = os.path.join(ROOT, "tests", "fixtures", "quick-run-waits.json")
# A real run of the shared-dictionary workloads (clients 1/2/4, thread and fork, five variants).
FIXTURE_DICTS = os.path.join(ROOT, "tests", "fixtures", "dict-run.json")
sys.path.insert(0, PLOTS)
import formatting  # noqa: E402
import runfile  # noqa: E402
import tables  # noqa: E402
import targets  # noqa: E402

# A run without dict-* workloads; process_thread.png needs stream results in threads and processes.
PNGS = ["throughput.png", "bandwidth.png", "latency.png", "cpu.png", "process_thread.png"]
DICT_PNG = "dicts.png"
DICT_GET = "dict-get/transport:{}/placement:{}/wait:block/clients:{}/manual_time"


def bench(name, real_time, unit="us", run_type="iteration", aggregate=None, reps=1, **counters):
    entry = {"name": name + (f"_{aggregate}" if aggregate else ""), "run_name": name, "run_type": run_type,
             "repetitions": reps, "real_time": real_time, "cpu_time": real_time, "time_unit": unit}
    if aggregate:
        entry["aggregate_name"] = aggregate
    entry.update(counters)
    return entry


def failed(name, message):
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
            "error_occurred": True, "error_message": message}


def overhead_run(pingpong_us):
    """A pingpong pipe fork 8 B case (in us) and a baseline/pipe-raw of 100 us (given in ns)."""
    pp = "pingpong/transport:pipe/placement:fork/wait:block/size:8/repeats:3/manual_time"
    return {"context": {}, "benchmarks": [
        bench("baseline/pipe-raw/real_time", 100000.0, unit="ns"),
        # A spinning variant is not the raw pipe's counterpart: ignored even with more repetitions.
        bench("pingpong/transport:pipe/placement:fork/wait:spin/size:8/repeats:5/manual_time", 1.0, reps=5),
        bench(pp, 999.0, reps=3), bench(pp, pingpong_us, reps=3), bench(pp, 1.0, reps=3),
    ]}


class Scripts(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write_json(self, data, name="run.json"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def run_script(self, script, *args):
        return subprocess.run([sys.executable, os.path.join(PLOTS, script), *args],
                              capture_output=True, text=True, timeout=120)


class Parsing(Scripts):
    def test_key_value_segments_become_fields_including_unknown_keys(self):
        workload, fields, tags = runfile.parse_name(
            "pingpong/transport:unix-stream/placement:fork/wait:spin/clients:2/size:4096/manual_time")
        self.assertEqual(workload, "pingpong")
        self.assertEqual(fields, {"transport": "unix-stream", "placement": "fork", "wait": "spin",
                                  "clients": 2, "size": 4096})
        self.assertEqual(tags, ())

    def test_baseline_name_keeps_its_bare_segment(self):
        workload, fields, tags = runfile.parse_name("baseline/pipe-raw/repeats:5/real_time")
        self.assertEqual((workload, fields, tags), ("baseline", {"repeats": 5}, ("pipe-raw",)))

    def test_repeats_is_not_part_of_the_row(self):
        res = runfile.Result("x", "pingpong", {"transport": "pipe", "size": 8, "repeats": 5}, ())
        self.assertEqual(res.identity(), {"transport": "pipe"})

    def test_unknown_key_appears_as_a_table_column(self):
        data = {"benchmarks": [bench("stream/transport:pipe/placement:thread/wait:spin/size:64/manual_time", 1.0,
                                     items_per_second=2.5e6)]}
        table = tables.build_tables(runfile.pick_best(runfile.collect(data)[0]))[0]
        self.assertEqual(table.header, ["transport", "placement", "wait", "64"])
        self.assertEqual(table.rows, [["pipe", "thread", "spin", "2.50M"]])

    def test_formats(self):
        self.assertEqual([formatting.fmt_size(n) for n in (8, 4096, 65536, 1 << 20, 1000)], ["8", "4K", "64K", "1M", "1000"])
        self.assertEqual([formatting.fmt_rate(x) for x in (1345355, 16656, 520, 999700)], ["1.35M", "16.7k", "520", "1.00M"])


class Medians(Scripts):
    NAME = "stream/transport:pipe/placement:fork/size:64/repeats:3/manual_time"

    def values(self, entries):
        results, _ = runfile.collect({"benchmarks": entries})
        self.assertEqual(len(results), 1)
        return results[0].values

    def test_median_of_iterations_without_aggregates(self):
        v = self.values([bench(self.NAME, t, reps=3, items_per_second=i) for t, i in ((10, 1), (30, 9), (20, 5))])
        self.assertEqual(v["real_time_ns"], 20000.0)
        self.assertEqual(v["items_per_second"], 5)

    def test_samples_make_the_median_and_aggregates_are_not_samples(self):
        entries = [bench(self.NAME, t, reps=3) for t in (10, 30, 20)]
        entries += [bench(self.NAME, 99, run_type="aggregate", aggregate="mean", reps=3),
                    bench(self.NAME, 25, run_type="aggregate", aggregate="median", reps=3),
                    bench(self.NAME, 7, run_type="aggregate", aggregate="stddev", reps=3)]
        self.assertEqual(self.values(entries)["real_time_ns"], 20000.0)
        res = runfile.collect({"benchmarks": entries})[0][0]
        self.assertEqual(res.samples["real_time_ns"], [10000.0, 30000.0, 20000.0])

    def test_median_aggregate_serves_when_only_aggregates_were_written(self):
        entries = [bench(self.NAME, 99, run_type="aggregate", aggregate="mean", reps=3),
                   bench(self.NAME, 25, run_type="aggregate", aggregate="median", reps=3)]
        self.assertEqual(self.values(entries)["real_time_ns"], 25000.0)

    def test_time_units_are_honoured(self):
        for unit, ns in (("ns", 2.0), ("us", 2e3), ("ms", 2e6), ("s", 2e9)):
            self.assertEqual(self.values([bench(self.NAME, 2.0, unit=unit)])["real_time_ns"], ns)

    def test_repeated_run_is_preferred_for_the_same_cell(self):
        data = {"benchmarks": [bench("pingpong/transport:pipe/placement:fork/size:8/manual_time", 1.0,
                                     rtt_p50_ns=1000, rtt_p99_ns=2000),
                               bench("pingpong/transport:pipe/placement:fork/size:8/repeats:5/manual_time", 1.0,
                                     reps=5, rtt_p50_ns=3000, rtt_p99_ns=4000)]}
        table = tables.build_tables(runfile.pick_best(runfile.collect(data)[0]))[0]
        self.assertEqual(table.rows, [["pipe", "fork", "3.0/4.0"]])


class Overhead(Scripts):
    def test_ratio_within_target(self):
        ratio, pp, base = targets.harness_overhead(runfile.pick_best(runfile.collect(overhead_run(105.0))[0]))
        self.assertAlmostEqual(ratio, 1.05)
        self.assertEqual((pp, base), (105000.0, 100000.0))

    def test_ratio_above_target_is_reported_and_exit_is_zero(self):
        proc = self.run_script("summarize.py", self.write_json(overhead_run(150.0)))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("harness overhead")]
        self.assertEqual(len(line), 1)
        self.assertIn("= 1.50", line[0])
        self.assertIn("ABOVE TARGET", line[0])

    def test_missing_side_is_one_line(self):
        data = overhead_run(100.0)
        data["benchmarks"] = data["benchmarks"][1:]
        line = targets.overhead_line(runfile.pick_best(runfile.collect(data)[0]))
        self.assertIn("not computed", line)
        self.assertIn("baseline/pipe-raw", line)

    def test_fixture(self):
        ratio, pp, base = targets.harness_overhead(runfile.pick_best(runfile.collect(runfile.load_run(FIXTURE))[0]))
        self.assertAlmostEqual(pp, 81249.15367697596)  # the median aggregate of the repeats:5 run
        self.assertAlmostEqual(base, 59187.874276619866)


class Paced(Scripts):
    """The 60 Hz loop: its table shows the reply latency the loop saw and frames it missed."""

    def test_paced_table_shows_reply_percentiles_and_missed_frames(self):
        name = "paced/transport:{}/placement:fork/wait:block/size:64/manual_time"
        data = {"context": {}, "benchmarks": [
            bench(name.format("pipe"), 16667.0, reply_p50_ns=70000.0, reply_p99_ns=140000.0, frames_missed=0.0),
            bench(name.format("zmq-ipc"), 16667.0, reply_p50_ns=90000.0, reply_p99_ns=400000.0, frames_missed=2.0)]}
        found = tables.build_tables(runfile.pick_best(runfile.collect(data)[0]))
        self.assertIn("request-to-reply", found[0].title)
        rows = {row[0]: row[-1] for row in found[0].rows}
        self.assertEqual(rows["pipe"], "70.0/140.0")
        self.assertEqual(rows["zmq-ipc"], "90.0/400.0 (2 missed)")


class Failures(Scripts):
    def test_errored_benchmarks_are_listed(self):
        data = {"benchmarks": [
            bench("stream/transport:pipe/placement:thread/size:8/manual_time", 1.0, items_per_second=1e6),
            failed("stream/transport:pipe/placement:spawn/size:8/manual_time", "peer exited with status 3"),
            failed("fanin/transport:pipe/placement:fork/producers:4/size:65536/manual_time",
                   "unsupported: writes over PIPE_BUF interleave"),
        ]}
        proc = self.run_script("summarize.py", self.write_json(data))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn("failed (1):", out)
        self.assertIn("stream/transport:pipe/placement:spawn/size:8/manual_time: peer exited with status 3", out)
        self.assertIn("fanin/transport:pipe/placement:fork/producers:4/size:65536/manual_time: unsupported:", out)
        self.assertIn("FAIL", out)  # and its table cell says so


class BadInput(Scripts):
    def cases(self):
        return {"missing file": os.path.join(self.tmp, "nope.json"),
                "invalid JSON": self.write_json("{not json", "bad.json"),
                "no benchmarks": self.write_json({"context": {}, "benchmarks": []}, "empty.json"),
                "not an object": self.write_json("[1, 2]", "list.json")}

    def test_exit_2_and_one_stderr_line(self):
        for script in ("summarize.py", "report.py"):
            for what, path in self.cases().items():
                with self.subTest(script=script, input=what):
                    args = [path] + (["--out", os.path.join(self.tmp, "out")] if script == "report.py" else [])
                    proc = self.run_script(script, *args)
                    self.assertEqual(proc.returncode, 2)
                    lines = proc.stderr.splitlines()
                    self.assertEqual(len(lines), 1, proc.stderr)
                    self.assertTrue(lines[0].startswith(f"{script}: "), lines[0])
                    self.assertEqual(proc.stdout, "")


class Summary(Scripts):
    def test_fixture_text(self):
        proc = self.run_script("summarize.py", FIXTURE)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn("Intel(R) Xeon(R) Processor, 2 cpus", out)
        self.assertIn("profile quick | pinning none", out)
        for title in ("stream: messages/s", "pingpong: round-trip time p50/p99", "stream: CPU us per message"):
            self.assertIn(title, out)
        self.assertRegex(out, r"transport +placement +8 +64 +512 +4K +64K +1M")
        self.assertIn("harness overhead:", out)
        self.assertNotIn("failed", out)
        self.assertLessEqual(max(len(ln) for ln in out.splitlines() if not ln.startswith("harness")), 120)

    def test_sizes_and_markdown(self):
        proc = self.run_script("summarize.py", FIXTURE, "--sizes", "64,64K", "--format", "markdown")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("| transport | placement | 64 | 64K |", proc.stdout)
        self.assertNotIn("| 1M |", proc.stdout)


class Targets(unittest.TestCase):
    def test_ratios_and_verdicts(self):
        pp = "pingpong/transport:shm-spsc/placement:fork/wait:spin/size:8/repeats:5/manual_time"
        data = {"benchmarks": [
            bench("baseline/cacheline/repeats:5/real_time", 0.1, reps=5, run_type="aggregate", aggregate="median"),
            bench(pp, 0.3, reps=5, run_type="aggregate", aggregate="median"),
            bench("stream/transport:shm-spsc/placement:fork/wait:spin/size:64/manual_time", 0.08,
                  items_per_second=12e6),
            bench("stream/transport:shm-spsc/placement:fork/wait:block/size:64/manual_time", 0.2,
                  items_per_second=5e6),
            bench("stream/transport:queue-boost/placement:fork/wait:block/size:64/manual_time", 1.0,
                  items_per_second=1e6),
            bench("stream/transport:shm-spsc/placement:fork/wait:block/size:1048576/manual_time", 100.0,
                  bytes_per_second=10e9),
            bench("baseline/memcpy/size:1048576", 40.0, bytes_per_second=25e9),
        ]}
        lines = targets.target_lines(runfile.pick_best(runfile.collect(data)[0]))
        text = "\n".join(lines)
        self.assertIn("baseline/cacheline = 3.00 (target <= 2): NOT MET", text)
        self.assertIn("zmq-raw: not measured in this run", text)
        self.assertIn("shm-spsc / queue-boost (each at its best wait and depth) = 12.00 (target >= 3): met", text)
        self.assertIn("shm-spsc messages/s, millions = 12.00 (target >= 10): met", text)
        self.assertIn("baseline/memcpy/size:1048576 = 0.40 (target >= 0.5): NOT MET", text)


class CurrentNames(Scripts):
    """The names the binary writes now, straight from a real run."""

    def load(self):
        with open(FIXTURE_WAITS, encoding="utf-8") as f:
            return json.load(f)

    def test_overhead_uses_the_blocking_repeated_case(self):
        data = self.load()
        medians = {b["run_name"]: b["real_time"] * 1e3 for b in data["benchmarks"]
                   if b.get("aggregate_name") == "median"}
        ratio, pp, base = targets.harness_overhead(runfile.pick_best(runfile.collect(data)[0]))
        self.assertAlmostEqual(pp, medians["pingpong/transport:pipe/placement:fork/wait:block/size:8/"
                                           "repeats:5/manual_time"])
        self.assertAlmostEqual(base, medians["baseline/pipe-raw/repeats:5/real_time"])

    def test_overhead_ratio_of_a_crafted_run_ignores_spinning_and_other_sizes(self):
        # 12 us against 8 us is 1.5; the spinning and 64 B cases, faster, must not be chosen.
        data = {"benchmarks": [
            bench("pingpong/transport:pipe/placement:fork/wait:block/size:8/manual_time", 12),
            bench("pingpong/transport:pipe/placement:fork/wait:spin/size:8/manual_time", 2),
            bench("pingpong/transport:pipe/placement:fork/wait:block/size:64/manual_time", 3),
            bench("baseline/pipe-raw/real_time", 8)]}
        ratio, pp, base = targets.harness_overhead(runfile.pick_best(runfile.collect(data)[0]))
        self.assertEqual((pp, base), (12000.0, 8000.0))
        self.assertAlmostEqual(ratio, 1.5)
        self.assertIn("= 1.50 (12.0 / 8.00 us; target <= 1.10): ABOVE TARGET", targets.overhead_line(runfile.pick_best(runfile.collect(data)[0])))

    def test_tables_have_wait_and_producers_columns_and_list_unsupported(self):
        proc = self.run_script("summarize.py", FIXTURE_WAITS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertRegex(out, r"transport +placement +wait +8 +64")
        self.assertRegex(out, r"fanin: messages/s.*\n.*transport +placement +wait +producers +64 +64K")
        self.assertRegex(out, r"shm-spsc +fork +spin +\S+")
        self.assertIn("startup:", out)
        self.assertIn("unsupported, listed by design (6):", out)
        self.assertIn("fanin/transport:pipe/placement:fork/wait:block/producers:4/size:65536: "
                      "unsupported: writers sharing one pipe end", out)
        self.assertNotIn("failed (", out)

    def test_report_has_every_plot_and_the_wait_column(self):
        out = os.path.join(self.tmp, "out")
        proc = self.run_script("report.py", FIXTURE_WAITS, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(PNGS + ["report.html"]))
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("<th>wait</th>", page)
        self.assertIn("<th>producers</th>", page)


class Report(Scripts):
    def test_fixture_writes_pngs_and_html_and_no_temp_files(self):
        out = os.path.join(self.tmp, "out")
        proc = self.run_script("report.py", FIXTURE, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # This older run has no stream results between threads: no process/thread heatmap.
        pngs = [p for p in PNGS if p != "process_thread.png"]
        self.assertEqual(sorted(os.listdir(out)), sorted(pngs + ["report.html"]))
        for png in pngs:
            with open(os.path.join(out, png), "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(b"\x89PNG\r\n\x1a\n"), png)
            self.assertGreater(len(data), 20000, png)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        for png in pngs:
            self.assertIn(f'alt="{png}"', page)  # embedded: the page carries its figures
        self.assertIn("harness overhead:", page)
        self.assertIn("65-70 µs", page)
        self.assertIn("<table>", page)
        self.assertIn(f"{DICT_PNG} not generated", page)

    def test_pingpong_only_run_skips_stream_plots(self):
        data = {"context": {}, "benchmarks": [
            bench(f"pingpong/transport:pipe/placement:thread/size:{s}/manual_time", 50.0,
                  rtt_p50_ns=50000.0 + s, rtt_p99_ns=90000.0 + s, leader_cpu_ns_per_iter=1e4, peer_cpu_ns_per_iter=1e4)
            for s in (8, 64, 512)]}
        out = os.path.join(self.tmp, "out")
        proc = self.run_script("report.py", self.write_json(data), "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["latency.png", "report.html"])
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("throughput.png not generated", page)
        self.assertNotIn('alt="throughput.png"', page)
        self.assertIn('<img src="data:image/png;base64,', page)
        self.assertIn('alt="latency.png"', page)


class Dicts(Scripts):
    """The shared-dictionary workloads: clients instead of sizes, a server's CPU, the documented figures."""

    def tables(self, data):
        return {t.title: t for t in tables.build_tables(runfile.pick_best(runfile.collect(data)[0]))}

    def rates(self):
        with open(FIXTURE_DICTS, encoding="utf-8") as f:
            return {b["name"]: b["items_per_second"] for b in json.load(f)["benchmarks"] if "items_per_second" in b}

    def test_identity_leaves_out_the_column_key(self):
        _, fields, _ = runfile.parse_name(DICT_GET.format("dict-shm", "fork", 2))
        res = runfile.Result("x", "dict-get", fields, ())
        self.assertEqual(res.identity(runfile.CLIENTS_KEY), {"transport": "dict-shm", "placement": "fork", "wait": "block"})

    def test_fixture_tables_have_client_columns(self):
        by_title = self.tables(runfile.load_run(FIXTURE_DICTS))
        for workload in ("dict-get", "dict-put", "dict-mixed"):
            ops = by_title[f"{workload}: operations/s, all clients together (median ±spread)"]
            self.assertEqual(ops.header, ["transport", "placement", "wait", "1 client", "2 clients", "4 clients"])
            self.assertEqual(len(ops.rows), 8)
        ops = by_title["dict-get: operations/s, all clients together (median ±spread)"]
        self.assertIn(["dict-local", "thread", "block", "87.3M", "-", "-"], ops.rows)
        self.assertIn(["dict-manager-unix-stream", "fork", "block", "13.9k", "25.6k", "62.4k"], ops.rows)
        cpu = by_title["dict-get: CPU us per operation, clients+server where a server answers (median)"]
        self.assertIn(["dict-manager-unix-stream", "fork", "block", "28.3+26.8", "21.7+13.6", "11.3+9.97"], cpu.rows)
        self.assertIn(["dict-local", "thread", "block", "0.011", "-", "-"], cpu.rows)  # no server, no +

    def test_fixture_text_with_sizes_keeps_the_dict_tables(self):
        proc = self.run_script("summarize.py", FIXTURE_DICTS, "--sizes", "64")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"dict-put: operations/s, all clients together \(median ±spread\)\n"
                                      r"transport +placement +wait +1 client +2 clients +4 clients\n")
        self.assertRegex(proc.stdout, r"dict-manager-pipe +fork +block +\S+\+\S+ +\S+\+\S+ +\S+\+\S+\n")
        self.assertNotIn("failed (", proc.stdout)

    def test_reference_figures_beside_this_run(self):
        rates = self.rates()
        normal = rates[DICT_GET.format("dict-local", "thread", 1)]
        shared = rates[DICT_GET.format("dict-manager-unix-stream", "fork", 1)]
        proc = self.run_script("summarize.py", FIXTURE_DICTS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        section = proc.stdout.split("reference figures (documents: Pentium 4, 2.5 GHz, Python processing package):\n")
        self.assertEqual(len(section), 2, proc.stdout)
        self.assertEqual(section[1].splitlines(), [
            f"  shared dict, dict-get dict-manager-unix-stream fork 1 client: {formatting.fmt_rate(shared)} operations/s"
            " (documents: 18.0k-20.0k/s)",
            f"  normal dict, dict-get dict-local 1 client: {formatting.fmt_rate(normal)} operations/s (documents: 5.00M/s)",
            f"  normal / shared: {normal / shared:.0f}x (documents: about 250-278x)"])

    def test_missing_side_is_not_measured(self):
        data = {"benchmarks": [bench(DICT_GET.format("dict-local", "thread", 1), 0.01, items_per_second=9e7),
                               bench(DICT_GET.format("dict-manager-unix-stream", "thread", 1), 70.0,
                                     items_per_second=14e3)]}  # thread, not the documented process case
        lines = targets.reference_lines(runfile.pick_best(runfile.collect(data)[0]))
        self.assertIn("fork 1 client: not measured in this run (documents: 18.0k-20.0k/s)", lines[0])
        self.assertIn("dict-local 1 client: 90.0M operations/s", lines[1])
        self.assertEqual(lines[2], "normal / shared: not measured in this run (documents: about 250-278x)")
        proc = self.run_script("summarize.py", self.write_json({"benchmarks": data["benchmarks"][1:]}))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("dict-local 1 client: not measured in this run", proc.stdout)

    def test_failed_dict_benchmark_shows_fail(self):
        data = {"benchmarks": [
            bench(DICT_GET.format("dict-local", "thread", 1), 0.01, items_per_second=9e7, peer_cpu_ns_per_iter=11.0),
            failed(DICT_GET.format("dict-manager-pipe", "fork", 1), "server exited with status 1"),
            bench(DICT_GET.format("dict-manager-pipe", "fork", 2), 40.0, items_per_second=3e4,
                  peer_cpu_ns_per_iter=14e3, server_cpu_ns_per_iter=11e3),
        ]}
        by_title = self.tables(data)
        self.assertEqual(by_title["dict-get: operations/s, all clients together (median ±spread)"].rows,
                         [["dict-local", "thread", "block", "90.0M", "-"],
                          ["dict-manager-pipe", "fork", "block", "FAIL", "30.0k"]])
        self.assertEqual(by_title["dict-get: CPU us per operation, clients+server where a server answers (median)"].rows,
                         [["dict-local", "thread", "block", "0.011", "-"],
                          ["dict-manager-pipe", "fork", "block", "FAIL", "14.0+11.0"]])
        proc = self.run_script("summarize.py", self.write_json(data))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"failed (1):\n  {DICT_GET.format('dict-manager-pipe', 'fork', 1)}: server exited with status 1",
                      proc.stdout)

    def test_report_writes_dicts_png(self):
        out = os.path.join(self.tmp, "out")
        proc = self.run_script("report.py", FIXTURE_DICTS, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # The documented figures include the dictionaries': their figure is drawn too.
        self.assertEqual(sorted(os.listdir(out)), [DICT_PNG, "documented.png", "report.html"])
        with open(os.path.join(out, DICT_PNG), "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(data), 20000)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn(f'alt="{DICT_PNG}"', page)
        self.assertIn("dict-local (a plain map, one client) is the baseline", page)
        self.assertIn("<h3>dict-mixed: operations/s, all clients together (median ±spread)</h3>", page)
        self.assertIn("<th class=num>4 clients</th>", page)
        for png in PNGS:
            self.assertIn(f"{png} not generated", page)


if __name__ == "__main__":
    unittest.main()
