#!/usr/bin/env bash
# A rank killed mid-run (SIGKILL, by the crash fault) is said at once in one line on stderr,
# naming the rank and its host, and fails the run under way; under mpirun's default the whole
# job then ends with a non-zero status. Told to let the other ranks live, mpirun keeps the
# leader going, and the test itself checks the rest: a later run that needs the lost rank
# fails at its start, one that does not still goes. Either way no process, shared memory or
# socket file is left behind.
# Usage: rank_death_test.sh MPIRUN TESTS_BINARY
set -u
mpirun=$1 tests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Ours (ipcm-) and Open MPI's own shared-memory segments (vader_segment.*), which a killed
# rank must not strand either.
shm_before=$(ls /dev/shm | grep -c -E '^(ipcm-|vader_segment\.)' || true)

# Every rank holds a shared lock on this file from its start to its end (the open file goes
# with it to whatever it forks or spawns): once the lock can be taken exclusively, every
# process of the job has ended, however mpirun ended it.
lock=$work/ranks.lock
: >"$lock"
run_ranks() {  # run_ranks NAME [MPIRUN OPTIONS...]: NAME.out, NAME.err, NAME.status
  local name=$1
  shift
  IPCMETER_TMPDIR=$work "$mpirun" --allow-run-as-root -q --bind-to none --oversubscribe "$@" \
    -x IPCMETER_RANK_DEATH=1 -x IPCMETER_TMPDIR -x GTEST_COLOR=no -np 2 \
    bash -c 'exec 9<"$0" && flock -s 9 && exec "$@"' "$lock" \
    "$tests" --gtest_filter=Ranks.DeadRankEndsTheRun >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.status"
  flock -x -w 20 "$lock" true || fail "$name: a rank still runs 20 s after mpirun ended"
}

fail() { echo "rank_death_test: $*"; echo "--- stderr:"; cat "$work"/*.err; exit 1; }
our_lines() { grep -c "^$(basename "$tests"): " "$work/$1.err" || true; }
check_left_nothing() {
  pgrep -f -- "^$tests --gtest_filter=Ranks.DeadRankEndsTheRun" >/dev/null &&
    fail "$1: a rank is still running"
  shm_after=$(ls /dev/shm | grep -c -E '^(ipcm-|vader_segment\.)' || true)
  [[ $shm_after -le $shm_before ]] || fail "$1: shared memory left in /dev/shm"
  leftovers=$(find "$work" -mindepth 1 -not -name '*.out' -not -name '*.err' -not -name '*.status' \
    -not -name ranks.lock | head -3)
  [[ -z $leftovers ]] || fail "$1: left behind: $leftovers"
}

# mpirun's default: the job ends once a rank died, and the leader has said which.
run_ranks default
status=$(cat "$work/default.status")
[[ $status -ne 0 ]] || fail "mpirun exited 0 after a rank died"
lines=$(grep -c . "$work/default.err" || true)
[[ $lines -eq 1 ]] || fail "expected one line on stderr, got $lines"
grep -q "rank 1 on .* went away" "$work/default.err" || fail "the line does not say which rank went away"
check_left_nothing default

# The leader kept alive: the test's own checks of the runs after the loss must pass, and the
# loss is still said once (Open MPI may add lines of its own here).
run_ranks survived --mca orte_enable_recovery 1
[[ $(our_lines survived) -eq 1 ]] || fail "survived: expected one line of ours on stderr"
grep -q "^\[  PASSED  \] 1 test" "$work/survived.out" ||
  { cat "$work/survived.out"; fail "survived: the leader's checks after the loss failed"; }
check_left_nothing survived
echo "rank_death_test: mpirun exited $status with one line: $(cat "$work/default.err")"
