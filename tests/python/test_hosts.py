"""Tests for plots/hosts.py on crafted runs shaped like scripts/netns-hosts.sh's."""

import json
import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "plots"))
import hosts  # noqa: E402


def entry(workload, transport, placement, wait, size, hosts_segment="", **counters):
    name = (f"{workload}/transport:{transport}/placement:{placement}{hosts_segment}/wait:{wait}"
            f"/size:{size}/manual_time")
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
            "real_time": 1.0, "cpu_time": 1.0, "time_unit": "us", **counters}


def run_of(entries, hosts_text):
    return {"context": {"mpi": f"Open MPI v4.1.4; 2 ranks on {hosts_text}"}, "benchmarks": entries}


class HostsReport(unittest.TestCase):
    def test_ratios_and_figures(self):
        same, across = [], []
        for size in (64, 1 << 20):
            for transport, placement, wait, rtt, rate in (
                    ("mpi", "rank", "spin", 2000, 4e9), ("shm-spsc", "fork", "spin", 1000, 8e9),
                    ("tcp", "fork", "block", 30000, 1e9), ("zmq-tcp", "fork", "block", 60000, 5e8),
                    ("tcp", "rank", "block", 30000, 1e9)):
                seg = "/hosts:vm,vm" if placement == "rank" else ""
                same.append(entry("pingpong", transport, placement, wait, size, seg, rtt_p50_ns=rtt))
                same.append(entry("stream", transport, placement, wait, size, seg, bytes_per_second=rate))
            for transport in ("tcp", "zmq-tcp", "mpi"):
                across.append(entry("pingpong", transport, "rank", "block", size, "/hosts:ipcm-a,ipcm-b",
                                    rtt_p50_ns=90000))
                across.append(entry("stream", transport, "rank", "block", size, "/hosts:ipcm-a,ipcm-b",
                                    bytes_per_second=2e8))
        with tempfile.TemporaryDirectory() as run:
            for name, entries, text in (("same-host.json", same, "vm,vm"), ("netns.json", across, "ipcm-a,ipcm-b")):
                with open(os.path.join(run, name), "w") as f:
                    json.dump(run_of(entries, text), f)
            self.assertEqual(hosts.main([run]), 0)
            for png in ("anchors.png", "netns.png"):
                self.assertGreater(os.path.getsize(os.path.join(run, png)), 10000, png)
            with open(os.path.join(run, "hosts.md")) as f:
                md = f.read()
        # mpi's round trip over shm-spsc's, and tcp's throughput over zmq-tcp's, in one host.
        self.assertIn("| mpi (rank) / shm-spsc (fork), spin | 64 | 2.0 / 1.0 | 2.00x | 4000 / 8000 | 0.50x |", md)
        self.assertIn("| tcp (fork) / zmq-tcp (fork), block | 1M | 30.0 / 60.0 | 0.50x | 1000 / 500 | 2.00x |", md)
        # Across namespaces, against the same transport between two ranks of one host.
        self.assertIn("| tcp | block | 64 | 90.0 | 200 | 3.00x |", md)
        self.assertIn("## Across namespaces (ipcm-a,ipcm-b)", md)

    def test_a_directory_without_runs_is_one_line_and_status_2(self):
        with tempfile.TemporaryDirectory() as run:
            self.assertEqual(hosts.main([run]), 2)


if __name__ == "__main__":
    unittest.main()
