// The raw pipe ping-pong baseline. Deliberately written out by hand, with nothing from the
// harness in its loop, so the ratio to it measures exactly what the harness adds.
#include "bench/baselines.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

namespace ipcmeter {
namespace {

bool transfer(ssize_t (*call)(int, void*, size_t), int fd, void* data) {
  // A short transfer or an error ends the loop; 8 bytes never split on a pipe.
  return call(fd, data, 8) == 8;
}
ssize_t write_fn(int fd, void* data, size_t n) { return ::write(fd, data, n); }

}  // namespace

void baseline_pipe_raw(benchmark::State& state, Pinning pinning) {
  int to_child[2], to_parent[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(to_parent, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2 failed");
    return;
  }
  ScopedPin leader_pin(pinning.leader_cpu);
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pinning.peer_cpu >= 0) pin_current_thread(pinning.peer_cpu);
    ::close(to_child[1]);
    ::close(to_parent[0]);
    std::uint64_t value;
    while (transfer(::read, to_child[0], &value) && transfer(write_fn, to_parent[1], &value)) {
    }
    ::_exit(0);
  }
  ::close(to_child[0]);
  ::close(to_parent[1]);
  std::uint64_t value = 0;
  bool ok = child > 0;
  for (auto _ : state) {
    ++value;
    if (!ok || !transfer(write_fn, to_child[1], &value) || !transfer(::read, to_parent[0], &value)) {
      ok = false;
      state.SkipWithError("raw pipe ping-pong failed");
      break;
    }
  }
  ::close(to_child[1]);  // the child sees end-of-file and leaves
  ::close(to_parent[0]);
  if (child > 0) {
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace ipcmeter
