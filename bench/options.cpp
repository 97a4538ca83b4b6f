// Parsing and checking the suite's flags. Every error is one line naming the flag.
#include "bench/options.hpp"

#include <charconv>
#include <cstring>

#include "harness/message.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/dict.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

std::vector<std::string> split_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> items;
  std::string::size_type start = 0;
  for (;;) {
    auto end = text.find(',', start);
    std::string item = text.substr(start, end - start);
    if (item.empty()) throw UsageError("empty item in " + flag + "='" + text + "'");
    items.push_back(item);
    if (end == std::string::npos) return items;
    start = end + 1;
  }
}

// The sizes of the matrix: 8 B to 1 MiB in steps of 8x (64 KiB is the pipe buffer).
const std::vector<std::size_t> kQuickSizes = {8, 64, 512, 4096, 65536, 1048576};
// Spinning triples the matrix; the quick profile spins only at the latency sizes (8, 64 B)
// and the largest, enough to see where spinning stops paying.
const std::vector<std::size_t> kQuickNonBlockingSizes = {8, 64, 1048576};
// The quick profile's dictionaries: the plain-map baseline, the locked map, shared memory,
// and the manager over Python's own mechanism (a Unix socket), a pipe, ZeroMQ and the
// shared-memory ring. The full profile takes a manager over every transport.
const std::vector<std::string> kQuickDicts = {
    "dict-local", "dict-locked", "dict-shm", "dict-manager-unix-stream", "dict-manager-pipe",
    "dict-manager-zmq-ipc", "dict-manager-shm-spsc"};

const std::vector<std::size_t> kFullSizes = {8,    16,    64,     256,    512,    1024,   4096,
                                             16384, 65536, 262144, 1048576};

}  // namespace

std::size_t parse_size(const std::string& text) {
  std::size_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc{} || rest == begin)
    throw UsageError("bad size '" + text + "' (expected bytes such as 64, 4K or 1MiB)");
  std::string unit(rest, end);
  std::size_t scale = 1;
  if (unit == "K" || unit == "KiB" || unit == "k")
    scale = std::size_t{1} << 10;
  else if (unit == "M" || unit == "MiB")
    scale = std::size_t{1} << 20;
  else if (!unit.empty() && unit != "B")
    throw UsageError("bad size unit in '" + text + "' (use B, K/KiB or M/MiB)");
  std::size_t bytes = value * scale;
  if (bytes < kMinMessageSize || bytes > kMaxMessageSize)
    throw UsageError("size " + text + " is out of range (" + std::to_string(kMinMessageSize) +
                     " B to " + std::to_string(kMaxMessageSize >> 20) +
                     " MiB; 8 bytes hold the sequence number and checksum)");
  return bytes;
}

std::string usage_text() {
  std::string workloads;
  for (const auto& workload : all_workloads())
    workloads += (workloads.empty() ? "" : ", ") + workload.name;
  for (const auto& workload : all_dict_workloads()) workloads += ", " + workload.name;
  return "ipcmeter suite flags (Google Benchmark's --benchmark_* flags work as usual):\n"
         "  --profile=quick|full     quick: whole matrix in minutes; full: longer, repeated\n"
         "  --pin=auto|none|L,P      leader on CPU L, peer on CPU P (auto: first two CPUs)\n"
         "  --workloads=a,b          default: all (" +
         workloads +
         ")\n"
         "  --transports=a,b         default: all (" +
         transport_names() +
         ")\n"
         "  --placements=a,b         default: all (thread, fork, spawn)\n"
         "  --dicts=a,b              dictionaries for the dict-* workloads (default quick: " +
         [] {
           std::string names;
           for (const auto& name : kQuickDicts) names += (names.empty() ? "" : ", ") + name;
           return names;
         }() +
         "; full: all of " + dict_names() +
         "; with --transports: the managers over those)\n"
         "  --sizes=8,64,4K,1M       message sizes, 8 B to 64 MiB\n"
         "  --waits=block,spin,hybrid  wait strategies (default: all a transport supports)\n"
         "  --timeout=SECONDS        per-run watchdog (default 30)\n"
         "  --list                   list transports, placements and workloads\n";
}

SuiteOptions parse_suite_options(int& argc, char** argv) {
  SuiteOptions options;
  std::string sizes_text, pin_text = "auto", timeout_text, waits_text;
  std::vector<char*> kept = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--benchmark_", 0) == 0 || arg.rfind("--", 0) != 0) {
      kept.push_back(argv[i]);
      continue;
    }
    auto equals = arg.find('=');
    std::string flag = arg.substr(0, equals);
    bool flag_is_ours = flag == "--profile" || flag == "--pin" || flag == "--workloads" ||
                        flag == "--transports" || flag == "--placements" || flag == "--sizes" ||
                        flag == "--timeout" || flag == "--waits" || flag == "--dicts";
    if (flag == "--list") {
      options.list = true;
      continue;
    }
    if (flag == "--help" || flag == "-h") {
      kept.push_back(argv[i]);
      continue;
    }
    if (!flag_is_ours) throw UsageError("unknown flag '" + arg + "' (see --help)");
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw UsageError(flag + " needs a value");
    }
    if (flag == "--profile") options.profile = value;
    if (flag == "--pin") pin_text = value;
    if (flag == "--workloads") options.workloads = split_list(value, flag);
    if (flag == "--transports") options.transports = split_list(value, flag);
    if (flag == "--placements") options.placements = split_list(value, flag);
    if (flag == "--dicts") options.dicts = split_list(value, flag);
    if (flag == "--sizes") sizes_text = value;
    if (flag == "--timeout") timeout_text = value;
    if (flag == "--waits") waits_text = value;
  }
  kept.push_back(nullptr);
  argc = static_cast<int>(kept.size()) - 1;
  std::memcpy(argv, kept.data(), kept.size() * sizeof(char*));

  if (options.profile != "quick" && options.profile != "full")
    throw UsageError("unknown profile '" + options.profile + "' (known: quick, full)");
  options.pinning = parse_pinning(pin_text);
  bool transports_given = !options.transports.empty();
  for (const auto& name : options.workloads)
    if (!is_dict_workload(name)) find_workload(name);
  for (const auto& name : options.dicts) find_dict(name);
  for (const auto& name : options.transports) find_transport(name);
  for (const auto& name : options.placements) find_placement(name);
  if (options.workloads.empty()) {
    for (const auto& workload : all_workloads()) options.workloads.push_back(workload.name);
    for (const auto& workload : all_dict_workloads()) options.workloads.push_back(workload.name);
  }
  if (options.dicts.empty() && transports_given) {
    // Naming transports picks the managers over them.
    for (const auto& name : options.transports)
      if (is_dict("dict-manager-" + name)) options.dicts.push_back("dict-manager-" + name);
  } else if (options.dicts.empty()) {
    if (options.profile == "full")
      for (const auto& kind : all_dicts()) options.dicts.push_back(kind.name);
    else
      options.dicts = kQuickDicts;
  }
  options.clients = {1, 2, 4};
  if (options.transports.empty())
    for (const auto& transport : all_transports()) options.transports.push_back(transport.name);
  if (options.placements.empty())
    for (const auto& placement : all_placements()) options.placements.push_back(placement.name);
  if (sizes_text.empty()) {
    options.sizes = options.profile == "full" ? kFullSizes : kQuickSizes;
    options.non_blocking_sizes = options.profile == "full" ? kFullSizes : kQuickNonBlockingSizes;
  } else {
    for (const auto& item : split_list(sizes_text, "--sizes"))
      options.sizes.push_back(parse_size(item));
    options.non_blocking_sizes = options.sizes;
  }
  options.producers = {1, 2, 4};
  if (waits_text.empty()) {
    options.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  } else {
    for (const auto& item : split_list(waits_text, "--waits"))
      options.waits.push_back(parse_wait(item));
  }
  if (!timeout_text.empty()) {
    double seconds = 0;
    auto [rest, error] =
        std::from_chars(timeout_text.data(), timeout_text.data() + timeout_text.size(), seconds);
    if (error != std::errc{} || rest != timeout_text.data() + timeout_text.size() || seconds <= 0)
      throw UsageError("bad --timeout '" + timeout_text + "' (expected seconds > 0)");
    options.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  return options;
}

}  // namespace ipcmeter
