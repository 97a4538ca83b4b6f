// The suite's own command-line flags (Google Benchmark's pass through untouched).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "harness/pinning.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

struct SuiteOptions {
  std::string profile = "quick";  // quick: the whole matrix in minutes; full: longer, repeated
  Pinning pinning;
  std::vector<std::string> workloads;
  std::vector<std::string> transports;
  std::vector<std::string> placements;
  std::vector<std::size_t> sizes;
  std::vector<WaitStrategy> waits;
  std::vector<int> producers;  // fan-in producer counts
  std::vector<std::string> dicts;  // the dictionaries the dict-* workloads measure
  std::vector<int> clients;        // dict client counts
  // Sizes measured with the spinning and hybrid waits (all sizes when --sizes was given).
  std::vector<std::size_t> non_blocking_sizes;
  std::chrono::milliseconds timeout{30000};
  bool list = false;
};

// Takes the suite's flags out of argv (leaving the program name and Google Benchmark's
// flags), fills in the profile's defaults and checks every value; UsageError on bad input.
SuiteOptions parse_suite_options(int& argc, char** argv);

// "64", "4K", "64KiB", "1M", "1MiB" -> bytes; UsageError otherwise.
std::size_t parse_size(const std::string& text);


std::string usage_text();

}  // namespace ipcmeter
