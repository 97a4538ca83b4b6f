#!/usr/bin/env bash
# A rank killed mid-run (SIGKILL, by the crash fault) ends the whole mpirun with one line on
# stderr and a non-zero status, and leaves no process, shared memory or socket file behind.
# Usage: rank_death_test.sh MPIRUN TESTS_BINARY
set -u
mpirun=$1 tests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Ours (ipcm-) and Open MPI's own shared-memory segments (vader_segment.*), which a killed
# rank must not strand either.
shm_before=$(ls /dev/shm | grep -c -E '^(ipcm-|vader_segment\.)' || true)

IPCMETER_TMPDIR=$work "$mpirun" --allow-run-as-root -q --bind-to none --oversubscribe \
  -x IPCMETER_RANK_DEATH=1 -x IPCMETER_TMPDIR -np 2 "$tests" --gtest_filter=Ranks.DeadRankEndsTheRun \
  >"$work/out" 2>"$work/err"
status=$?

fail() { echo "rank_death_test: $*"; echo "--- stderr:"; cat "$work/err"; exit 1; }
[[ $status -ne 0 ]] || fail "mpirun exited 0 after a rank died"
lines=$(grep -c . "$work/err" || true)
[[ $lines -eq 1 ]] || fail "expected one line on stderr, got $lines"
grep -q "rank 1 on .* went away" "$work/err" || fail "the line does not say which rank went away"
sleep 0.5  # mpirun has reaped its ranks; give the kernel a moment to tear them down
pgrep -f -- "^$tests --gtest_filter=Ranks.DeadRankEndsTheRun" >/dev/null && fail "a rank is still running"
shm_after=$(ls /dev/shm | grep -c -E '^(ipcm-|vader_segment\.)' || true)
[[ $shm_after -le $shm_before ]] || fail "shared memory left in /dev/shm"
leftovers=$(find "$work" -mindepth 1 -not -name out -not -name err | head -3)
[[ -z $leftovers ]] || fail "left behind: $leftovers"
echo "rank_death_test: mpirun exited $status with one line: $(cat "$work/err")"
