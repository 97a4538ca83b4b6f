#!/usr/bin/env bash
# A/B of two builds on one machine: the base commit (A) and the working tree (B), built side
# by side in release, run alternately (A B A B ...) on the same benchmarks so that both see
# the same states of a shared, noisy machine, then compared benchmark by benchmark (ratio of
# medians, Mann-Whitney U over all samples; plots/compare.py).
#
#   bash scripts/ab.sh BASE_REF [BENCHMARK_FILTER]
#
# Environment: AB_ROUNDS (alternations, default 3), AB_REPETITIONS (samples per round,
# default 3), AB_MIN_TIME (seconds per sample, default 0.05), AB_THRESHOLD (default 0.10).
# Writes results/ab/<stamp>-<base>/: A.json, B.json, compare.md, comparison.png, report.html.
# Exit status: 0 no regression, 1 a regression (slower by more than the threshold, p < 0.05),
# 2 bad input or a build that failed.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-}
filter=${2:-.}
rounds=${AB_ROUNDS:-3}
repetitions=${AB_REPETITIONS:-3}
min_time=${AB_MIN_TIME:-0.05}
threshold=${AB_THRESHOLD:-0.10}
if [[ -z "$base" ]]; then
  echo "ab.sh: usage: scripts/ab.sh BASE_REF [BENCHMARK_FILTER]" >&2
  exit 2
fi
sha=$(git rev-parse --verify --quiet "$base^{commit}") || { echo "ab.sh: '$base' is not a commit here" >&2; exit 2; }
short=$(git rev-parse --short "$sha")

bash scripts/install-deps.sh
# A: the base commit's tree, exported (no worktree bookkeeping) and built once per commit.
a_root="build/ab/$sha"
if [[ ! -x "$a_root/release/bench/ipcmeter-bench" ]]; then
  rm -rf "$a_root"
  mkdir -p "$a_root/src"
  git archive "$sha" | tar -x -C "$a_root/src"
  if ! { cmake -S "$a_root/src" -B "$a_root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
           -DIPCMETER_BUILD_TESTS=OFF >/dev/null &&
         cmake --build "$a_root/release" --target ipcmeter-bench >/dev/null; }; then
    echo "ab.sh: the base commit $short does not build" >&2
    rm -rf "$a_root"
    exit 2
  fi
fi
# B: the working tree, as the main command builds it.
cmake --preset release >/dev/null
cmake --build --preset release --target ipcmeter-bench >/dev/null
a_bin="$a_root/release/bench/ipcmeter-bench"
b_bin="build/release/bench/ipcmeter-bench"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="results/ab/$stamp-$short"
work="results/ab/.$stamp-$short.partial"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
flags=(--benchmark_filter="$filter" --benchmark_repetitions="$repetitions"
       --benchmark_min_time="$min_time" --benchmark_enable_random_interleaving=true
       --benchmark_out_format=json)
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    bin=$a_bin
    [[ $side == B ]] && bin=$b_bin
    echo "ab.sh: round $round of $rounds, $side" >&2
    # A failed benchmark is reported by compare.py (listed as failed); it does not stop the A/B.
    "$bin" "${flags[@]}" --benchmark_out="$work/$side-$round.json" >/dev/null 2>"$work/$side-$round.err" || true
    [[ -s "$work/$side-$round.json" ]] || { echo "ab.sh: $side wrote no results: $(head -c 300 "$work/$side-$round.err")" >&2; exit 2; }
  done
done
/usr/bin/python3 plots/merge.py "$work/A.json" "$work"/A-*.json
/usr/bin/python3 plots/merge.py "$work/B.json" "$work"/B-*.json
status=0
# From inside the directory, so the comparison names A.json and B.json, not a temporary path.
root=$PWD
(cd "$work" && /usr/bin/python3 "$root/plots/compare.py" A.json B.json --threshold "$threshold" \
   --format markdown --plot comparison.png > compare.md) || status=$?
[[ $status -le 1 ]] || exit "$status"
label=$base; [[ $short == "$base"* || $base == "$short"* ]] || label="$base ($short)"
{ echo; echo "A is $label, B the working tree; $rounds rounds of A then B, $repetitions samples of ${min_time} s each."; } >> "$work/compare.md"
(cd "$work" && /usr/bin/python3 "$root/plots/report.py" B.json --out . --compare-with A.json >/dev/null)
rm -f "$work"/[AB]-*.json "$work"/[AB]-*.err
mv "$work" "$final"
trap - EXIT
cat "$final/compare.md"
echo "ab.sh: written to $final (report: $final/report.html)" >&2
exit "$status"
