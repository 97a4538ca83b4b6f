// Benchmark registration and the Google Benchmark adapter around run_pair.
#include "bench/register.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>

#include "bench/baselines.hpp"
#include "harness/paired_run.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/dict.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/dict.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// A comparison with a baseline needs medians, so both sides of it are repeated even in the
// quick profile; 5 keeps one noisy repetition from deciding the ratio.
constexpr int kOverheadRepetitions = 5;

// Runs the spec once per batch of iterations (set-up and tear-down outside the timed
// section), reporting its time, items, both sides' CPU, and what `counters` adds.
template <typename Counters>
void run_measured(benchmark::State& state, RunSpec spec, Counters counters) {
  spec.count = static_cast<std::uint64_t>(state.max_iterations);
  while (state.KeepRunningBatch(state.max_iterations)) {
    state.PauseTiming();
    try {
      RunResult result = run_pair(spec, {[&] { state.ResumeTiming(); },
                                         [&] { state.PauseTiming(); }});
      state.ResumeTiming();
      auto iterations = static_cast<double>(result.count);
      state.SetIterationTime(static_cast<double>(result.elapsed_ns) * 1e-9);
      state.SetItemsProcessed(static_cast<std::int64_t>(result.count));
      state.counters["leader_cpu_ns_per_iter"] =
          static_cast<double>(result.leader_cpu_ns) / iterations;
      state.counters["peer_cpu_ns_per_iter"] = static_cast<double>(result.peer_cpu_ns) / iterations;
      counters(result);
      state.SetLabel("pin:" + spec.pinning.describe() + " wait:" + wait_name(spec.wait));
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
      break;
    }
  }
}

void run_benchmark(benchmark::State& state, RunSpec spec) {
  const Workload& workload = find_workload(spec.workload);
  run_measured(state, spec, [&](const RunResult& result) {
    // Pingpong moves each message both ways.
    std::int64_t bytes_per_iteration =
        static_cast<std::int64_t>(spec.size) * (workload.records_round_trips ? 2 : 1);
    state.SetBytesProcessed(static_cast<std::int64_t>(result.count) * bytes_per_iteration);
    if (workload.records_round_trips) {
      const Histogram& rtt = result.round_trips;
      state.counters["rtt_p50_ns"] = static_cast<double>(rtt.quantile(0.50));
      state.counters["rtt_p90_ns"] = static_cast<double>(rtt.quantile(0.90));
      state.counters["rtt_p99_ns"] = static_cast<double>(rtt.quantile(0.99));
      state.counters["rtt_p999_ns"] = static_cast<double>(rtt.quantile(0.999));
      state.counters["rtt_max_ns"] = static_cast<double>(rtt.max());
      state.counters["rtt_samples"] = static_cast<double>(rtt.count());
    }
  });
}

// A dict run: the iterations are operations, shared out among the clients.
void run_dict_benchmark(benchmark::State& state, RunSpec spec) {
  bool has_server = !find_dict(spec.transport).transport.empty();
  run_measured(state, spec, [&](const RunResult& result) {
    if (has_server)
      state.counters["server_cpu_ns_per_iter"] =
          static_cast<double>(result.server_cpu_ns) / static_cast<double>(result.count);
  });
}

std::string benchmark_name(const RunSpec& spec) {
  if (is_dict_workload(spec.workload))
    return spec.workload + "/transport:" + spec.transport + "/placement:" + spec.placement +
           "/wait:" + wait_name(spec.wait) + "/clients:" + std::to_string(spec.peers);
  bool fan_in = find_workload(spec.workload).fan_in;
  return spec.workload + "/transport:" + spec.transport + "/placement:" + spec.placement +
         "/wait:" + wait_name(spec.wait) +
         (fan_in ? "/producers:" + std::to_string(spec.peers) : std::string()) +
         "/size:" + std::to_string(spec.size);
}

// A combination that would report numbers for a broken setup: listed, with the reason.
void unsupported(benchmark::State& state, std::string reason) {
  state.SkipWithError(("unsupported: " + reason).c_str());
}

// Fan-in measures contention, not message size: two sizes, either side of PIPE_BUF.
const std::vector<std::size_t> kFanInSizes = {64, 65536};

bool contains(const auto& values, const auto& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// One iteration: create a link, start a peer, exchange one round trip, release and reap
// (or join) it. The documents claim forking is cheaper than spawning a fresh interpreter;
// this checks it for a native program.
void run_startup(benchmark::State& state, RunSpec spec) {
  for (auto _ : state) {
    try {
      run_pair(spec);
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("pin:" + spec.pinning.describe());
}

}  // namespace

int register_suite(const SuiteOptions& options, bool user_set_repetitions) {
  int registered = 0;
  // Each suite case that a target compares with a hand-written baseline is measured back to
  // back with it, repeated, so both see the same machine and the ratio uses medians.
  struct Comparison {
    const char* workload;
    const char* transport;
    WaitStrategy wait;
    const char* baseline_name;
    void (*baseline)(benchmark::State&, Pinning);
    bool in_matrix = false;
  };
  std::vector<Comparison> comparisons = {
      {"pingpong", "pipe", WaitStrategy::block, "baseline/pipe-raw", baseline_pipe_raw},
      {"pingpong", "shm-spsc", WaitStrategy::spin, "baseline/cacheline", baseline_cacheline},
      {"pingpong", "zmq-ipc", WaitStrategy::block, "baseline/zmq-raw", baseline_zmq_raw},
  };
  auto register_comparison = [&](const Comparison& comparison) {
    RunSpec spec;
    spec.workload = comparison.workload;
    spec.transport = comparison.transport;
    spec.placement = "fork";
    spec.wait = comparison.wait;
    spec.size = 8;
    spec.pinning = options.pinning;
    spec.timeout = options.timeout;
    auto* baseline = benchmark::RegisterBenchmark(comparison.baseline_name, comparison.baseline,
                                                  options.pinning);
    baseline->UseRealTime()->Unit(benchmark::kMicrosecond);
    auto* suite =
        benchmark::RegisterBenchmark(benchmark_name(spec).c_str(), run_benchmark, spec);
    suite->UseManualTime()->Unit(benchmark::kMicrosecond);
    if (!user_set_repetitions) {
      baseline->Repetitions(kOverheadRepetitions);
      suite->Repetitions(kOverheadRepetitions);
    }
    registered += 2;
  };

  for (const auto& workload : options.workloads) {
    if (is_dict_workload(workload)) continue;  // below
    const Workload& work = find_workload(workload);
    for (const auto& transport_name : options.transports) {
      const Transport& transport = find_transport(transport_name);
      if (transport.alternating_only && !work.alternating) continue;
      // Fan-in over point-to-point links would only repeat stream; pipes stay, to show
      // where sharing one end is safe and where it is not.
      if (work.fan_in && !transport.many_senders && transport.shared_writers_hazard.empty())
        continue;
      for (const auto& placement_name : options.placements) {
        if (find_placement(placement_name).separate_process && !transport.crosses_processes)
          continue;
        for (WaitStrategy wait : options.waits) {
          if (!contains(transport.waits, wait)) continue;
          // Fan-in: blocking only (spinning producers outnumber the cores here).
          if (work.fan_in && wait != WaitStrategy::block) continue;
          const auto& sizes = work.fan_in                  ? kFanInSizes
                              : wait == WaitStrategy::block ? options.sizes
                                                            : options.non_blocking_sizes;
          for (std::size_t size : sizes) {
            if (!work.fan_in && !contains(options.sizes, size)) continue;
            for (int producers : work.fan_in ? options.producers : std::vector<int>{1}) {
            RunSpec spec;
            spec.workload = workload;
            spec.transport = transport_name;
            spec.placement = placement_name;
            spec.wait = wait;
            spec.size = size;
            spec.peers = producers;
            spec.pinning = options.pinning;
            spec.timeout = options.timeout;
            if (producers > 1 && !transport.many_senders && size > transport.shared_write_limit) {
              benchmark::RegisterBenchmark(benchmark_name(spec).c_str(), unsupported,
                                           transport.shared_writers_hazard);
              ++registered;
              continue;
            }
            auto compared = std::find_if(comparisons.begin(), comparisons.end(), [&](auto& c) {
              return workload == c.workload && transport_name == c.transport &&
                     placement_name == "fork" && wait == c.wait && size == 8;
            });
            if (compared != comparisons.end()) {
              compared->in_matrix = true;  // registered once, beside its baseline, below
              continue;
            }
            benchmark::RegisterBenchmark(benchmark_name(spec).c_str(), run_benchmark, spec)
                ->UseManualTime()
                ->Unit(benchmark::kMicrosecond);
            ++registered;
            }
          }
        }
      }
    }
  }
  for (const auto& comparison : comparisons)
    if (comparison.in_matrix) register_comparison(comparison);

  // The dictionaries: each client count in each placement the variant allows. Blocking
  // waits only: four spinning clients and their server threads would fight over 2 cores.
  for (const auto& workload : options.workloads) {
    if (!is_dict_workload(workload)) continue;
    for (const auto& dict_name : options.dicts) {
      const DictKind& kind = find_dict(dict_name);
      for (const auto& placement_name : options.placements) {
        if (find_placement(placement_name).separate_process && !kind.crosses_processes) continue;
        for (int clients : options.clients) {
          if (!kind.shared && clients != 1) continue;
          RunSpec spec;
          spec.workload = workload;
          spec.transport = dict_name;
          spec.placement = placement_name;
          spec.wait = WaitStrategy::block;
          spec.peers = clients;
          spec.pinning = options.pinning;
          spec.timeout = options.timeout;
          benchmark::RegisterBenchmark(benchmark_name(spec).c_str(), run_dict_benchmark, spec)
              ->UseManualTime()
              ->Unit(benchmark::kMicrosecond);
          ++registered;
        }
      }
    }
  }

  for (const auto& placement : options.placements) {
    RunSpec spec;
    spec.workload = "pingpong";
    spec.transport = "pipe";
    spec.placement = placement;
    spec.size = 64;
    spec.count = 1;
    spec.pinning = options.pinning;
    spec.timeout = options.timeout;
    benchmark::RegisterBenchmark(
        ("startup/transport:pipe/placement:" + placement).c_str(), run_startup, spec)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    ++registered;
  }

  // The machine's copy bandwidth, for the large-message ratio in the report; 64 MiB is
  // past every cache here: the bandwidth of memory itself.
  std::vector<std::size_t> copy_sizes = {std::size_t{64} << 20};
  for (std::size_t size : options.sizes)
    if (size >= 4096) copy_sizes.push_back(size);
  std::sort(copy_sizes.begin(), copy_sizes.end());
  copy_sizes.erase(std::unique(copy_sizes.begin(), copy_sizes.end()), copy_sizes.end());
  for (std::size_t size : copy_sizes) {
    benchmark::RegisterBenchmark(("baseline/memcpy/size:" + std::to_string(size)).c_str(),
                                 baseline_memcpy, size)
        ->Unit(benchmark::kMicrosecond);
    ++registered;
  }
  return registered;
}

}  // namespace ipcmeter
