// Benchmark registration from the axes, and the Google Benchmark adapter around run().
// The matrix proposes every combination of the chosen workloads, media, placements, waits
// and segment values, and RunSpec::validate decides which exist: what it rejects is not
// registered, what it calls Unsupported is listed with the reason.
#include "bench/register.hpp"

#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "bench/baselines.hpp"
#include "bench/closed_loop_max.hpp"
#include "bench/floors.hpp"
#include "bench/profile.hpp"
#include "bench/progress.hpp"
#include "bench/sample.hpp"
#include "harness/medium.hpp"
#include "harness/placement.hpp"
#include "harness/run.hpp"
#include "harness/workloads/election/kernel.hpp"
#include "harness/workloads/workload.hpp"

namespace ipcmeter {
namespace {

// A comparison with a baseline is a ratio of medians: its suite side is repeated more than
// the profile's other figures, so one noisy sample cannot decide it.
constexpr int kComparisonRepetitions = 9;
// The machine's own floors (a cache line between the two vCPUs, a blocking wake-up) are
// sampled this often, spread through the whole run by the random interleaving, so a change
// in the host's placement of the vCPUs shows beside the figures it moves.
constexpr int kFloorRepetitions = 12;
// The sizes the raw floors are measured at: a latency-bound and a bandwidth-bound message.
const std::vector<std::uint64_t> kFloorSizes = {64, 1048576};

bool contains(const auto& values, const auto& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// The sample floor (sample.hpp) of a workload's iteration: frames and projections are long by
// themselves, and their workloads set their own counts.
std::uint64_t sample_floor_iterations(const Workload& work) {
  if (work.iteration == "message" || work.iteration == "operation") return kSampleFloorMessages;
  if (work.iteration == "round trip") return kSampleFloorRoundTrips;
  return 0;
}

// What one run's result tells Google Benchmark: time, iterations, bytes, both sides' CPU,
// the workload's latency percentiles and every counter the workload and medium reported.
// The run may have done more iterations than Google Benchmark asked for (sample.hpp).
void report(benchmark::State& state, const RunSpec& spec, const Workload& work,
            const RunResult& result, const SampleSizer& sample) {
  auto iterations = static_cast<double>(std::max<std::uint64_t>(result.iterations, 1));
  sample.report(state, result.iterations, result.elapsed_ns,
                work.payload_copies > 0 ? spec.param("size") * work.payload_copies : 0);
  state.counters["leader_cpu_ns_per_iter"] = static_cast<double>(result.leader_cpu_ns) / iterations;
  state.counters["peer_cpu_ns_per_iter"] = static_cast<double>(result.peer_cpu_ns) / iterations;
  if (!work.latency.empty()) {
    const Histogram& latency = result.latency;
    const std::string& prefix = work.latency;
    state.counters[fmt::format("{}_p50_ns", prefix)] = static_cast<double>(latency.quantile(0.50));
    state.counters[fmt::format("{}_p90_ns", prefix)] = static_cast<double>(latency.quantile(0.90));
    state.counters[fmt::format("{}_p99_ns", prefix)] = static_cast<double>(latency.quantile(0.99));
    state.counters[fmt::format("{}_p999_ns", prefix)] =
        static_cast<double>(latency.quantile(0.999));
    state.counters[fmt::format("{}_max_ns", prefix)] = static_cast<double>(latency.max());
    state.counters[fmt::format("{}_samples", prefix)] = static_cast<double>(latency.count());
  }
  for (const Counter& counter : result.counters.all())
    state.counters[counter.name] =
        counter.per == Counter::Per::iteration ? counter.value / iterations : counter.value;
  state.SetLabel(fmt::format("pin:{} wait:{}", spec.pinning.describe(), wait_name(spec.wait)));
}

// Runs the spec once per batch of iterations (set-up and tear-down outside the timed
// section); the iteration is whatever the workload says (a message, a frame, ...).
void run_benchmark(benchmark::State& state, RunSpec spec) {
  const Workload& work = find_workload(spec.workload);
  // A paced run given a duration runs for it; the rest rest on the sample floor.
  SampleSizer sample(spec.name(), static_cast<std::uint64_t>(state.max_iterations),
                     spec.duration.count() > 0 ? 0 : sample_floor_iterations(work));
  while (state.KeepRunningBatch(state.max_iterations)) {
    state.PauseTiming();
    try {
      RunResult result;
      do {
        spec.count = sample.count();
        result = run(spec, {[&] { state.ResumeTiming(); }, [&] { state.PauseTiming(); }});
      } while (!sample.accept(result.iterations, result.elapsed_ns));
      state.ResumeTiming();
      report(state, spec, work, result, sample);
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
      break;
    }
  }
}

// The rate workload at its link's closed-loop maximum, measured first (once per name).
void run_rate_at_max(benchmark::State& state, RunSpec spec) {
  std::uint64_t rate = 0;
  try {
    rate = closed_loop_max_rate(spec);
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
    return;
  }
  spec.params["rate"] = std::min<std::uint64_t>(rate, find_workload("rate").segment("rate")->max);
  run_benchmark(state, spec);
  state.counters["closed_loop_per_s"] = static_cast<double>(rate);
}

// A combination that would report numbers for a broken setup: listed, with the reason.
void unsupported(benchmark::State& state, std::string reason) {
  state.SkipWithError(fmt::format("unsupported: {}", reason).c_str());
}

// One iteration: create a link, start a peer, exchange one round trip, release and reap
// (or join) it. The documents claim forking is cheaper than spawning a fresh interpreter;
// this checks it for a native program.
void run_startup(benchmark::State& state, RunSpec spec) {
  for (auto _ : state) {
    try {
      run(spec);
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(fmt::format("pin:{}", spec.pinning.describe()));
}

// election/kernel: one kernel alone, `batch` simulations per call, on the leader's CPU.
void run_kernel(benchmark::State& state, election::Kernel kernel, std::uint64_t batch, Pinning pinning) {
  using namespace election;
  ScopedPin pin(pinning.leader_cpu);
  const Plan plan = make_plan(map_2008(), scenario_2008());
  Tally tally(plan.total_votes);
  std::uint64_t seed = 1;
  for (auto _ : state) simulate(kernel, plan, batch, seed++, tally);
  benchmark::DoNotOptimize(tally.counts.data());
  auto sims = static_cast<double>(state.iterations()) * static_cast<double>(batch);
  state.SetItemsProcessed(static_cast<std::int64_t>(sims));
  state.counters["sims_per_s"] = benchmark::Counter(sims, benchmark::Counter::kIsRate);
  state.SetLabel(fmt::format("pin:{} isa:{}", pinning.describe(),
                             kernel == Kernel::simd ? simd_isa() : "scalar"));
}

// Each suite case that a target compares with a hand-written baseline is measured back to
// back with it, repeated, so both see the same machine and the ratio uses medians.
struct Comparison {
  RunSpec spec;
  const char* baseline_name;
  void (*baseline)(benchmark::State&, Pinning);
  bool in_matrix = false;
};

class Matrix {
 public:
  Matrix(const SuiteOptions& options, bool user_set_repetitions)
      : options_(options), profile_(options), user_set_repetitions_(user_set_repetitions) {
    auto compared = [&](const char* transport, WaitStrategy wait, const char* name,
                        void (*baseline)(benchmark::State&, Pinning)) {
      RunSpec spec = base_spec("pingpong", transport, "fork", wait);
      spec.params["size"] = 8;
      comparisons_.push_back({spec, name, baseline});
    };
    compared("pipe", WaitStrategy::block, "baseline/pipe-raw", baseline_pipe_raw);
    compared("shm-spsc", WaitStrategy::spin, "baseline/cacheline", baseline_cacheline);
    compared("zmq-ipc", WaitStrategy::block, "baseline/zmq-raw", baseline_zmq_raw);
  }

  void add_workload(const Workload& work) {
    const auto& media = work.medium == "dict" ? options_.dicts : options_.transports;
    for (const auto& medium : media) {
      const MediumKind& kind = find_medium(medium, work.medium);
      for (const auto& placement : options_.placements)
        for (WaitStrategy wait : options_.waits) {
          if (!profile_.measures(work, kind, placement, wait)) continue;
          std::set<std::string> at_max;
          for (const auto& params : grid(work, wait, kind, placement)) {
            RunSpec spec = base_spec(work.name, medium, placement, wait);
            spec.params = params;
            add(spec);
            if (work.name == "rate" && at_max.insert(rate_at_max_name(spec)).second) add_rate_at_max(spec);
          }
        }
    }
  }

  // The floors always, and each compared case with its baseline whenever its workload,
  // transport, fork placement and wait were chosen: a target does not depend on which
  // sizes the profile sweeps (the quick profile spins at 64 B, the cache-line target at 8 B).
  void add_baselines() {
    for (auto& comparison : comparisons_) {
      const RunSpec& spec = comparison.spec;
      bool chosen = contains(options_.workloads, spec.workload) &&
                    contains(options_.transports, spec.transport) &&
                    contains(options_.placements, spec.placement) && contains(options_.waits, spec.wait);
      comparison.in_matrix = comparison.in_matrix || chosen;
    }
    Pinning pinning = options_.pinning;
    for (const auto& comparison : comparisons_) {
      bool floor = std::string(comparison.baseline_name) != "baseline/zmq-raw";
      if (!floor && !comparison.in_matrix) continue;
      auto baseline = comparison.baseline;
      enlist(comparison.baseline_name, Timer::real, benchmark::kNanosecond,
             floor ? kFloorRepetitions : repetitions(kComparisonRepetitions),
             [baseline, pinning](benchmark::State& state) { baseline(state, pinning); });
    }
    for (const auto& comparison : comparisons_) {
      if (!comparison.in_matrix) continue;
      RunSpec spec = comparison.spec;
      enlist(spec.name(), Timer::manual, benchmark::kNanosecond,
             repetitions(kComparisonRepetitions),
             [spec](benchmark::State& state) { run_benchmark(state, spec); });
    }
  }

  // Each mechanism's raw floor (floors.hpp) beside the suite's figures it pairs with: a
  // one-way stream and a round trip of one peer, at kFloorSizes where the profile measures
  // them, between forked processes, at each wait the floor has and the run chose.
  void add_floors() {
    if (!contains(options_.placements, std::string("fork"))) return;
    for (const floors::Floor& floor : floors::all_floors()) {
      if (!contains(options_.transports, floor.transport)) continue;
      for (const auto& name : options_.workloads) {
        const Workload& work = find_workload(name);
        bool one_peer = work.medium == "link" && work.peers_key.empty() && work.frame.count() == 0 &&
                        work.closed_loop;
        if (!one_peer || (work.warm_up != WarmUp::one_way && work.warm_up != WarmUp::round_trips))
          continue;
        for (WaitStrategy wait : floor.waits)
          if (contains(options_.waits, wait)) add_floor(floor, work, wait);
      }
    }
  }

  void add_startups() {
    for (const auto& placement : options_.placements) {
      if (find_placement(placement).peerless) continue;  // nothing starts
      // A rank is reached over the network: its start-up is measured over tcp.
      const RemotePeers* remote = find_placement(placement).remote;
      std::string transport = remote ? "tcp" : "pipe";
      RunSpec spec = base_spec("pingpong", transport, placement, WaitStrategy::block);
      spec.count = 1;
      std::string hosts = remote ? fmt::format("/hosts:{}", remote->hosts(1)) : "";
      enlist(fmt::format("startup/transport:{}/placement:{}{}", transport, placement, hosts), Timer::real,
             benchmark::kMicrosecond, 0,
             [spec](benchmark::State& state) { run_startup(state, spec); });
    }
  }

  // The machine's copy bandwidth, for the large-message ratio in the report; 64 MiB is
  // past every cache here: the bandwidth of memory itself.
  void add_memcpy() {
    std::vector<std::uint64_t> sizes = {std::uint64_t{64} << 20};
    for (std::uint64_t size : profile_.sizes())
      if (size >= 4096) sizes.push_back(size);
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    for (std::uint64_t size : sizes)
      enlist(fmt::format("baseline/memcpy/size:{}", size), Timer::cpu,
             size >= (1u << 20) ? benchmark::kMicrosecond : benchmark::kNanosecond, 0,
             [size](benchmark::State& state) {
               baseline_memcpy(state, static_cast<std::size_t>(size));
             });
  }

  // Beside the election workloads: each kernel alone (sims/s), with no harness. (The UI loop
  // computing inline and the parallel projection with no queue are the workloads' own
  // variants over transport none: the matrix registers them.)
  void add_election_extras() {
    bool ui = contains(options_.workloads, std::string("election/ui"));
    bool parallel = contains(options_.workloads, std::string("election/parallel"));
    if (!ui && !parallel) return;
    Pinning pinning = options_.pinning;
    for (election::Kernel kernel : election::all_kernels())
      for (std::uint64_t batch : {std::uint64_t{250}, std::uint64_t{100'000}})
        enlist(
            fmt::format("election/kernel/kernel:{}/batch:{}", election::kernel_name(kernel), batch),
            Timer::real, benchmark::kNanosecond, 0,
            [=](benchmark::State& state) { run_kernel(state, kernel, batch, pinning); });
  }

  int registered() const { return registered_; }

 private:
  enum class Timer { manual, real, cpu };

  int repetitions(int wanted) const { return user_set_repetitions_ ? 0 : wanted; }
  // A workload's own sample count and iterations per sample in this profile, if it has them.
  int sample_count(const Workload& work) const { return repetitions(profile_.repetitions(work)); }
  std::uint64_t fixed_iterations(const Workload& work) const { return profile_.iterations(work); }

  // Registers one benchmark (0 repetitions: the flag's), tells the progress count what to
  // expect, and has every call stamp when it ran and count itself as done.
  template <typename Function>
  void enlist(const std::string& name, Timer timer, benchmark::TimeUnit unit, int repetitions,
              Function function, std::uint64_t iterations = 0) {
    std::string full =
        fmt::format("{}{}{}", name, repetitions > 0 ? fmt::format("/repeats:{}", repetitions) : "",
                    timer == Timer::manual ? "/manual_time"
                    : timer == Timer::real ? "/real_time"
                                           : "");
    Progress& progress = Progress::instance();
    progress.expect(full, repetitions);
    int id = progress.id_of(full);
    auto* registered = benchmark::RegisterBenchmark(
        name.c_str(), [function, id](benchmark::State& state) {
          function(state);
          Progress& shared = Progress::instance();
          // When this sample was taken, in seconds from the start: samples can be placed in
          // time, beside the machine's floors sampled through the run.
          state.counters["t_s"] = shared.seconds();
          shared.ran(id, state.max_iterations);
        });
    registered->Unit(unit);
    if (timer == Timer::manual) registered->UseManualTime();
    if (timer == Timer::real) registered->UseRealTime();
    if (repetitions > 0) registered->Repetitions(repetitions);
    if (iterations > 0) registered->Iterations(static_cast<benchmark::IterationCount>(iterations));
    ++registered_;
  }

  // Per-iteration times span 10 ns (a plain map) to 17 ms (a frame): each in a unit that
  // keeps its digits, so tools that print whole units (compare.py) do not show 0.
  static benchmark::TimeUnit unit_for(const Workload& work) {
    bool long_iteration = work.frame.count() > 0 || work.iteration == "projection";
    return long_iteration ? benchmark::kMillisecond : benchmark::kNanosecond;
  }

  RunSpec base_spec(const std::string& workload, const std::string& medium,
                    const std::string& placement, WaitStrategy wait) const {
    RunSpec spec;
    spec.workload = workload;
    spec.transport = medium;
    spec.placement = placement;
    spec.wait = wait;
    spec.pinning = options_.pinning;
    spec.timeout = options_.timeout;
    spec.fault = options_.fault;
    spec.fault_after = options_.fault_after;
    return spec;
  }

  // Every combination of the workload's segment values at this wait, each with the depths
  // it is measured at when the medium is a queue.
  std::vector<std::map<std::string, std::uint64_t>> grid(const Workload& work, WaitStrategy wait,
                                                         const MediumKind& kind,
                                                         const std::string& placement) const {
    std::vector<std::map<std::string, std::uint64_t>> combinations = {{}};
    for (const auto& segment : work.segments) {
      std::vector<std::uint64_t> values = profile_.values(work, segment, wait, placement);
      std::vector<std::map<std::string, std::uint64_t>> next;
      for (const auto& combination : combinations)
        for (std::uint64_t value : values) {
          next.push_back(combination);
          next.back()[segment.key] = value;
        }
      combinations = std::move(next);
    }
    if (!kind.depth) return combinations;
    std::vector<std::map<std::string, std::uint64_t>> with_depth;
    for (const auto& combination : combinations)
      for (std::uint64_t depth : profile_.depths(work, *kind.depth, placement, combination)) {
        with_depth.push_back(combination);
        with_depth.back()[kind.depth->key] = depth;
      }
    return with_depth;
  }

  void add_floor(const floors::Floor& floor, const Workload& work, WaitStrategy wait) {
    const MediumKind& kind = find_medium(floor.transport, "link");
    for (const auto& params : grid(work, wait, kind, "fork")) {
      std::uint64_t size = params.at("size");
      if (!contains(kFloorSizes, size)) continue;
      RunSpec spec = base_spec(work.name, floor.transport, "fork", wait);
      spec.params = params;
      floors::FloorRun run;
      run.shape = work.warm_up == WarmUp::one_way ? floors::Shape::stream : floors::Shape::round_trip;
      run.size = size;
      run.warm = warm_up_count(spec);
      run.wait = wait;
      run.depth = kind.depth ? params.at(kind.depth->key) : 0;  // a queue's, as the suite's
      run.pinning = options_.pinning;
      std::string name = "floor/" + spec.name();
      enlist(name, Timer::manual, unit_for(work), sample_count(work),
             [floor, run, name](benchmark::State& state) { floors::run_floor(state, floor, run, name); });
    }
  }

  // A rate curve's last point by rate: its link's closed-loop maximum, measured in the run
  // (closed_loop_max.hpp); registered once per curve, after the curve's first fixed rate.
  void add_rate_at_max(const RunSpec& spec) {
    try {
      spec.validate();
    } catch (const std::exception&) {
      return;  // the curve's own points say why
    }
    const Workload& work = find_workload(spec.workload);
    enlist(rate_at_max_name(spec), Timer::manual, unit_for(work), sample_count(work),
           [spec](benchmark::State& state) { run_rate_at_max(state, spec); }, fixed_iterations(work));
  }

  void add(const RunSpec& spec) {
    try {
      spec.validate();
    } catch (const Unsupported& reason) {
      std::string why = reason.what();
      enlist(spec.name(), Timer::cpu, benchmark::kNanosecond, 0,
             [why](benchmark::State& state) { unsupported(state, why); });
      return;
    } catch (const UsageError&) {
      return;  // not a combination that exists (a thread-only link between processes, ...)
    }
    for (auto& comparison : comparisons_)
      if (comparison.spec.name() == spec.name()) {
        comparison.in_matrix = true;  // registered once, beside its baseline
        return;
      }
    const Workload& work = find_workload(spec.workload);
    enlist(spec.name(), Timer::manual, unit_for(work), sample_count(work),
           [spec](benchmark::State& state) { run_benchmark(state, spec); }, fixed_iterations(work));
  }

  const SuiteOptions& options_;
  Profile profile_;
  bool user_set_repetitions_;
  std::vector<Comparison> comparisons_;
  int registered_ = 0;
};

}  // namespace

int register_suite(const SuiteOptions& options, bool user_set_repetitions) {
  Matrix matrix(options, user_set_repetitions);
  for (const auto& name : options.workloads) matrix.add_workload(find_workload(name));
  matrix.add_election_extras();
  matrix.add_baselines();
  matrix.add_floors();
  matrix.add_startups();
  matrix.add_memcpy();
  return matrix.registered();
}

}  // namespace ipcmeter
