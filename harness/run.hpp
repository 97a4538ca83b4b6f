// One measurement, whatever is measured: validate, create the medium, start the peers where
// the placement says, wait for ready, go, let the workload lead while the peers follow,
// collect what every side reports, tear down. Guarded by a watchdog, and torn down whatever
// happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

#include "harness/counters.hpp"
#include "harness/histogram.hpp"
#include "harness/pinning.hpp"
#include "transports/errors.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

// Faults a test can inject into a peer, at its fault_after-th operation. "announce" does
// nothing to the run: the peer only writes its fault point to the run's trace (events.hpp),
// so that the fault campaign can strike from outside while messages flow.
enum class Fault { none, hang, exit, crash, corrupt, announce };
Fault parse_fault(const std::string& text);
const char* fault_name(Fault fault);

// At most this many peers in one run (the process guard's child table holds 64).
constexpr int kMaxPeers = 64;

struct RunSpec {
  std::string workload;
  std::string transport;  // the medium: a transport, a dictionary, a manager
  std::string placement;
  WaitStrategy wait = WaitStrategy::block;
  // The workload's own segments (size, producers, clients, ...) and a queue's depth; one not
  // set takes the segment's fallback.
  std::map<std::string, std::uint64_t> params;
  std::uint64_t count = 1000;  // iterations: messages, round trips, operations, frames
  // A paced workload may run for a duration instead: count is then duration / frame.
  std::chrono::nanoseconds duration{0};
  Pinning pinning;
  std::chrono::milliseconds timeout{30000};
  Fault fault = Fault::none;  // for harness tests only
  std::uint64_t fault_after = 0;
  // For the test that shows why some transports refuse several writers: lets them try.
  bool allow_shared_writers = false;

  // The value of one of the workload's segments, or of the medium's (a queue's depth): set,
  // or its fallback.
  std::uint64_t param(const std::string& key) const;
  // The largest message the run sends: its size, or the workload's own largest.
  std::size_t max_message() const;
  int peer_count() const;
  std::uint64_t iterations() const;  // count, or duration / frame for a paced workload
  // "stream transport:pipe placement:fork wait:block size:64", the prefix of every error.
  std::string describe() const;
  // The benchmark name: "stream/transport:pipe/placement:fork/wait:block/size:64", a queue's
  // depth last: ".../size:64/depth:3".
  std::string name() const;
  // Checks every name, value and fit of workload, medium, placement and wait: UsageError
  // (or Unsupported) otherwise.
  void validate() const;
};

// A well-formed combination that cannot give an honest number (writers sharing a pipe end
// above PIPE_BUF): the benchmark matrix lists it with the reason instead of measuring it.
class Unsupported : public UsageError {
 public:
  using UsageError::UsageError;
};

struct RunResult {
  std::uint64_t iterations = 0;       // what the leader completed and verified
  std::uint64_t peer_iterations = 0;  // what the peers reported completing, all together
  std::uint64_t elapsed_ns = 0;       // the timed section
  std::uint64_t leader_cpu_ns = 0;    // the benchmark thread's CPU time in it
  std::uint64_t peer_cpu_ns = 0;      // the peers' (thread, or whole process) in theirs
  Histogram latency;                  // the workload's per-iteration latency (pingpong: RTT)
  Counters counters;                  // the workload's and the medium's own figures
};

// A run that did not complete: the message says which run, and why.
class RunFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Called around the timed section, so that a benchmark library can stop its own clocks
// during set-up and tear-down.
struct TimedSectionHooks {
  std::function<void()> on_start;
  std::function<void()> on_end;
};

// Throws UsageError for a bad spec and RunFailure for a run that failed; leaves no child,
// fd, socket file or shm name behind in either case.
RunResult run(const RunSpec& spec, const TimedSectionHooks& hooks = {});

}  // namespace ipcmeter
