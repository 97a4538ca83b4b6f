// A sample is never a handful. Whatever the profile's min_time, every sample Google Benchmark
// reports of a message, round-trip or operation workload (and of each raw floor) rests on at
// least a floor of iterations (100 messages or operations, 50 round trips) and lasts at least
// kSampleFloorSeconds: its count is chosen from the pace of the same benchmark's last run, and
// a run that still fell short (the host sped up: some figures here are bimodal by 3x) is run
// again, longer, up to kSampleAttempts times. The sample's time is reported scaled to the
// batch that was asked for, so the time per iteration, the rates and every per-iteration
// counter are those of the whole sample; the counters say what it rested on
// (sample_iterations, sample_s) and whether it still fell short (sample_short).
//
// While Google Benchmark is still finding its iteration count (batches of 1, 10, 100, ...,
// until one lasts min_time) it reports none of those batches: a batch that will not last
// min_time at the last pace runs as asked, so the search costs what it always did (the
// floor on every one of its batches would add some 40 s to the quick profile).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

namespace ipcmeter {

constexpr double kSampleFloorSeconds = 0.02;
constexpr std::uint64_t kSampleFloorMessages = 100;
constexpr std::uint64_t kSampleFloorRoundTrips = 50;
constexpr int kSampleAttempts = 3;

// The min_time Google Benchmark runs with (--benchmark_min_time): main() says it, first.
void set_sample_min_time(double seconds);

class SampleSizer {
 public:
  // `floor` iterations (0: none; `asked` is what is run) for the benchmark `name`, of which
  // Google Benchmark asked `asked`.
  SampleSizer(std::string name, std::uint64_t asked, std::uint64_t floor);
  // The iterations the next run should do.
  std::uint64_t count() const;
  // Records a run's pace; true when its sample is the one to report (it met the floor, or the
  // attempts ran out).
  bool accept(std::uint64_t iterations, std::uint64_t elapsed_ns);
  // Tells Google Benchmark the accepted sample: time scaled to `asked`, items, bytes
  // (`bytes_per_iteration` of each, if any) and the sample counters.
  void report(benchmark::State& state, std::uint64_t iterations, std::uint64_t elapsed_ns,
              std::uint64_t bytes_per_iteration = 0) const;

 private:
  bool short_of_floor(std::uint64_t iterations, std::uint64_t elapsed_ns) const;
  // Whether Google Benchmark will report this batch: it lasts min_time (its rule), or it is
  // a repetition after the first, which runs the count the first one found.
  bool reported(std::uint64_t iterations, std::uint64_t elapsed_ns) const;
  std::uint64_t floor_count() const;
  std::string name_;
  std::uint64_t asked_;
  std::uint64_t floor_;
  int attempts_ = 0;
  bool floored_ = false;  // the next run is to meet the floor
};

}  // namespace ipcmeter
