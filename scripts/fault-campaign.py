#!/usr/bin/env python3
"""The fault campaign: faults injected at random points into real runs of ipcmeter-bench,
across transports and process placements, each checked for detection, hangs and leftovers.

    python3 scripts/fault-campaign.py                      # 112 faults, release build
    python3 scripts/fault-campaign.py --faults 16 --bench build/debug/bench/ipcmeter-bench

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

Each fault is "detected" when the run ends the way the kind says (a one-line failure, the
signal, a successful retry, or a sweep that removed everything); a "hang" is a run that
outlived the timeout plus the watchdog's grace plus 3 s; "leftovers" are shm names of the
run's processes, entries in the run's private temp dir, and processes of the run still alive
once it is over. Exit status 0 when every fault was detected with no hang and no leftover.
Standard library only.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

KINDS = ["kill-peer", "stop-peer", "kill-suite", "int-suite", "kill-manager", "corrupt", "precreate"]
# Transports that cross processes, as stream (or pingpong, for the alternating one) links.
LINKS = ["pipe", "socketpair", "unix-stream", "unix-seqpacket", "shm-spsc", "queue-boost",
         "zmq-ipc", "zmq-tcp", "zmq-reqrep", "tcp", "queue-manager-unix-stream"]
DICTS = ["dict-shm", "dict-manager-unix-stream"]
MANAGERS = ["dict-manager-unix-stream", "queue-manager-unix-stream", "dict-manager-shm-spsc",
            "queue-manager-pipe"]
# The shm kinds whose first name a precreate fault takes (the transport's own names).
SHM_KIND = {"shm-spsc": "spsc", "queue-boost": "mq", "dict-shm": "dict"}
PLACEMENTS = ["fork", "spawn"]
GRACE_S = 2.0    # the watchdog's grace after the timeout (stated in --help)
SLACK_S = 3.0    # a loaded 2-core machine's allowance on top
M64 = (1 << 64) - 1


def benchmark_filter(medium, placement, size):
    if medium.startswith("dict-"):
        return f"^dict-get/transport:{medium}/placement:{placement}/wait:block/clients:1/"
    workload = "pingpong" if medium == "zmq-reqrep" else "stream"
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
    """The pid in an ipcm name (as transports/leftovers.cpp reads it), or 0."""
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


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


class Campaign:
    def __init__(self, args):
        self.args = args
        self.bench = os.path.abspath(args.bench)
        self.rng = random.Random(args.seed)
        self.root = tempfile.mkdtemp(prefix="ipcmeter-faults-")
        self.rows = []
        self.bench_runs = 0

    def command(self, medium, placement, size, extra=()):
        return [self.bench, f"--benchmark_filter={benchmark_filter(medium, placement, size)}",
                f"--benchmark_min_time={self.args.min_time}", "--benchmark_repetitions=1",
                "--profile=full", f"--sizes={size}", "--depths=64", "--clients=1", "--waits=block",
                f"--timeout={self.args.timeout}", *extra]

    def start(self, cmd, env_extra=None, stopped=False):
        env = dict(os.environ, IPCMETER_TMPDIR=self.tmp, **(env_extra or {}))
        out = open(os.path.join(self.tmp_log, "out.txt"), "wb")
        self.bench_runs += 1
        if not stopped:
            return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True), out
        # Stopped before exec, so that its pid (part of every name it makes) is known
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

    def wait_exit(self, proc, limit):
        """(exit status or -signal, seconds) ; kills the whole session past `limit`."""
        begin = time.monotonic()
        pid = proc if isinstance(proc, int) else proc.pid
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                if not isinstance(proc, int):
                    proc.returncode = code
                return code, time.monotonic() - begin
            if time.monotonic() - begin > limit:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                os.waitpid(pid, 0)
                return None, time.monotonic() - begin
            time.sleep(0.01)

    def a_peer(self, pid, within=5.0):
        end = time.monotonic() + within
        while time.monotonic() < end:
            kids = children_of(pid)
            if kids:
                return self.rng.choice(kids)
            time.sleep(0.005)
        return None

    def leftovers(self, pids):
        """What the run left: shm names of its processes, its temp dir's entries, live processes."""
        time.sleep(0.2)  # a peer that got SIGKILL with its parent needs a moment to be reaped
        names = shm_names_of(pids)
        dirs = sorted(os.listdir(self.tmp))
        procs = [p for p in pids if alive(p)]
        return names, dirs, procs

    def one(self, index, kind):
        self.tmp = os.path.join(self.root, f"run{index}")
        self.tmp_log = os.path.join(self.root, f"log{index}")
        os.makedirs(self.tmp)
        os.makedirs(self.tmp_log)
        rng = self.rng
        placement = rng.choice(PLACEMENTS)
        size = rng.choice([64, 4096, 65536])
        if kind == "kill-manager":
            medium = rng.choice(MANAGERS)
        elif kind == "corrupt":
            medium = rng.choice([m for m in LINKS if m != "queue-manager-unix-stream"])
        elif kind == "precreate":
            medium = rng.choice(sorted(SHM_KIND))
        else:
            medium = rng.choice(LINKS + DICTS)
        row = {"fault": index, "kind": kind, "medium": medium, "placement": placement,
               "size": size, "detected": False, "hang": False, "leftovers": [], "note": ""}
        limit = self.args.timeout + GRACE_S + SLACK_S
        pids = set()
        extra, env_extra, taken = [], {}, []
        if kind == "corrupt":
            extra = [f"--inject=corrupt:{rng.randint(1, 100)}"]
        if kind == "precreate":
            env_extra = {"IPCMETER_NAME_SEED": f"{rng.getrandbits(64):016x}"}
        cmd = self.command(medium, placement, size, extra)
        if kind == "precreate":
            proc, out = self.start(cmd, env_extra, stopped=True)
            pid = proc
            state = int(env_extra["IPCMETER_NAME_SEED"], 16)
            suffix = "-ab" if medium == "queue-boost" else ""
            for _ in range(2):  # the first two names it will try
                state, value = splitmix(state)
                name = f"ipcm-{SHM_KIND[medium]}-{pid}-{value:016x}{suffix}"
                with open(f"/dev/shm/{name}", "w") as f:
                    f.write("another program's object\n")
                taken.append(name)
            os.kill(pid, signal.SIGCONT)
        else:
            proc, out = self.start(cmd)
            pid = proc.pid
        pids.add(pid)
        fault_at = None
        if kind in ("kill-peer", "stop-peer", "kill-manager", "kill-suite", "int-suite"):
            # At a random moment while a peer runs; a peer that ended in the meantime (each
            # sample starts its own) is replaced by the next one.
            delay = rng.uniform(0.0, self.args.min_time)
            for _attempt in range(20):
                peer = self.a_peer(pid)
                if peer is None:
                    break
                pids.update(children_of(pid))
                time.sleep(delay)
                delay = rng.uniform(0.0, 0.02)
                pids.update(children_of(pid))
                if not alive(peer):
                    continue
                target = pid if kind in ("kill-suite", "int-suite", "kill-manager") else peer
                sig = {"kill-peer": signal.SIGKILL, "stop-peer": signal.SIGSTOP,
                       "int-suite": signal.SIGINT}.get(kind, signal.SIGKILL)
                try:
                    os.kill(target, sig)
                    fault_at = time.monotonic()
                    break
                except ProcessLookupError:
                    continue
            if fault_at is None:
                row["note"] = "no peer to strike: the run ended first"
        code, took = self.wait_exit(proc, limit + (self.args.min_time * 20))
        out.close()
        pids.update(p for p in children_of(pid))
        with open(os.path.join(self.tmp_log, "out.txt"), errors="replace") as f:
            text = f.read()
        row["exit"] = code
        if code is None:
            row["hang"] = True
            row["note"] = f"still running after {took:.1f} s: killed"
        elif fault_at is not None and time.monotonic() - fault_at > limit + 0.5:
            row["hang"] = True
        failed_line = "benchmark(s) failed:" in text
        struck = fault_at is not None or kind in ("corrupt", "precreate")
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
            for n in taken:
                try:
                    os.unlink(f"/dev/shm/{n}")
                except OSError:
                    pass
        row["detected"] = row["detected"] and struck
        names, dirs, procs = self.leftovers(pids)
        names = [n for n in names if n not in taken]
        row["leftovers"] = ([f"/dev/shm/{n}" for n in names] + [os.path.join(self.tmp, d) for d in dirs]
                            + [f"pid {p}" for p in procs])
        for p in procs:  # never let the campaign itself leave them
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if not row["detected"]:
            row["output"] = text[-600:]
        return row

    def run(self):
        kinds = [KINDS[i % len(KINDS)] for i in range(self.args.faults)]
        self.rng.shuffle(kinds)
        for i, kind in enumerate(kinds):
            row = self.one(i, kind)
            self.rows.append(row)
            mark = "ok" if row["detected"] and not row["hang"] and not row["leftovers"] else "MISS"
            if self.args.verbose or mark != "ok":
                print(f"[{i + 1}/{len(kinds)}] {mark} {kind} {row['medium']} {row['placement']} "
                      f"size {row['size']} exit {row['exit']} {row['note']} "
                      f"{' '.join(row['leftovers'])}", flush=True)
                if mark != "ok" and "output" in row:
                    print("    " + row["output"].strip().replace("\n", "\n    "), flush=True)
        subprocess.run(["rm", "-rf", self.root])

    def tally(self):
        lines = [f"fault campaign: {len(self.rows)} faults in {self.bench_runs} runs of "
                 f"{os.path.relpath(self.bench)}, seed {self.args.seed}, timeout {self.args.timeout} s "
                 f"+ {GRACE_S:g} s grace",
                 "",
                 "| fault | injected | detected | hangs past the deadline | leftovers (shm, dirs, processes) |",
                 "|---|---:|---:|---:|---:|"]
        total = [0, 0, 0, 0]
        for kind in KINDS + ["total"]:
            rows = self.rows if kind == "total" else [r for r in self.rows if r["kind"] == kind]
            if not rows:
                continue
            counts = [len(rows), sum(r["detected"] for r in rows), sum(r["hang"] for r in rows),
                      sum(len(r["leftovers"]) for r in rows)]
            label = "**total**" if kind == "total" else kind
            lines.append(f"| {label} | {counts[0]} | {counts[1]} | {counts[2]} | {counts[3]} |")
        media = sorted({(r["medium"], r["placement"]) for r in self.rows})
        lines.append("")
        lines.append(f"covered: {len({m for m, _ in media})} media x {len({p for _, p in media})} "
                     f"placements ({len(media)} pairs)")
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default="build/release/bench/ipcmeter-bench")
    parser.add_argument("--faults", type=int, default=112)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=2.0, help="the suite's --timeout (s)")
    parser.add_argument("--min-time", dest="min_time", type=float, default=0.3)
    parser.add_argument("--json", help="write every fault's row here")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if not os.access(args.bench, os.X_OK):
        print(f"fault-campaign: no benchmark binary at {args.bench} (build it first)", file=sys.stderr)
        return 2
    if args.faults < 1:
        print("fault-campaign: --faults must be at least 1", file=sys.stderr)
        return 2
    campaign = Campaign(args)
    try:
        campaign.run()
    except KeyboardInterrupt:
        print("fault-campaign: interrupted; the tally covers the faults so far", file=sys.stderr)
    print(campaign.tally())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(campaign.rows, f, indent=1)
    ok = all(r["detected"] and not r["hang"] and not r["leftovers"] for r in campaign.rows)
    return 0 if ok and len(campaign.rows) == args.faults else 1


if __name__ == "__main__":
    sys.exit(main())
