#!/usr/bin/env bash
# The main job: install what is missing, build the release preset, run the default suite,
# and write results/runs/<timestamp>/ (Google Benchmark JSON, summary, report).
# Extra arguments go to the benchmark binary: --profile=full, --pin=0,1, --benchmark_filter=...
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="results/runs/$stamp"
work="results/runs/.$stamp.partial"
# Nothing half-written survives: the run is built in a hidden directory and renamed at the end.
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

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

mv "$work" "$final"
trap - EXIT
echo "results written to $final (report: $final/report.html, transports: $final/transports.md)"
if [[ $status -ne 0 ]]; then
  echo "run-suite: some benchmarks failed (listed under 'failed' in $final/summary.txt)" >&2
fi
exit "$status"
