// ipcmeter-bench: the suite's benchmark binary (and, with --ipcmeter-peer, its own peer).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/context.hpp"
#include "bench/options.hpp"
#include "bench/register.hpp"
#include "harness/medium.hpp"
#include "harness/peer.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/workloads/workload.hpp"

namespace {

bool has_flag(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  return false;
}

void list_media(const char* title, const std::string& family) {
  std::printf("%s\n", title);
  for (const auto& kind : ipcmeter::all_media())
    if (kind.family == family)
      std::printf("  %-28s %s%s\n", kind.name.c_str(), kind.summary.c_str(),
                  kind.crosses_processes ? "" : " (threads only)");
}

void list_axes() {
  list_media("transports (for the link workloads):", "link");
  std::printf("placements:\n");
  for (const auto& placement : ipcmeter::all_placements())
    std::printf("  %s\n", placement.name.c_str());
  list_media("dictionaries (for the dict-* workloads):", "dict");
  std::printf("workloads:\n");
  for (const auto& workload : ipcmeter::all_workloads()) {
    std::string segments;
    for (const auto& segment : workload.segments) segments += "/" + segment.key + ":N";
    std::printf("  %-12s %s (iteration: %s; over a %s; name .../wait:W%s)\n",
                workload.name.c_str(), workload.summary.c_str(), workload.iteration.c_str(),
                workload.medium == "dict" ? "dictionary" : "transport", segments.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  ipcmeter::run_peer_if_requested(argc, argv);
  try {
    ipcmeter::install_process_guard();
    ipcmeter::SuiteOptions options = ipcmeter::parse_suite_options(argc, argv);
    if (options.list) {
      list_axes();
      return 0;
    }
    if (has_flag(argc, argv, "--help")) std::fputs(ipcmeter::usage_text().c_str(), stdout);

    // Profile defaults go in as if typed first, so a user's own flag still wins. Quick's
    // 0.1 s per benchmark keeps the ~700-benchmark matrix near 3 minutes on 2 cores and
    // still gives a 70 us round trip ~1,400 samples (rtt_samples says how many); full
    // measures 1 s, three times.
    std::vector<char*> args(argv, argv + argc);
    std::string min_time = options.profile == "full" ? "--benchmark_min_time=1.0"
                                                     : "--benchmark_min_time=0.1";
    std::string repetitions = "--benchmark_repetitions=3";
    bool user_set_repetitions = has_flag(argc, argv, "--benchmark_repetitions");
    if (!has_flag(argc, argv, "--benchmark_min_time")) args.insert(args.begin() + 1, min_time.data());
    if (options.profile == "full" && !user_set_repetitions) {
      args.insert(args.begin() + 1, repetitions.data());
      user_set_repetitions = true;
    }
    int new_argc = static_cast<int>(args.size());
    args.push_back(nullptr);

    benchmark::Initialize(&new_argc, args.data());
    if (benchmark::ReportUnrecognizedArguments(new_argc, args.data())) return 2;
    ipcmeter::add_run_context(options);
    ipcmeter::register_suite(options, user_set_repetitions);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ipcmeter-bench: %s\n", error.what());
    return 2;
  }
}
