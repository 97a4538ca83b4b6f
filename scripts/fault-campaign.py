#!/usr/bin/env python3
"""The fault campaign: faults injected into real runs of ipcmeter-bench while their messages
flow, across transports and process placements, each checked for detection, hangs and leftovers.

    python3 scripts/fault-campaign.py                      # 112 faults, release build
    python3 scripts/fault-campaign.py --faults 16 --bench build/debug/bench/ipcmeter-bench
    python3 scripts/fault-campaign.py --faults 1000 --load cpu,memory --memory-margin 1024

Faults (round-robin over the kinds, transport, placement and moment drawn at random):
  kill-peer     SIGKILL a peer process in the middle of its run (inside queue operations too:
                a queue-boost or dict-shm peer spends most of its time in them)
  stop-peer     SIGSTOP a peer: the watchdog must end the run within the timeout + grace
  kill-suite    SIGKILL the suite: its peers must die with it, and the next start's sweep
                (here `--clean`) must remove every name it left
  int-suite     SIGINT the suite: it must clean up and die of the signal
  kill-manager  SIGKILL the process that serves a manager (a dict or queue manager's server
                threads live in the suite's process) while its clients are mid-request
  corrupt       one bit of one message flipped by the sending peer (--inject=corrupt:N): the
                receiver must fail the run naming the message
  precreate     the next shared-memory name taken first by another program (names made
                predictable with IPCMETER_NAME_SEED): the run must succeed under another name
                and leave the other program's object untouched

Strikes follow the run, not the clock: the suite runs with --inject=announce:N and
IPCMETER_EVENTS naming a FIFO, so each peer writes a line when it reaches its Nth operation
(messages flow), and one when its part starts and when it is done. A signal is sent on the first such line of a
batch whose part still has 50 ms to run at its pace since its "go" line (N is random, so
the operation it lands in varies),
and it counts only if it landed: the target was alive and the peer had not yet said done.
A corruption counts once its sender traced it. A fault that did not land (the run ended
first) is never counted as a miss or a pass: it is run again, twice as long with the fault
point twice as early, up to 4 times, and the tally says how many were retried.

Each fault is "detected" when the run ends the way the kind says (a one-line failure, the
signal, a successful retry, or a sweep that removed everything); a "hang" is a run that
outlived the timeout plus the watchdog's grace plus 3 s; "leftovers" are shm names of the
run's processes, entries in the run's private temp dir, and processes of the run still alive
once it is over. Exit status 0 when every fault was detected with no hang and no leftover.

--load runs the whole campaign under a stated load that the script starts and always stops
(scripts/campaign_load.py): `cpu`, a busy loop pinned to each CPU at the campaign's own
priority; `memory`, a helper holding all of MemAvailable but --memory-margin MiB (default 1024)
in pages it has written, giving pages back when another process needs them. The tally says
the load and the campaign's run time. Standard library only.
"""
import argparse
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time

from campaign_load import Load

KINDS = ["kill-peer", "stop-peer", "kill-suite", "int-suite", "kill-manager", "corrupt", "precreate"]
PLACEMENTS = ["fork", "spawn"]


class Media:
    """What each fault kind draws from, derived from the registry (`ipcmeter-bench --list-json`),
    never listed here by hand: every medium that crosses processes on one host (not the
    peerless `none`, not one for MPI ranks only) is struck by some kind.
      links     the transports themselves (family link, not a manager's): any signal, and the
                corruption of a message on the way
      dicts     the dictionaries with no manager (a map in shared memory)
      managers  the dict and queue managers over every transport: their server can be killed too
      shm       the media that name shared memory of their own (kind and first-name suffix),
                whose first name a precreate fault takes
    A link that only alternates (a request/reply socket) runs pingpong, the others stream."""

    def __init__(self, listed):
        crossing = [m for m in listed["media"]
                    if m["crosses_processes"] and not m["ranks_only"] and not m["none"]]
        self.all = [m["name"] for m in crossing]
        self.links = [m["name"] for m in crossing if m["family"] == "link" and not m["managed"]]
        self.dicts = [m["name"] for m in crossing if m["family"] == "dict" and not m["managed"]]
        self.managers = [m["name"] for m in crossing if m["managed"]]
        self.shm = {m["name"]: (m["shm_kind"], m["shm_first_suffix"]) for m in crossing if m["shm_kind"]}
        self.family = {m["name"]: m["family"] for m in crossing}
        self.alternating = {m["name"] for m in crossing if m["alternating_only"]}

    @staticmethod
    def of(bench):
        try:
            out = subprocess.run([bench, "--list-json"], capture_output=True, text=True, timeout=60, check=True)
            return Media(json.loads(out.stdout))
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
            raise RuntimeError(f"cannot read the registry from {bench} --list-json: {error}") from error

    def pool(self, kind):
        """The media a fault of this kind is drawn from."""
        if kind == "kill-manager":
            return self.managers
        if kind == "corrupt":
            return self.links
        if kind == "precreate":
            return sorted(self.shm)
        return self.links + self.dicts + self.managers

    def uncovered(self):
        """The process-crossing media no kind draws, and the kinds with nothing to draw."""
        drawn = set().union(*(self.pool(k) for k in KINDS))
        return sorted(set(self.all) - drawn), [k for k in KINDS if not self.pool(k)]


GRACE_S = 2.0    # the watchdog's grace after the timeout (stated in --help)
SLACK_S = 3.0    # a loaded 2-core machine's allowance on top
# A signal is sent only into a part with at least this much still to run (at its pace so far),
# so it lands mid-part even when this script is descheduled for a while by a CPU hog.
STRIKE_AHEAD_S = 0.05
M64 = (1 << 64) - 1


def benchmark_filter(media, medium, placement, size):
    if media.family[medium] == "dict":
        return f"^dict-get/transport:{medium}/placement:{placement}/wait:block/clients:1/"
    workload = "pingpong" if medium in media.alternating else "stream"
    return f"^{workload}/transport:{medium}/placement:{placement}/wait:block/size:{size}/"


def children_of(pid):
    """The live (not zombie) processes whose parent is pid, or whose command line says it
    spawned them (a spawned peer's parent-pid=)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            state, ppid = fields[0], int(fields[1])
            if state == "Z":
                continue
            if ppid == pid:
                found.append(int(entry))
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f"parent-pid={pid}".encode() in f.read():
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def owner_of(name):
    """The pid in an ipcm name (the first field of its creator's stamp,
    "ipcm-<kind>-<pid>-ns<inode>-t<ticks>-<random>", as transports/leftovers.cpp reads it;
    an older form has the pid alone), or 0."""
    if not name.startswith("ipcm-"):
        return 0
    for field in name[5:].split("-"):
        if field.isdigit():
            return int(field)
        if any(c.isdigit() for c in field):
            return 0
    return 0


def shm_names_of(pids):
    return sorted(n for n in os.listdir("/dev/shm") if owner_of(n) in pids)


def creator_stamp(pid):
    """The stamp process `pid` puts in the names it makes (transports/creator_stamp.hpp): its
    pid, its pid namespace's inode and its start time in clock ticks since boot (field 22 of
    /proc/<pid>/stat, which an exec keeps)."""
    namespace = os.stat(f"/proc/{pid}/ns/pid").st_ino
    with open(f"/proc/{pid}/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return f"{pid}-ns{namespace}-t{ticks}"


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


class Trace:
    """The run's own trace (IPCMETER_EVENTS, harness/events.hpp): a FIFO its peers write a line
    to when their fault point is reached ("struck") and when their part is done ("done")."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path, 0o600)
        # Read-write, so that writers' non-blocking opens succeed and no EOF is ever seen.
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.lines = []
        self.pending = b""

    def read(self, timeout):
        """The lines that arrived within `timeout` seconds (as dicts, with their time `t`)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        fresh = []
        while ready:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.pending += chunk
        *whole, self.pending = self.pending.split(b"\n")
        for raw in whole:
            words = raw.decode(errors="replace").split()
            if len(words) < 2 or not words[0].isdigit():
                continue  # not a line of the trace's form
            stamp, what, *fields = words
            line = dict(f.split("=", 1) for f in fields if "=" in f)
            line.update(t=int(stamp) / 1e9, what=what)
            fresh.append(line)
        self.lines.extend(fresh)
        return fresh

    def at(self, what, pid):
        """When process `pid` last wrote a `what` line ("go", "done"), or None."""
        times = [line["t"] for line in self.lines if line["what"] == what and line.get("pid") == str(pid)]
        return max(times) if times else None

    def time_left(self, line):
        """At a "struck" line: how long its peer's part should still run, from the pace of the
        operations since its "go" (seconds; 0 when the part is already done)."""
        pid = line["pid"]
        if self.at("done", pid) is not None:
            return 0.0
        start, op, of = self.at("go", pid), int(line["op"]) + 1, int(line["of"])
        if start is None or line["t"] <= start:
            return 0.0
        return (of - op) * (line["t"] - start) / op

    def struck(self):
        return [line for line in self.lines if line["what"] == "struck"]

    def close(self):
        os.close(self.fd)
        os.unlink(self.path)


class Campaign:
    # A fault that did not land (the run ended first, or the fault point was never reached) is
    # tried again this often, each time with a run twice as long and an earlier strike.
    RETRIES = 4

    def __init__(self, args, media):
        self.args = args
        self.bench = os.path.abspath(args.bench)
        self.media = media
        self.rng = random.Random(args.seed)
        self.root = tempfile.mkdtemp(prefix="ipcmeter-faults-")
        self.rows = []
        self.bench_runs = 0

    def command(self, medium, placement, size, min_time, extra=()):
        return [self.bench, f"--benchmark_filter={benchmark_filter(self.media, medium, placement, size)}",
                f"--benchmark_min_time={min_time}", "--benchmark_repetitions=1",
                "--profile=full", f"--sizes={size}", "--depths=64", "--clients=1", "--waits=block",
                f"--timeout={self.args.timeout}", *extra]

    def start(self, cmd, env_extra=None, stopped=False):
        env = dict(os.environ, IPCMETER_TMPDIR=self.tmp, **(env_extra or {}))
        out = open(os.path.join(self.tmp_log, "out.txt"), "wb")
        self.bench_runs += 1
        if not stopped:
            return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True).pid, out
        # Stopped before exec, so that its stamp (pid, pid namespace and start time, part of
        # every name it makes; exec keeps them) is known
        # before it makes any: the precreate fault takes the first one.
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                os.kill(os.getpid(), signal.SIGSTOP)
                os.execve(cmd[0], cmd, env)
            finally:
                os._exit(127)
        os.waitpid(pid, os.WUNTRACED)
        return pid, out

    @staticmethod
    def exited(pid):
        """Its exit status (or -signal) once it has ended, else None."""
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            return None
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)

    @staticmethod
    def kill_session(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def strike_when_flowing(self, pid, trace, kind, limit):
        """Follows the run's trace and strikes once a peer says messages flow with most of its
        part still ahead. Returns (exit status or None past `limit`, the strike or None)."""
        begin = time.monotonic()
        strike = None
        while True:
            for line in trace.read(0.02):
                if strike is not None or line["what"] != "struck":
                    continue
                if trace.time_left(line) < STRIKE_AHEAD_S:
                    continue  # a short batch: its peer would be done before the strike lands
                peer = int(line["pid"])
                target = peer if kind in ("kill-peer", "stop-peer") else pid
                sig = {"kill-peer": signal.SIGKILL, "stop-peer": signal.SIGSTOP,
                       "int-suite": signal.SIGINT}.get(kind, signal.SIGKILL)
                if not alive(target) or not alive(peer):
                    continue
                before = time.monotonic()
                try:
                    os.kill(target, sig)
                except ProcessLookupError:
                    continue
                strike = {"peer": peer, "target": target, "before": before, "after": time.monotonic()}
            code = self.exited(pid)
            if code is not None:
                trace.read(0)
                return code, strike
            if time.monotonic() - (strike["after"] if strike else begin) > limit:
                self.kill_session(pid)
                os.waitpid(pid, 0)
                return None, strike

    def wait_exit(self, pid, limit):
        """The exit status (or -signal), or None once `limit` passed (the session is killed)."""
        begin = time.monotonic()
        while True:
            code = self.exited(pid)
            if code is not None:
                return code
            if time.monotonic() - begin > limit:
                self.kill_session(pid)
                os.waitpid(pid, 0)
                return None
            time.sleep(0.01)

    def leftovers(self, pids):
        """What the run left: shm names of its processes, its temp dir's entries, live processes.
        A peer killed with its parent is reaped by init a moment later: waited for, up to 2 s."""
        end = time.monotonic() + 2.0
        while any(alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.01)
        names = shm_names_of(pids)
        dirs = sorted(os.listdir(self.tmp))
        procs = [p for p in pids if alive(p)]
        return names, dirs, procs

    def draw(self, index, kind):
        """The fault's medium, placement, size and fault point, drawn once (retries keep them)."""
        rng = self.rng
        placement = rng.choice(PLACEMENTS)
        size = rng.choice([64, 4096, 65536])
        medium = rng.choice(self.media.pool(kind))
        return {"fault": index, "kind": kind, "medium": medium, "placement": placement,
                "size": size, "point": rng.randint(1, 100) if kind == "corrupt" else rng.randint(20, 400),
                "seed": rng.getrandbits(64), "detected": False, "hang": False, "leftovers": [],
                "note": "", "retried": 0}

    def attempt(self, row, attempt):
        """One run with its fault. Returns the row filled in, with row["landed"] False when the
        fault never reached the run (it is then tried again, never counted)."""
        kind, medium, placement, size = row["kind"], row["medium"], row["placement"], row["size"]
        self.tmp = os.path.join(self.root, f"run{row['fault']}-{attempt}")
        self.tmp_log = os.path.join(self.root, f"log{row['fault']}-{attempt}")
        os.makedirs(self.tmp)
        os.makedirs(self.tmp_log)
        trace = Trace(os.path.join(self.tmp_log, "events"))
        # Each retry: a run twice as long, and the fault point (where a peer announces that
        # messages flow, or corrupts one) twice as early.
        min_time = self.args.min_time * (2 ** attempt)
        point = max(1, row["point"] >> attempt)
        limit = self.args.timeout + GRACE_S + SLACK_S
        env_extra = {"IPCMETER_EVENTS": trace.path}
        extra = [f"--inject={'corrupt' if kind == 'corrupt' else 'announce'}:{point}"]
        taken = []
        if kind == "precreate":
            pid, out = self.start_precreated(row, min_time, env_extra, taken)
        else:
            pid, out = self.start(self.command(medium, placement, size, min_time, extra), env_extra)
        strike = None
        if kind in ("kill-peer", "stop-peer", "kill-manager", "kill-suite", "int-suite"):
            code, strike = self.strike_when_flowing(pid, trace, kind, limit + min_time * 20)
        else:
            code = self.wait_exit(pid, limit + min_time * 20)
            trace.read(0)
        out.close()
        pids = {pid} | set(children_of(pid)) | {int(l["pid"]) for l in trace.lines if "pid" in l}
        with open(os.path.join(self.tmp_log, "out.txt"), errors="replace") as f:
            text = f.read()
        row["exit"] = code
        row["landed"] = self.landed(kind, trace, strike)
        if code is None:
            row["hang"] = True
            row["landed"] = True  # a hang is counted, whatever struck
            row["note"] = "still running past the deadline: killed"
        elif strike is not None and row["landed"] and time.monotonic() - strike["after"] > limit + 0.5:
            row["hang"] = True
        trace.close()
        self.judge(row, code, text, pids, taken)
        names, dirs, procs = self.leftovers(pids)
        names = [n for n in names if n not in taken]
        row["leftovers"] = ([f"/dev/shm/{n}" for n in names] + [os.path.join(self.tmp, d) for d in dirs]
                            + [f"pid {p}" for p in procs])
        for p in procs:  # never let the campaign itself leave them
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        for n in taken:
            try:
                os.unlink(f"/dev/shm/{n}")
            except OSError:
                pass
        if not row["detected"]:
            row["output"] = text[-600:]
        return row

    def start_precreated(self, row, min_time, env_extra, taken):
        """Starts the run stopped, takes the first two shared-memory names it will try (made
        predictable by IPCMETER_NAME_SEED; appended to `taken`), then lets it go."""
        medium = row["medium"]
        env_extra["IPCMETER_NAME_SEED"] = f"{row['seed']:016x}"
        pid, out = self.start(self.command(medium, row["placement"], row["size"], min_time), env_extra,
                              stopped=True)
        state = row["seed"]
        shm_kind, suffix = self.media.shm[medium]
        stamp = creator_stamp(pid)
        for _ in range(2):
            state, value = splitmix(state)
            name = f"ipcm-{shm_kind}-{stamp}-{value:016x}{suffix}"
            with open(f"/dev/shm/{name}", "w") as f:
                f.write("another program's object\n")
            taken.append(name)
        os.kill(pid, signal.SIGCONT)
        return pid, out

    @staticmethod
    def landed(kind, trace, strike):
        """Whether the fault reached the run: a signal struck a live process before the peer
        that announced the flowing messages was done; a corruption was made (its sender traced
        it); precreated names were there before the run started."""
        if kind == "precreate":
            return True
        if kind == "corrupt":
            return bool(trace.struck())
        if strike is None:
            return False
        done = trace.at("done", strike["peer"])
        return done is None or done > strike["before"]

    def judge(self, row, code, text, pids, taken):
        kind = row["kind"]
        failed_line = "benchmark(s) failed:" in text
        if kind in ("kill-peer", "stop-peer", "corrupt"):
            row["detected"] = code == 1 and failed_line
            if kind == "corrupt":
                row["detected"] = row["detected"] and ("checksum" in text or "corrupt" in text)
        elif kind == "int-suite":
            row["detected"] = code == -signal.SIGINT
        elif kind in ("kill-suite", "kill-manager"):
            # The suite cannot see its own SIGKILL: its peers must die with it, and the next
            # start must remove what it left.
            names, dirs, procs = self.leftovers(pids)
            clean = subprocess.run([self.bench, "--clean"], env=dict(os.environ, IPCMETER_TMPDIR=self.tmp),
                                   capture_output=True, text=True)
            self.bench_runs += 1
            row["left_before_sweep"] = len(names) + len(dirs)
            row["detected"] = clean.returncode == 0 and not procs and all(
                f"removed /dev/shm/{n}" in clean.stdout for n in names)
        elif kind == "precreate":
            untouched = all(open(f"/dev/shm/{n}").read() == "another program's object\n"
                            for n in taken if os.path.exists(f"/dev/shm/{n}"))
            still_there = all(os.path.exists(f"/dev/shm/{n}") for n in taken)
            row["detected"] = code == 0 and untouched and still_there

    def one(self, index, kind):
        row = self.draw(index, kind)
        for attempt in range(self.RETRIES + 1):
            row.update(detected=False, hang=False, leftovers=[], note="")
            self.attempt(row, attempt)
            if row["landed"] or row["leftovers"]:
                return row
            row["retried"] += 1
        row["note"] = f"never landed in {self.RETRIES + 1} runs"
        return row

    def run(self):
        kinds = [KINDS[i % len(KINDS)] for i in range(self.args.faults)]
        self.rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            row = self.one(i, kind)
            self.rows.append(row)
            mark = "ok" if self.passed(row) else "MISS"
            if self.args.verbose or mark != "ok":
                print(f"[{i + 1}/{len(kinds)}] {mark} {kind} {row['medium']} {row['placement']} "
                      f"size {row['size']} exit {row['exit']} retried {row['retried']} {row['note']} "
                      f"{' '.join(row['leftovers'])}", flush=True)
                if mark != "ok" and "output" in row:
                    print("    " + row["output"].strip().replace("\n", "\n    "), flush=True)
        subprocess.run(["rm", "-rf", self.root])

    @staticmethod
    def passed(row):
        return row["landed"] and row["detected"] and not row["hang"] and not row["leftovers"]

    def tally(self, load="none", seconds=0.0):
        lines = [f"fault campaign: {len(self.rows)} faults in {self.bench_runs} runs of "
                 f"{os.path.relpath(self.bench)}, seed {self.args.seed}, timeout {self.args.timeout} s "
                 f"+ {GRACE_S:g} s grace, run time {seconds:.0f} s",
                 f"load: {load}",
                 "",
                 "| fault | injected | detected | hangs past the deadline | leftovers (shm, dirs, processes) "
                 "| retried (landed too late) | never landed |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        for kind in KINDS + ["total"]:
            rows = self.rows if kind == "total" else [r for r in self.rows if r["kind"] == kind]
            if not rows:
                continue
            injected = [r for r in rows if r["landed"]]
            counts = [len(injected), sum(r["detected"] for r in injected), sum(r["hang"] for r in injected),
                      sum(len(r["leftovers"]) for r in rows), sum(r["retried"] for r in rows),
                      sum(not r["landed"] for r in rows)]
            label = "**total**" if kind == "total" else kind
            lines.append(f"| {label} | " + " | ".join(str(c) for c in counts) + " |")
        media = sorted({(r["medium"], r["placement"]) for r in self.rows})
        lines.append("")
        lines.append(f"covered: {len({m for m, _ in media})} media x {len({p for _, p in media})} "
                     f"placements ({len(media)} pairs)")
        return "\n".join(lines)


def coverage(media):
    for kind in KINDS:
        print(f"{kind:<13} {' '.join(media.pool(kind))}")
    missing, empty = media.uncovered()
    for name in missing:
        print(f"fault-campaign: {name} crosses processes but no fault kind strikes it", file=sys.stderr)
    for kind in empty:
        print(f"fault-campaign: the registry gives {kind} nothing to strike", file=sys.stderr)
    return 1 if missing or empty else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default="build/release/bench/ipcmeter-bench")
    parser.add_argument("--faults", type=int, default=112)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=2.0, help="the suite's --timeout (s)")
    parser.add_argument("--min-time", dest="min_time", type=float, default=0.3)
    parser.add_argument("--json", help="write every fault's row here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--coverage", action="store_true",
                        help="print what each kind draws from the registry and check that every "
                             "process-crossing medium is struck by some kind (exit 1 if not); run nothing")
    parser.add_argument("--load", default="none", choices=["none", "cpu", "memory", "cpu,memory"],
                        help="run under a CPU hog on every CPU and/or memory nearly full (see above)")
    parser.add_argument("--memory-margin", dest="memory_margin", type=int, default=1024,
                        help="MiB of MemAvailable the memory load leaves free (default 1024)")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if not os.access(args.bench, os.X_OK):
        print(f"fault-campaign: no benchmark binary at {args.bench} (build it first)", file=sys.stderr)
        return 2
    if args.faults < 1:
        print("fault-campaign: --faults must be at least 1", file=sys.stderr)
        return 2
    if args.memory_margin < 256:
        print("fault-campaign: --memory-margin must be at least 256 (MiB)", file=sys.stderr)
        return 2
    try:
        media = Media.of(os.path.abspath(args.bench))
    except RuntimeError as error:
        print(f"fault-campaign: {error}", file=sys.stderr)
        return 2
    if args.coverage:
        return coverage(media)
    # SIGTERM ends the campaign as Ctrl-C does: the load is stopped and the tally printed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    campaign = Campaign(args, media)
    load = Load([] if args.load == "none" else args.load.split(","), args.memory_margin)
    start = time.monotonic()
    try:
        with load:
            start = time.monotonic()  # the campaign's own time, not the load's filling
            campaign.run()
    except KeyboardInterrupt:
        print("fault-campaign: interrupted; the tally covers the faults so far", file=sys.stderr)
    except RuntimeError as error:  # the load could not be started: nothing was run
        print(f"fault-campaign: {error}", file=sys.stderr)
        return 2
    print(campaign.tally(load.describe(), time.monotonic() - start))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(campaign.rows, f, indent=1)
    ok = all(Campaign.passed(r) for r in campaign.rows)
    return 0 if ok and len(campaign.rows) == args.faults else 1


if __name__ == "__main__":
    sys.exit(main())
