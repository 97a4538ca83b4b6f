#!/usr/bin/env bash
# The main job: install what is missing, build the release preset, run the default suite,
# and write results/runs/<timestamp>/ (Google Benchmark JSON, summary, report).
# Extra arguments go to the benchmark binary: --profile=full, --pin=0,1, --benchmark_filter=...
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# Two suites started at once in one checkout take turns at the build (ninja does not lock).
mkdir -p build
flock build/.release.lock sh -c 'cmake --preset release >/dev/null && cmake --build --preset release'

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p results/runs
# Nothing half-written survives: the run is built in a hidden directory of its own (two runs
# started in the same second never share one) and renamed at the end.
# The pid in its name lets a later run remove what a killed one left (trap cannot run on SIGKILL).
for left in results/runs/.*.partial; do
  [[ -d "$left" ]] || continue
  pid=${left#results/runs/.*.}; pid=${pid%%.*}
  if [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null; then
    rm -rf "$left" && echo "run-suite: removed $left (its run, pid $pid, is gone)" >&2
  fi
done
work=$(mktemp -d "results/runs/.$stamp.$$.XXXXXX.partial")
chmod "$(printf '%o' $(( 0777 & ~$(umask) )))" "$work"  # mktemp's 0700 would hide the report
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
# A failed benchmark makes the binary exit 1 (after it wrote every result); the run is still
# summarized and kept, and this script then exits with that status.
status=0
build/release/bench/ipcmeter-bench "$@" \
  --benchmark_out="$work/bench.json" --benchmark_out_format=json | tee "$work/console.txt" || status=$?
[[ -s "$work/bench.json" ]] || exit "$status"  # bad flags: nothing ran, nothing to keep
echo "suite took $(( $(date +%s) - start )) s" | tee "$work/duration.txt"

# The documents' measurements in Python today, after the suite (never two benchmarks at once),
# in the same profile: the third column of the documented-figures check. IPCMETER_PYTHON=0
# leaves it out; a failed Python benchmark is reported in its JSON and does not fail the run.
if [[ "${IPCMETER_PYTHON:-1}" != 0 ]]; then
  profile=quick
  for arg in "$@"; do [[ "$arg" == --profile=full ]] && profile=full; done
  start=$(date +%s)
  /usr/bin/python3 bench/python/ipcmeter_py.py --profile="$profile" --out "$work/python.json" \
    || echo "run-suite: some Python benchmarks failed (see python.json)" >&2
  echo "python driver took $(( $(date +%s) - start )) s" | tee -a "$work/duration.txt"
fi

# The summary needs only the standard library; the plots need Debian's matplotlib, which the
# first python3 on PATH here may not see, hence /usr/bin/python3.
/usr/bin/python3 plots/summarize.py "$work/bench.json" | tee "$work/summary.txt"
/usr/bin/python3 plots/transports.py "$work/bench.json" --format markdown > "$work/transports.md" \
  || echo "(no transports view: this run has no stream or pingpong results)" > "$work/transports.md"
/usr/bin/python3 plots/report.py "$work/bench.json" --out "$work"
/usr/bin/python3 plots/check.py "$work" > "$work/check.txt" 2>&1 || true  # in the summary too; reported, not gated

# The stamp's name, or -2, -3, ... when another run of the same second took it (mv -T onto
# a run's directory, never empty, fails rather than merging).
final="results/runs/$stamp"
for n in 2 3 4 5 6 7 8 9; do
  mv -T "$work" "$final" 2>/dev/null && break
  final="results/runs/$stamp-$n"
done
[[ -d "$work" ]] && { echo "run-suite: cannot name the results directory (results/runs/$stamp*)" >&2; exit 1; }
trap - EXIT
echo "results written to $final (report: $final/report.html, transports: $final/transports.md)"
if [[ $status -ne 0 ]]; then
  echo "run-suite: some benchmarks failed (listed under 'failed' in $final/summary.txt)" >&2
fi
exit "$status"
