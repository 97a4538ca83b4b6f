"""The load the fault campaign can run under (fault-campaign.py --load): started before the
first fault, stopped after the last, whatever happens in between (an exception, Ctrl-C,
SIGTERM; and a SIGKILLed campaign takes its helpers with it: they die with their parent).

  cpu     a busy loop pinned to each CPU this process may run on, at the campaign's own
          priority (run the campaign under `nice` and the load is as nice as the runs it loads)
  memory  a helper process holding most of MemAvailable in pages it has written (private,
          anonymous, every page touched: resident, never the shared zero page), leaving
          MARGIN MiB available. It looks again every 0.1 s: when MemAvailable falls below half
          the margin (another process grew) it gives 64 MiB chunks back until it is above it
          again, and it takes more when more than the margin and a chunk is free. Its
          oom_score_adj is 1000, so were memory ever to run out, the kernel would end it first.

Standard library only.
"""
import os
import select
import signal
import subprocess
import sys
import time

# Every helper dies with the campaign (PR_SET_PDEATHSIG), and leaves at once if the campaign
# died before that was set.
_DIE_WITH_PARENT = r"""
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    os._exit(0)
"""

_CPU_HOG = _DIE_WITH_PARENT + r"""
os.sched_setaffinity(0, {int(sys.argv[2])})
while True:
    pass
"""

_MEMORY_FILLER = _DIE_WITH_PARENT + r"""
import mmap, time
with open("/proc/self/oom_score_adj", "w") as f:
    f.write("1000")  # were memory to run out, this goes first
margin = int(sys.argv[2]) << 20
CHUNK = 64 << 20
ones = b"\x01" * CHUNK
chunks = []
held_most = 0
least_available = None

def available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
    return 0

def take_while_free():
    global held_most
    while available() > margin + CHUNK:
        m = mmap.mmap(-1, CHUNK, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        m.madvise(mmap.MADV_HUGEPAGE)  # fewer faults: a guest's first touch of a page is slow
        m.write(ones)
        chunks.append(m)
        held_most = max(held_most, len(chunks))

def report(*_):
    print(f"held most {held_most * CHUNK >> 20} MiB, least MemAvailable seen "
          f"{(least_available or 0) >> 20} MiB", flush=True)
    os._exit(0)

signal.signal(signal.SIGTERM, report)
take_while_free()
print(f"filled {len(chunks) * CHUNK >> 20}", flush=True)
while True:
    time.sleep(0.1)
    now = available()
    least_available = now if least_available is None else min(least_available, now)
    while chunks and available() < margin // 2:
        chunks.pop().close()
    take_while_free()
"""


class Load:
    """A context manager: `with Load(["cpu", "memory"], margin_mib=1024) as load:`."""

    FILL_PATIENCE_S = 300  # filling tens of GiB takes seconds; this only bounds a stuck helper

    def __init__(self, kinds, margin_mib):
        self.kinds = kinds
        self.margin_mib = margin_mib
        self.hogs = []
        self.filler = None
        self.filled_mib = 0
        self.fill_seconds = 0.0
        self.cpus = []
        self.memory_summary = ""

    def _helper(self, code, *args):
        return subprocess.Popen([sys.executable, "-c", code, str(os.getpid()), *map(str, args)],
                                stdout=subprocess.PIPE, text=True)

    def __enter__(self):
        try:
            if "memory" in self.kinds:  # first: filling is slower with the CPUs busy
                begin = time.monotonic()
                self.filler = self._helper(_MEMORY_FILLER, self.margin_mib)
                ready, _, _ = select.select([self.filler.stdout], [], [], self.FILL_PATIENCE_S)
                line = self.filler.stdout.readline() if ready else ""
                if not line.startswith("filled "):
                    raise RuntimeError("the memory load's helper did not report its fill")
                self.filled_mib = int(line.split()[1])
                self.fill_seconds = time.monotonic() - begin
            if "cpu" in self.kinds:
                self.cpus = sorted(os.sched_getaffinity(0))
                self.hogs = [self._helper(_CPU_HOG, cpu) for cpu in self.cpus]
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_):
        self.stop()
        return False

    def stop(self):
        """Ends every helper (idempotent); the filler first says what it held."""
        if self.filler is not None and self.filler.poll() is None:
            self.filler.send_signal(signal.SIGTERM)
            try:
                out, _ = self.filler.communicate(timeout=10)
                self.memory_summary = out.strip().splitlines()[-1] if out.strip() else ""
            except subprocess.TimeoutExpired:
                self.filler.kill()
                self.filler.wait()
        for hog in self.hogs:
            hog.kill()
            hog.wait()
            hog.stdout.close()
        self.hogs = []

    def describe(self):
        parts = []
        if "cpu" in self.kinds:
            parts.append(f"a busy loop pinned to each of CPUs {', '.join(map(str, self.cpus))} at "
                         f"the campaign's priority (nice {os.nice(0)})")
        if "memory" in self.kinds:
            parts.append(f"memory: {self.filled_mib} MiB of a helper's written pages (filled in "
                         f"{self.fill_seconds:.0f} s), leaving {self.margin_mib} MiB of MemAvailable "
                         f"({self.memory_summary or 'no summary'})")
        return "; ".join(parts) if parts else "none"

