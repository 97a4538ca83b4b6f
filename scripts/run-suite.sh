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

# --until-stable[=SECONDS] is this script's own: after the first pass, the figures not yet
# stable are re-run (plots/stability.py), within SECONDS (default 600). The rest go to the binary.
until_stable=""
args=()
for arg in "$@"; do
  case "$arg" in
    --until-stable) until_stable=600 ;;
    --until-stable=*)
      until_stable=${arg#--until-stable=}
      [[ "$until_stable" =~ ^[1-9][0-9]*$ ]] || { echo "run-suite: bad --until-stable '$until_stable' (expected seconds, e.g. --until-stable=600)" >&2; exit 2; } ;;
    *) args+=("$arg") ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"

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
# Interrupted (the suite died of a signal: Ctrl-C, a kill): nothing is kept, nothing more runs.
(( status <= 128 )) || { echo "run-suite: the suite was interrupted (status $status); nothing kept" >&2; exit "$status"; }
echo "suite took $(( $(date +%s) - start )) s" | tee "$work/duration.txt"

# Stable until it is stable: each round re-runs only the throughput figures whose CV is above
# 5 % or that are bimodal, with samples twice as long and two more of them than the round
# before, and replaces theirs; the summary says how many were within 5 % before and after.
if [[ -n "$until_stable" && $status -eq 0 ]]; then
  deadline=$(( $(date +%s) + until_stable ))
  profile_time=0.02 profile_reps=3  # bench/profile.cpp's profiles
  for arg in "$@"; do [[ "$arg" == --profile=full ]] && profile_time=0.5 profile_reps=5; done
  rerun_args=()
  for arg in "$@"; do
    case "$arg" in --benchmark_filter=*|--benchmark_min_time=*|--benchmark_repetitions=*) ;; *) rerun_args+=("$arg") ;; esac
  done
  for round in 1 2 3; do
    left=$(( deadline - $(date +%s) ))
    min_time=$(awk -v t="$profile_time" -v r="$round" 'BEGIN { printf "%g", t * 2 ^ r }')
    reps=$(( profile_reps + 2 * round ))
    # As many of the least stable figures as fit what is left: a figure takes about 1.5 times
    # its samples' time (Google Benchmark aims past min_time), plus a second to set it up.
    fits=$(awk -v l="$left" -v t="$min_time" -v r="$reps" 'BEGIN { printf "%d", l / (1.5 * t * r + 1) }')
    (( fits > 0 )) || break
    filter=$(/usr/bin/python3 plots/stability.py unstable "$work/bench.json" "$fits")
    [[ -n "$filter" ]] || break
    figures=$(( $(tr -cd '|' <<< "$filter" | wc -c) + 1 ))  # grep would fail (and stop the script) on one name
    echo "until-stable: round $round: $figures figures not yet stable, $reps samples of ${min_time} s each (${left} s left)" >&2
    timeout --signal=INT "$left" build/release/bench/ipcmeter-bench "${rerun_args[@]+"${rerun_args[@]}"}" \
      --benchmark_filter="$filter" --benchmark_min_time="$min_time" --benchmark_repetitions="$reps" \
      --benchmark_out="$work/rerun.json" --benchmark_out_format=json > "$work/rerun-console.txt" \
      || { echo "until-stable: round $round ended early (status $?): stopping with what the rounds before gave" >&2
           break; }  # an interrupted round's JSON is cut short: nothing of it is merged
    [[ -s "$work/rerun.json" ]] || break
    /usr/bin/python3 plots/stability.py replace "$work/bench.json" "$work/rerun.json" \
      || { echo "until-stable: round $round's results could not be merged: stopping with what the rounds before gave" >&2; break; }
    rm -f "$work/rerun.json" "$work/rerun-console.txt"
  done
  echo "until-stable: throughput figures within CV 5 % (of those not bimodal): $(/usr/bin/python3 plots/stability.py count "$work/bench.json")" | tee -a "$work/duration.txt"
fi

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
