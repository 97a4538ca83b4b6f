// One measurement: a link, a peer placed somewhere, a workload run on both sides, timed,
// verified, guarded by a watchdog, and torn down whatever happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "harness/histogram.hpp"
#include "harness/peer.hpp"
#include "harness/pinning.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

struct RunSpec {
  std::string workload;
  std::string transport;
  std::string placement;
  WaitStrategy wait = WaitStrategy::block;
  std::size_t size = 64;
  std::uint64_t count = 1000;  // iterations: messages, round trips or dict operations
  int peers = 1;  // producers of a fan-in, clients of a dict; other workloads have one peer
  Pinning pinning;
  std::chrono::milliseconds timeout{30000};
  Fault fault = Fault::none;  // for harness tests only
  std::uint64_t fault_after = 0;
  // For the test that shows why some transports refuse several writers: lets them try.
  bool allow_shared_writers = false;

  // "stream transport:pipe placement:fork wait:block size:64", the prefix of every error.
  std::string describe() const;
  // Checks names, size and transport/placement fit; UsageError otherwise.
  void validate() const;
};

struct RunResult {
  std::uint64_t count = 0;
  std::uint64_t elapsed_ns = 0;     // from "go" to the last message verified by the leader
  std::uint64_t leader_cpu_ns = 0;  // the benchmark thread's CPU time in that section
  std::uint64_t peer_cpu_ns = 0;    // the peers' (thread, or whole process) in their section
  std::uint64_t server_cpu_ns = 0;  // dict-manager: its server threads' CPU time
  Histogram round_trips;            // pingpong only
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
RunResult run_pair(const RunSpec& spec, const TimedSectionHooks& hooks = {});

}  // namespace ipcmeter
