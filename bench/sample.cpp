// A sample is never a handful (see sample.hpp).
#include "bench/sample.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace ipcmeter {
namespace {

struct Memory {
  double seconds_per_iteration = 0;  // the last run's pace
  std::uint64_t reported_batch = 0;  // the batch the first repetition reported: later ones repeat it
};

// Per benchmark. Only the benchmark thread runs benchmarks, so it needs no lock.
std::map<std::string, Memory>& memory() {
  static std::map<std::string, Memory> by_name;
  return by_name;
}

double min_time_seconds = 0.01;  // Google Benchmark's own default, until main() says

}  // namespace

void set_sample_min_time(double seconds) { min_time_seconds = seconds; }

SampleSizer::SampleSizer(std::string name, std::uint64_t asked, std::uint64_t floor)
    : name_(std::move(name)), asked_(asked), floor_(floor) {
  const Memory& known = memory()[name_];
  // The floor applies unless this batch is part of the search for the count, which nobody
  // reports: a first repetition's batch too short to last min_time at the last pace (10 %
  // short of it, so a batch near the line is treated as the one reported).
  bool searching = known.reported_batch == 0 && known.seconds_per_iteration > 0 &&
                   static_cast<double>(asked_) * known.seconds_per_iteration < 0.9 * min_time_seconds;
  floored_ = floor_ > 0 && !searching;
}

std::uint64_t SampleSizer::floor_count() const {
  std::uint64_t count = std::max(asked_, floor_);
  // 10 % over the floor's time at the last pace, so that ordinary noise does not fall short.
  if (double pace = memory()[name_].seconds_per_iteration; pace > 0)
    count = std::max(count, static_cast<std::uint64_t>(std::ceil(1.1 * kSampleFloorSeconds / pace)));
  return count;
}

std::uint64_t SampleSizer::count() const { return floored_ ? floor_count() : asked_; }

bool SampleSizer::short_of_floor(std::uint64_t iterations, std::uint64_t elapsed_ns) const {
  return floor_ > 0 &&
         (iterations < floor_ || static_cast<double>(elapsed_ns) * 1e-9 < kSampleFloorSeconds);
}

bool SampleSizer::reported(std::uint64_t iterations, std::uint64_t elapsed_ns) const {
  if (memory()[name_].reported_batch != 0) return true;
  double scaled = static_cast<double>(elapsed_ns) * 1e-9 * static_cast<double>(asked_) /
                  static_cast<double>(std::max<std::uint64_t>(iterations, 1));
  return scaled >= min_time_seconds;
}

bool SampleSizer::accept(std::uint64_t iterations, std::uint64_t elapsed_ns) {
  ++attempts_;
  Memory& known = memory()[name_];
  if (iterations > 0)
    known.seconds_per_iteration = static_cast<double>(elapsed_ns) * 1e-9 / static_cast<double>(iterations);
  bool will_report = reported(iterations, elapsed_ns);
  if (will_report && short_of_floor(iterations, elapsed_ns) && attempts_ < kSampleAttempts) {
    floored_ = true;  // run again, to the floor, at the pace just seen
    return false;
  }
  if (will_report && known.reported_batch == 0) known.reported_batch = asked_;
  return true;
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
