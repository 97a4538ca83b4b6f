// The raw floors: each transport's mechanism in a loop written out by hand, with none of the
// harness's or the transports' code in it (no framing, no checksum, no liveness checks, no
// wait strategy but its own, no control channel): what the machine and the mechanism allow.
// Each suite figure of a stream or round trip at 64 B and 1 MiB between forked processes is
// shown beside its floor, so what the suite itself costs ("harness cost") is a ratio taken in
// one run. A floor is named after the figure it pairs with: "floor/" + the suite's name,
//   floor/pingpong/transport:pipe/placement:fork/wait:block/size:64
//
// A mechanism is a Channel: made in the parent before the fork (pipes, a listening socket,
// shared memory, queues), then each process takes its end and moves whole messages of the
// run's size with send() and recv(), then finish() (both ends, after the timed loop). The
// driver below forks, pins, warms, times and reaps; what it times is only the mechanism's own
// calls and the loop around them.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/pinning.hpp"
#include "transports/wait.hpp"

namespace ipcmeter::floors {

enum class Shape { stream, round_trip };

struct FloorRun {
  Shape shape = Shape::stream;
  std::size_t size = 64;
  std::uint64_t count = 1;  // timed messages or round trips
  std::uint64_t warm = 16;  // before timing, as the suite's warm-up
  WaitStrategy wait = WaitStrategy::block;
  std::uint64_t depth = 0;  // a queue's depth, for the queue floors
  Pinning pinning;
};

// A failed floor (its child died, a call failed): the benchmark is skipped with the reason.
class FloorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The child: opens its end, then sends (stream) or echoes (round trip) every message.
template <typename End>
[[noreturn]] void child_loop(End end, const FloorRun& run) {
  std::vector<std::byte> message(run.size, std::byte{0x5a});
  const std::uint64_t total = run.warm + run.count;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (run.shape == Shape::round_trip) end.recv(message);
    end.send(message);
  }
  end.finish();
  ::_exit(0);
}

// The parent: warms, then times `count` messages or round trips; returns the nanoseconds.
template <typename End>
std::uint64_t parent_loop(End& end, const FloorRun& run) {
  std::vector<std::byte> message(run.size, std::byte{0xa5});
  auto once = [&] {
    if (run.shape == Shape::round_trip) end.send(message);
    end.recv(message);
  };
  for (std::uint64_t i = 0; i < run.warm; ++i) once();
  std::uint64_t start = now_ns();
  for (std::uint64_t i = 0; i < run.count; ++i) once();
  return now_ns() - start;
}

// Whether the child ended; throws FloorError if it ended badly. For an End whose blocking
// wait cannot see the child die (shared memory, a queue, ZeroMQ), called when a wait times out.
inline bool child_ended(pid_t child) {
  int status = 0;
  pid_t done = ::waitpid(child, &status, WNOHANG);
  if (done == 0) return false;
  if (done == child && WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  throw FloorError("the floor's child process failed");
}

// One timed floor run of a Channel: the nanoseconds of its `count` timed iterations.
template <typename Channel>
std::uint64_t measure(const FloorRun& run) {
  Channel channel(run);
  ScopedPin leader_pin(run.pinning.leader_cpu);
  pid_t child = ::fork();
  if (child < 0) throw FloorError("fork failed");
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (run.pinning.peer_cpu >= 0) pin_current_thread(run.pinning.peer_cpu);
    try {
      child_loop(channel.child_end(), run);
    } catch (const std::exception&) {
      ::_exit(1);
    }
  }
  std::uint64_t elapsed = 0;
  try {
    auto end = channel.parent_end(child);
    elapsed = parent_loop(end, run);
    end.finish();
  } catch (...) {
    ::kill(child, SIGKILL);
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    throw;
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw FloorError("the floor's child process failed");
  return elapsed;
}

// The floors this binary has, one entry per mechanism (each file adds its own).
struct Floor {
  std::string transport;  // the suite transport it is the floor of
  std::vector<WaitStrategy> waits;
  std::function<std::uint64_t(const FloorRun&)> measure;
};

const std::vector<Floor>& all_floors();
struct AddFloor {
  explicit AddFloor(Floor floor);
};

}  // namespace ipcmeter::floors

namespace benchmark {
class State;
}

namespace ipcmeter::floors {

// One floor benchmark: runs `run` with the sample floor's count (sample.hpp) and reports it
// as the suite reports its own figures: time per message or round trip, items and bytes.
void run_floor(benchmark::State& state, const Floor& floor, FloorRun run, const std::string& name);

}  // namespace ipcmeter::floors
