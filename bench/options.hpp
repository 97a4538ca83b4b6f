// The suite's own command-line flags (Google Benchmark's pass through untouched).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/pinning.hpp"
#include "harness/run.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

// A queue at its own default depth holds at most this many bytes per direction (the depth
// is lowered for large messages: 8 slots of 1 MiB, the cap queue-boost itself applies when
// made with no depth): on this machine a queue's every page costs 5-20 us to touch first
// (transports/prefault.hpp), and 64 slots of 1 MiB each way took ~0.4 s per run to warm.
// --depths, and the full profile's depth sweep, measure deeper queues of large messages.
constexpr std::uint64_t kDefaultQueueBytes = std::uint64_t{8} << 20;
// A queue's own depth for messages of `size` bytes, given its default depth.
inline std::uint64_t own_depth(std::uint64_t default_depth, std::uint64_t size) {
  std::uint64_t fits = size > 0 ? kDefaultQueueBytes / size : default_depth;
  return std::max<std::uint64_t>(1, std::min(default_depth, fits));
}

struct SuiteOptions {
  std::string profile = "quick";  // quick: the whole matrix in minutes; full: longer, repeated
  Pinning pinning;
  std::vector<std::string> workloads;
  std::vector<std::string> transports;  // the links (queue managers too) the link workloads measure
  bool transports_named = false;        // --transports given: no workload narrows them
  bool placements_named = false;        // --placements given: the profile narrows none of them
  std::vector<std::string> dicts;       // the dictionaries the dict-* workloads measure
  std::vector<std::string> placements;
  std::vector<WaitStrategy> waits;
  // Values the user named for a workload's segment (--sizes, --producers, --clients) or a
  // queue's (--depths), by the segment's key; a segment not named here takes the profile's
  // values.
  std::map<std::string, std::vector<std::uint64_t>> segments;
  std::chrono::milliseconds timeout{30000};
  bool list = false;
  bool list_json = false;
  bool clean = false;
  // --inject=FAULT:N (the fault campaign): every run's peers strike at their Nth operation.
  Fault fault = Fault::none;
  std::uint64_t fault_after = 0;  // --clean: sweep dead runs' leftovers, then exit
  // What the user is told on stderr before anything runs (a value named twice and measured
  // once), one line each.
  std::vector<std::string> notes;
};

// Takes the suite's flags out of argv (leaving the program name and Google Benchmark's
// flags), fills in the profile's defaults and checks every value, and those Google Benchmark
// flags it would take silently wrong (--benchmark_repetitions=0 runs nothing); UsageError on
// bad input. A value named twice is kept once, with a note.
SuiteOptions parse_suite_options(int& argc, char** argv);

// "64", "4K", "64KiB", "1M", "1MiB" -> bytes; UsageError otherwise.
std::size_t parse_size(const std::string& text);

std::string usage_text();

}  // namespace ipcmeter
