// ipcmeter-bench: the suite's benchmark binary (and, with --ipcmeter-peer, its own peer).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bench/context.hpp"
#include "bench/list.hpp"
#include "bench/options.hpp"
#include "bench/profile.hpp"
#include "bench/progress.hpp"
#include "bench/register.hpp"
#include "bench/sample.hpp"
#include "harness/medium.hpp"
#include "harness/peer.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/ranks.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/leftovers.hpp"

namespace {

bool has_flag(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

// Passes everything to the console reporter and keeps the failures: a benchmark that
// failed (a peer killed, a corrupted message) makes the run fail, after every result has
// been written. Combinations listed as unsupported by design are not failures.
class FailureKeeper final : public benchmark::BenchmarkReporter {
 public:
  explicit FailureKeeper(benchmark::BenchmarkReporter* display) : display_(display) {}
  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (!run.error_occurred || run.error_message.rfind("unsupported:", 0) == 0) continue;
      std::string name = run.run_name.str();
      auto known = std::find_if(failures_.begin(), failures_.end(),
                                [&](const Failure& f) { return f.name == name; });
      if (known == failures_.end())
        failures_.push_back({name, run.error_message, 1});
      else
        ++known->samples;
    }
    display_->ReportRuns(runs);
  }
  void Finalize() override { display_->Finalize(); }
  // One line per benchmark: its first error, and how many of its samples failed.
  std::vector<std::string> failures() const {
    std::vector<std::string> lines;
    for (const auto& f : failures_)
      lines.push_back(f.samples > 1
                          ? fmt::format("{}: {} ({} samples)", f.name, f.message, f.samples)
                          : fmt::format("{}: {}", f.name, f.message));
    return lines;
  }

 private:
  struct Failure {
    std::string name;
    std::string message;
    int samples;
  };
  std::unique_ptr<benchmark::BenchmarkReporter> display_;
  std::vector<Failure> failures_;
};

// What the sweep of dead runs' leftovers did: with --clean, every path on stdout; else one line
// on stderr for what it removed and one for what it left alone, if anything.
void report_sweep(const ipcmeter::SweepResult& sweep, bool clean) {
  const auto& removed = sweep.removed;
  const auto& kept = sweep.kept;
  auto plural = [](std::size_t n) { return n == 1 ? "" : "s"; };
  std::vector<std::string> reasons;
  for (const auto& name : kept) reasons.push_back(fmt::format("{} ({})", name.path, name.why));
  std::string kept_line = fmt::format("left {} name{} alone whose creator cannot be proved dead",
                                      kept.size(), plural(kept.size()));
  if (clean) {
    for (const auto& path : removed) fmt::print("removed {}\n", path);
    for (const auto& name : kept) fmt::print("left {}: {}\n", name.path, name.why);
    fmt::print("ipcmeter-bench: removed {} leftover{} of dead runs{}\n", removed.size(),
               plural(removed.size()), kept.empty() ? "" : "; " + kept_line);
    return;
  }
  if (!removed.empty())
    fmt::print(stderr, "ipcmeter-bench: removed {} leftover{} of dead runs: {}\n", removed.size(),
               plural(removed.size()), fmt::join(removed, " "));
  if (!kept.empty())
    fmt::print(stderr, "ipcmeter-bench: {}: {}\n", kept_line, fmt::join(reasons, ", "));
}

// The value of a flag as given (the user's, or a profile default inserted before it).
std::string flag_value(const std::vector<char*>& args, const std::string& flag) {
  std::string value;
  for (char* arg : args)
    if (arg && std::strncmp(arg, (flag + "=").c_str(), flag.size() + 1) == 0)
      value = arg + flag.size() + 1;
  return value;
}

// Google Benchmark's arguments: the profile's values in front of the user's, as if typed
// first, so a user's own flag still wins. `storage` holds the inserted strings.
std::vector<char*> benchmark_args(const ipcmeter::SuiteOptions& options, int argc, char** argv,
                                  std::vector<std::string>& storage) {
  // Every figure is a median of several samples (bench/profile.cpp says how many, how
  // long), each taken at a random point of the run (Google Benchmark's random interleaving:
  // the repetitions of all benchmarks shuffled together), so a figure's spread shows how much
  // the machine moved under it, and a host that changes mid-run moves a few samples of
  // everything rather than all samples of a few figures. The console shows the aggregates,
  // the JSON every sample.
  storage = {"--benchmark_min_time=" + ipcmeter::profile_min_time(options.profile),
             "--benchmark_repetitions=" + ipcmeter::profile_repetitions(options.profile),
             "--benchmark_enable_random_interleaving=true",
             "--benchmark_display_aggregates_only=true"};
  std::vector<char*> args(argv, argv + argc);
  for (auto& flag : storage) {
    std::string name = flag.substr(0, flag.find('='));
    if (!has_flag(argc, argv, name.c_str())) args.insert(args.begin() + 1, flag.data());
  }
  return args;
}

// Registers the matrix, runs what the filter selects and says how it went: 0, 1 when a
// benchmark failed (after every result was written), 2 when the filter selects nothing
// (a typo in it must not pass for a run that found nothing wrong).
int run_benchmarks(const ipcmeter::SuiteOptions& options, int argc, char** argv) {
  std::vector<std::string> defaults;
  std::vector<char*> args = benchmark_args(options, argc, argv, defaults);
  bool user_set_repetitions = has_flag(argc, argv, "--benchmark_repetitions");
  // Read before Initialize, which takes the flags it knows out of args.
  std::string repetitions = flag_value(args, "--benchmark_repetitions");
  // The sample floor tells the batches Google Benchmark reports from its search by min_time.
  ipcmeter::set_sample_min_time(std::atof(flag_value(args, "--benchmark_min_time").c_str()));
  int new_argc = static_cast<int>(args.size());
  args.push_back(nullptr);

  benchmark::Initialize(&new_argc, args.data());
  if (benchmark::ReportUnrecognizedArguments(new_argc, args.data())) return 2;
  ipcmeter::add_run_context(options);
  ipcmeter::register_suite(options, user_set_repetitions);
  const std::string filter = benchmark::GetBenchmarkFilter();
  ipcmeter::Progress& progress = ipcmeter::Progress::instance();
  progress.start(filter, repetitions.empty() ? 1 : std::atoi(repetitions.c_str()));
  FailureKeeper reporter(benchmark::CreateDefaultDisplayReporter());
  // The progress count applies the filter as Google Benchmark does: when it selects nothing,
  // the one line here says so rather than Google Benchmark's own.
  std::size_t selected =
      progress.selected_repetitions() > 0 ? benchmark::RunSpecifiedBenchmarks(&reporter) : 0;
  if (selected > 0) progress.finish();
  benchmark::Shutdown();
  std::vector<std::string> failures = reporter.failures();
  if (selected == 0) {
    fmt::print(stderr,
               "ipcmeter-bench: --benchmark_filter={} selects no benchmark "
               "(--benchmark_list_tests=true lists them, --list the axes)\n",
               filter);
    return 2;
  }
  if (failures.empty()) return 0;
  fmt::print(stderr, "ipcmeter-bench: {} benchmark(s) failed:\n", failures.size());
  for (const auto& failure : failures) fmt::print(stderr, "  {}\n", failure);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ipcmeter::run_peer_if_requested(argc, argv);
  try {
    // Under mpirun, the ranks other than 0 serve as peers from here on and never return.
    ipcmeter::RankSession ranks(argc, argv);
    ipcmeter::install_process_guard();
    ipcmeter::SuiteOptions options = ipcmeter::parse_suite_options(argc, argv);
    for (const auto& note : options.notes) fmt::print(stderr, "ipcmeter-bench: {}\n", note);
    if (options.list || options.list_json) {
      if (options.list_json)
        ipcmeter::list_axes_json();
      else
        ipcmeter::list_axes();
      return 0;
    }
    // What dead runs left (a SIGKILL skips every clean-up): swept before this run makes its
    // own names, and said, so a user sees what was in /dev/shm and the temp dir.
    report_sweep(ipcmeter::remove_dead_owners_leftovers(), options.clean);
    if (options.clean) return 0;
    if (has_flag(argc, argv, "--help")) std::fputs(ipcmeter::usage_text().c_str(), stdout);
    return run_benchmarks(options, argc, argv);
  } catch (const std::exception& error) {
    fmt::print(stderr, "ipcmeter-bench: {}\n", error.what());
    return 2;
  }
}
