// Adds machine, toolchain, library and run settings to Google Benchmark's JSON context.
#include "bench/context.hpp"

#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <zmq.h>

#include "bench/options.hpp"
#include "harness/medium.hpp"
#include "harness/ranks.hpp"

#include <boost/version.hpp>
#include <zmq.hpp>
#include <fstream>
#include <string>

namespace ipcmeter {
namespace {

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string kernel() {
  utsname name{};
  if (::uname(&name) != 0) return "unknown";
  return fmt::format("{} {} {}", name.sysname, name.release, name.version);
}

}  // namespace

void add_run_context(const SuiteOptions& options) {
  benchmark::AddCustomContext("ipcmeter_version", IPCMETER_VERSION);
  benchmark::AddCustomContext("ipcmeter_build_type", IPCMETER_BUILD_TYPE);
  benchmark::AddCustomContext("ipcmeter_profile", options.profile);
  benchmark::AddCustomContext("ipcmeter_pinning", options.pinning.describe());
  benchmark::AddCustomContext(
      "ipcmeter_timeout_s",
      fmt::format("{:f}", static_cast<double>(options.timeout.count()) / 1000.0));
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("online_cpus", std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)));
  benchmark::AddCustomContext("kernel", kernel());
  benchmark::AddCustomContext("compiler", "g++ " __VERSION__);
  benchmark::AddCustomContext("glibc", ::gnu_get_libc_version());
  benchmark::AddCustomContext("google_benchmark", IPCMETER_BENCHMARK_VERSION);
  benchmark::AddCustomContext("boost", BOOST_LIB_VERSION);
  benchmark::AddCustomContext("fmt", std::to_string(FMT_VERSION));
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);  // the library actually loaded, not the header's
  benchmark::AddCustomContext("zeromq", fmt::format("{}.{}.{}", major, minor, patch));
  benchmark::AddCustomContext("cppzmq", fmt::format("{}.{}.{}", CPPZMQ_VERSION_MAJOR,
                                                    CPPZMQ_VERSION_MINOR, CPPZMQ_VERSION_PATCH));
  // Built with MPI or not, and this launch's ranks and hosts (by rank, the leader's first).
  benchmark::AddCustomContext("mpi", mpi_status());
  // What the counters mean, so the JSON explains itself.
  benchmark::AddCustomContext(
      "ipcmeter_counters",
      "iteration = one message (stream) or one round trip (pingpong); rtt_* are full "
      "round-trip times in ns; leader/peer_cpu_ns_per_iter are CPU time per iteration of the "
      "benchmark side (stream consumer, pingpong initiator) and of the peer (thread CPU clock, "
      "or the whole process for fork/spawn); cold_rtt_ns / cold_first_ns are what the first "
      "round trip / message of the warm-up cost (never in the other figures); sample_iterations "
      "and sample_s are what a sample rested on (Google Benchmark's iterations field is the batch "
      "it asked for; the time per iteration is the sample's), sample_short 1 when it fell short of "
      "the sample floor; floor/<name> is the raw floor of the figure <name>");
  // Which depth is each queue's own at a size, for the plots to draw a queue at its own
  // depth as one line: "queue-boost=64 queue-mutex=3 ...; bytes=8388608" (options.hpp).
  std::string depths;
  for (const auto& kind : all_media())
    if (kind.depth) depths += fmt::format("{}={} ", kind.name, kind.depth->fallback);
  benchmark::AddCustomContext("ipcmeter_queue_own_depths",
                              fmt::format("{}; bytes={}", depths, kDefaultQueueBytes));
  benchmark::AddCustomContext(
      "ipcmeter_warm_up",
      "before timing, each run moves 16 messages (or a queue's depth + 1) of its workload's "
      "shape, and shared memory is prefaulted on open");
  benchmark::AddCustomContext(
      "ipcmeter_sample_floor",
      "each reported sample rests on >= 100 messages or operations (50 round trips) and >= 20 ms");
  benchmark::AddCustomContext(
      "ipcmeter_zmq_io_threads",
      "one per context, pinned to its application thread's CPU when that thread is pinned "
      "(ZMQ_THREAD_AFFINITY_CPU_ADD); spinning waits yield the CPU at each miss");
}

}  // namespace ipcmeter
