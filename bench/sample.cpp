// A sample is never a handful (see sample.hpp).
#include "bench/sample.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace ipcmeter {
namespace {

// Seconds per iteration of each benchmark's last run. Only the benchmark thread runs
// benchmarks, so it needs no lock.
std::map<std::string, double>& paces() {
  static std::map<std::string, double> seconds_per_iteration;
  return seconds_per_iteration;
}

}  // namespace

SampleSizer::SampleSizer(std::string name, std::uint64_t asked, std::uint64_t floor)
    : name_(std::move(name)), asked_(asked), floor_(floor) {}

std::uint64_t SampleSizer::count() const {
  if (floor_ == 0) return asked_;
  std::uint64_t count = std::max(asked_, floor_);
  // 10 % over the floor's time at the last pace, so that ordinary noise does not fall short.
  if (auto pace = paces().find(name_); pace != paces().end() && pace->second > 0)
    count = std::max(count, static_cast<std::uint64_t>(
                                std::ceil(1.1 * kSampleFloorSeconds / pace->second)));
  return count;
}

bool SampleSizer::short_of_floor(std::uint64_t iterations, std::uint64_t elapsed_ns) const {
  return floor_ > 0 &&
         (iterations < floor_ || static_cast<double>(elapsed_ns) * 1e-9 < kSampleFloorSeconds);
}

bool SampleSizer::accept(std::uint64_t iterations, std::uint64_t elapsed_ns) {
  ++attempts_;
  if (iterations > 0)
    paces()[name_] = static_cast<double>(elapsed_ns) * 1e-9 / static_cast<double>(iterations);
  return !short_of_floor(iterations, elapsed_ns) || attempts_ >= kSampleAttempts;
}

void SampleSizer::report(benchmark::State& state, std::uint64_t iterations,
                         std::uint64_t elapsed_ns, std::uint64_t bytes_per_iteration) const {
  double done = static_cast<double>(std::max<std::uint64_t>(iterations, 1));
  double seconds = static_cast<double>(elapsed_ns) * 1e-9;
  state.SetIterationTime(seconds * static_cast<double>(asked_) / done);
  state.SetItemsProcessed(static_cast<std::int64_t>(asked_));
  if (bytes_per_iteration > 0)
    state.SetBytesProcessed(static_cast<std::int64_t>(asked_ * bytes_per_iteration));
  state.counters["sample_iterations"] = done;
  state.counters["sample_s"] = seconds;
  if (floor_ > 0) state.counters["sample_short"] = short_of_floor(iterations, elapsed_ns) ? 1 : 0;
}

}  // namespace ipcmeter
