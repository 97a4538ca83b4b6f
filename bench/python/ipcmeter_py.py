#!/usr/bin/python3
"""The documents' measurements in Python today (standard library only).

What the processing package's documentation measured in 2008 on a Pentium 4, measured again
on this machine with today's CPython: multiprocessing.Queue and Manager().Queue() between
processes, queue.Queue between threads, a Manager().dict() get against a plain dict get, a
Pipe, connection.Listener/Client, fork against spawn start-up, and the election kernel in
pure Python with one thread, two threads and two processes (the GIL claim).

Writes Google Benchmark-format JSON (one entry per sample, run_type "iteration") with names
in ipcmeter's convention, e.g. stream/transport:py-mp-queue/placement:fork/wait:block/size:64/
manual_time, so plots/summarize.py, plots/compare.py and plots/check.py read it as they read
the suite's own. Every message is checked (its sequence number and its payload).
"""

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import queue
import random
import re
import socket
import sys
import tempfile
import threading
import time
from multiprocessing import connection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELECTION = os.path.join(ROOT, "harness", "workloads", "election")
PROFILES = {  # seconds per sample, samples per figure
    "quick": (0.15, 3),
    "full": (1.0, 5),
}
SIZE = 64  # bytes of payload per message, as the suite's size:64
CHILD_TIMEOUT = 60.0  # a child that has not finished by then fails the benchmark


class BenchError(Exception):
    """A benchmark that failed: the message is its one-line reason."""


# ---- pinning: as the suite's default, the leader on the first CPU, the peer on the second --

def cpus():
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return []


CPUS = cpus()
LEADER_CPU = CPUS[0] if CPUS else None
PEER_CPU = CPUS[1] if len(CPUS) > 1 else LEADER_CPU


def pin(cpu, pid=0):
    """Pins a process, or with pid 0 the calling thread (Linux applies it per thread)."""
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


# ---- messages ------------------------------------------------------------------------

def payload(i):
    """Message i: its number and a payload that depends on it, SIZE bytes in all."""
    return i.to_bytes(8, "little") + bytes(((i * 131 + j) & 0xFF) for j in range(8, SIZE))


PAYLOADS = [payload(i) for i in range(256)]


def message(i):
    return i.to_bytes(8, "little") + PAYLOADS[i & 0xFF][8:]


def check(i, got):
    if got != message(i):
        number = int.from_bytes(got[:8], "little") if isinstance(got, bytes) and len(got) >= 8 else None
        raise BenchError(f"message {i}: received {'a corrupted message' if number == i else f'message {number}'}")


# ---- stream: a producer sends n messages, the consumer (this thread) receives and checks --

def produce(send, n, ready):
    ready()
    for i in range(n):
        send(message(i))


def _consume(recv, n):
    """Receives the ready mark, then times n messages; returns seconds."""
    if recv() != b"ready":
        raise BenchError("the producer did not start as expected")
    start = time.perf_counter()
    for i in range(n):
        check(i, recv())
    return time.perf_counter() - start


def _join(proc):
    proc.join(CHILD_TIMEOUT)
    if proc.is_alive():
        proc.kill()
        proc.join()
        raise BenchError(f"the peer did not finish within {CHILD_TIMEOUT:.0f} s")
    if proc.exitcode != 0:
        raise BenchError(f"the peer exited with status {proc.exitcode}")


def _queue_child(q, n):
    pin(PEER_CPU)
    produce(q.put, n, lambda: q.put(b"ready"))


def stream_thread_queue(n, depth):
    q = queue.Queue(maxsize=depth)

    def run():
        pin(PEER_CPU)
        produce(q.put, n, lambda: q.put(b"ready"))
    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        seconds = _consume(lambda: q.get(timeout=CHILD_TIMEOUT), n)
    except queue.Empty:
        raise BenchError("the producer thread stopped sending") from None
    t.join()
    return seconds


def _stream_process(q, n, get, ctx):
    proc = ctx.Process(target=_queue_child, args=(q, n), daemon=True)
    proc.start()
    try:
        seconds = _consume(get, n)
    except BaseException as e:
        proc.kill()  # it may be blocked on a full queue: nothing will take from it now
        proc.join()
        if isinstance(e, queue.Empty):
            raise BenchError("the producer process stopped sending") from None
        raise
    _join(proc)
    return seconds


def stream_mp_queue(n, ctx):
    q = ctx.Queue()
    try:
        return _stream_process(q, n, lambda: q.get(timeout=CHILD_TIMEOUT), ctx)
    finally:
        q.close()
        q.join_thread()


def stream_manager_queue(n, depth, manager, ctx):
    q = manager.Queue(maxsize=depth)
    return _stream_process(q, n, lambda: q.get(timeout=CHILD_TIMEOUT), ctx)


def _pipe_child(conn, n):
    pin(PEER_CPU)
    produce(conn.send_bytes, n, lambda: conn.send_bytes(b"ready"))
    conn.close()


def _recv_checked(conn):
    if not conn.poll(CHILD_TIMEOUT):
        raise BenchError("the producer process stopped sending")
    return conn.recv_bytes()


def stream_pipe(n, ctx):
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_pipe_child, args=(writer, n), daemon=True)
    proc.start()
    writer.close()
    try:
        return _consume(lambda: _recv_checked(reader), n)
    finally:
        reader.close()
        _join(proc)


def _client_child(address, n):
    pin(PEER_CPU)
    with connection.Client(address, family="AF_UNIX") as conn:
        produce(conn.send_bytes, n, lambda: conn.send_bytes(b"ready"))


def stream_listener(n, ctx):
    with tempfile.TemporaryDirectory(prefix="ipcm-py-") as tmp:
        address = os.path.join(tmp, "listener")
        with connection.Listener(address, family="AF_UNIX") as listener:
            proc = ctx.Process(target=_client_child, args=(address, n), daemon=True)
            proc.start()
            try:
                listener._listener._socket.settimeout(CHILD_TIMEOUT)
                try:
                    conn = listener.accept()
                except socket.timeout:
                    raise BenchError("the client process did not connect") from None
                with conn:
                    return _consume(lambda: _recv_checked(conn), n)
            finally:
                _join(proc)


# ---- dictionaries -----------------------------------------------------------------------

KEYS = 1024


def dict_gets(d, n):
    """n gets of present keys, each value checked; returns seconds."""
    start = time.perf_counter()
    for i in range(n):
        k = i & (KEYS - 1)
        if d[k] != k * 3:
            raise BenchError(f"get {i}: key {k} held {d[k]!r}")
    return time.perf_counter() - start


def plain_dict(n):
    return dict_gets({k: k * 3 for k in range(KEYS)}, n)


def manager_dict(n, manager):
    d = manager.dict({k: k * 3 for k in range(KEYS)})
    return dict_gets(d, n)


# ---- start-up: start a process, one message back through a Pipe, reap it --------------

def _startup_child(conn):
    conn.send_bytes(b"up")
    conn.close()


def startup(n, ctx):
    start = time.perf_counter()
    for _ in range(n):
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_startup_child, args=(writer,))
        proc.start()
        writer.close()
        if _recv_checked(reader) != b"up":
            raise BenchError("the started process sent something else")
        reader.close()
        _join(proc)
    return time.perf_counter() - start


# ---- the election kernel in pure Python ------------------------------------------------

def _read_csv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                rows.append(line.split(","))
    return rows


def election_plan():
    votes = {code: int(v) for code, _, v in _read_csv(os.path.join(ELECTION, "electoral_votes_2008.csv"))}
    probabilities = {code: float(p) for code, p in _read_csv(os.path.join(ELECTION, "scenario_2008.csv"))}
    return [(probabilities[c], votes[c]) for c in votes]


PLAN = None


def simulate(sims, seed):
    """What one writes in Python: a draw per state, the votes summed; returns A's wins."""
    draw = random.Random(seed).random
    plan = PLAN
    wins = 0
    for _ in range(sims):
        votes = 0
        for p, v in plan:
            if draw() < p:
                votes += v
        if votes >= 270:
            wins += 1
    return wins


def _sim_thread(sims, seed, out, cpu):
    pin(cpu)
    out.append(simulate(sims, seed))


def election_workers(sims, workers, placement, ctx):
    """sims simulations split over workers threads or processes; returns seconds."""
    share = sims // workers
    cpus_ = [CPUS[i % len(CPUS)] if CPUS else None for i in range(workers)]
    if placement == "thread":
        out = []
        threads = [threading.Thread(target=_sim_thread, args=(share, w + 1, out, cpus_[w])) for w in range(workers)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
        wins = sum(out)
    else:
        # Started and ready before the clock starts, as the suite times only the work.
        results, go = ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=_sim_process, args=(share, w + 1, results, cpus_[w], go), daemon=True)
                 for w in range(workers)]
        for p in procs:
            p.start()
        try:
            for _ in procs:
                if results.get(timeout=CHILD_TIMEOUT) != "ready":
                    raise BenchError("a worker process did not start as expected")
            start = time.perf_counter()
            go.set()
            wins = sum(results.get(timeout=CHILD_TIMEOUT) for _ in procs)
        except queue.Empty:
            raise BenchError("a worker process did not report") from None
        finally:
            for p in procs:
                _join(p)
        seconds = time.perf_counter() - start
        results.close()
        results.join_thread()
    if not 0 < wins <= share * workers:
        raise BenchError(f"the workers reported {wins} wins of {share * workers}")
    return seconds


def _sim_process(sims, seed, results, cpu, go):
    pin(cpu)
    results.put("ready")
    go.wait()
    results.put(simulate(sims, seed))


# ---- the benchmarks ----------------------------------------------------------------------

class Benchmark:
    def __init__(self, name, run, unit="ns", per="items", first=500, counters=None):
        self.name = name  # the run_name
        self.run = run    # run(n) -> seconds for n iterations
        self.unit = unit
        self.per = per    # "items": items_per_second; "sims": sims_per_s too
        self.first = first  # iterations of the calibration run
        self.counters = counters or {}


def benchmarks(shared, fork, spawn):
    """The benchmarks; shared["manager"] is the Manager, started only when one runs."""
    stream = "stream/transport:{}/placement:{}/wait:block/{}size:64/manual_time"
    sims_name = "election/kernel/kernel:py-pure/placement:{}/workers:{}/real_time"
    return [
        Benchmark(stream.format("py-queue", "thread", "depth:3/"), lambda n: stream_thread_queue(n, 3)),
        Benchmark(stream.format("py-mp-queue", "fork", ""), lambda n: stream_mp_queue(n, fork)),
        Benchmark(stream.format("py-manager-queue", "fork", "depth:3/"),
                  lambda n: stream_manager_queue(n, 3, shared["manager"], fork)),
        Benchmark(stream.format("py-pipe", "fork", ""), lambda n: stream_pipe(n, fork)),
        Benchmark(stream.format("py-listener", "fork", ""), lambda n: stream_listener(n, fork)),
        Benchmark("dict-get/transport:py-dict/placement:thread/wait:block/clients:1/manual_time",
                  plain_dict, first=100000),
        Benchmark("dict-get/transport:py-manager-dict/placement:fork/wait:block/clients:1/manual_time",
                  lambda n: manager_dict(n, shared["manager"])),
        Benchmark("startup/transport:py-pipe/placement:fork/manual_time", lambda n: startup(n, fork),
                  unit="us", first=5),
        Benchmark("startup/transport:py-pipe/placement:spawn/manual_time", lambda n: startup(n, spawn),
                  unit="us", first=2),
        Benchmark(sims_name.format("thread", 1), lambda n: election_workers(n, 1, "thread", fork),
                  per="sims", first=20000),
        Benchmark(sims_name.format("thread", 2), lambda n: election_workers(n, 2, "thread", fork),
                  per="sims", first=20000),
        Benchmark(sims_name.format("fork", 2), lambda n: election_workers(n, 2, "fork", fork),
                  per="sims", first=20000),
    ]


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6}


def measure(bench, min_time, repetitions, seconds_left):
    """Calibrates the count on a first run, then takes the samples."""
    seconds = bench.run(bench.first)
    rate = bench.first / max(seconds, 1e-9)
    n = max(bench.first if bench.unit == "us" else 2, int(rate * min_time))
    if bench.per == "sims":
        n -= n % 2  # split evenly between two workers
    entries = []
    for rep in range(repetitions):
        if seconds_left() <= 0:
            raise BenchError("the driver ran out of its time budget")
        seconds = bench.run(n)
        per_iter = seconds * 1e9 / n / UNIT_NS[bench.unit]
        entry = {"name": bench.name, "run_name": bench.name, "run_type": "iteration", "repetitions": repetitions,
                 "repetition_index": rep, "threads": 1, "iterations": n, "real_time": per_iter,
                 "cpu_time": per_iter, "time_unit": bench.unit, "items_per_second": n / seconds}
        if bench.per == "sims":
            entry["sims_per_s"] = n / seconds
        entries.append(entry)
    return entries


def context(profile):
    model = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    pinning = f"{LEADER_CPU},{PEER_CPU}" if LEADER_CPU is not None else "none"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host_name": platform.node(), "executable": os.path.abspath(__file__),
        "num_cpus": os.cpu_count(), "cpu_model": model, "library_build_type": "python",
        "ipcmeter_driver": "python", "ipcmeter_profile": profile, "ipcmeter_pinning": pinning,
        "python_version": platform.python_version(), "python_implementation": platform.python_implementation(),
        "kernel": " ".join(platform.uname()[2:4]),
    }


def write_atomic(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    ap.add_argument("--filter", default="", help="a regular expression: run only the benchmarks it matches")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds the whole run may take (default 120)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)
    try:
        wanted = re.compile(args.filter)
    except re.error as e:
        print(f"ipcmeter_py.py: --filter: {e}", file=sys.stderr)
        return 2
    if not args.budget > 0 or args.budget == float("inf"):
        print("ipcmeter_py.py: --budget must be a positive number of seconds", file=sys.stderr)
        return 2
    global PLAN
    PLAN = election_plan()
    min_time, repetitions = PROFILES[args.profile]
    fork, spawn = multiprocessing.get_context("fork"), multiprocessing.get_context("spawn")
    # The Manager's server is its own process, as in Python; the client (this process) on
    # the leader's CPU and the server on the peer's, as the suite places a client and a server.
    shared = {}
    chosen = [b for b in benchmarks(shared, fork, spawn) if wanted.search(b.name)]
    if args.list:
        print("\n".join(b.name for b in chosen))
        return 0
    if not chosen:
        print(f"ipcmeter_py.py: no benchmark matches --filter={args.filter}", file=sys.stderr)
        return 2
    pin(LEADER_CPU)
    deadline = time.monotonic() + args.budget
    out, failed = [], 0
    try:
        if any("manager" in b.name for b in chosen):
            shared["manager"] = fork.Manager()
            pin(PEER_CPU, shared["manager"]._process.pid)
        for i, bench in enumerate(chosen, 1):
            print(f"[ipcmeter_py] {i}/{len(chosen)} {bench.name}", file=sys.stderr)
            try:
                out += measure(bench, min_time, repetitions, lambda: deadline - time.monotonic())
            except (BenchError, OSError, EOFError) as e:
                failed += 1
                reason = " ".join(str(e).split()) or type(e).__name__
                print(f"[ipcmeter_py] {bench.name} FAILED: {reason}", file=sys.stderr)
                out.append({"name": bench.name, "run_name": bench.name, "run_type": "iteration",
                            "repetitions": repetitions, "error_occurred": True, "error_message": reason})
    finally:
        if "manager" in shared:
            shared["manager"].shutdown()
    data = {"context": context(args.profile), "benchmarks": out}
    if args.out:
        write_atomic(args.out, data)
    else:
        json.dump(data, sys.stdout, indent=1)
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
