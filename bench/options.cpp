// Parsing and checking the suite's flags. Every error is one line naming the flag.
#include "bench/options.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "bench/profile.hpp"
#include "harness/medium.hpp"
#include "harness/message.hpp"
#include "harness/placement.hpp"
#include "harness/ranks.hpp"
#include "harness/watchdog.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

std::vector<std::string> workload_names() {
  std::vector<std::string> names;
  for (const auto& workload : all_workloads()) names.push_back(workload.name);
  return names;
}

// The one list of the suite's flags: the parser knows a flag by it, --help prints it.
struct Flag {
  const char* name;
  const char* value;  // nullptr: takes no value
  std::string (*help)();
};
const Flag kFlags[] = {
    {"--profile", "quick|full", [] { return std::string("quick: whole matrix in minutes; full: longer, repeated"); }},
    {"--pin", "auto|none|L,P", [] { return std::string("leader on CPU L, peer on CPU P (auto: first two CPUs)"); }},
    {"--workloads", "a,b", [] {
       return fmt::format("default: all ({})", fmt::join(workload_names(), ", "));
     }},
    {"--transports", "a,b", [] {
       return fmt::format("links to measure (quick: {}; full: all, a queue-manager-* over every "
                          "transport too)",
                          fmt::join(profile_links("quick"), ", "));
     }},
    {"--dicts", "a,b", [] {
       return fmt::format("dictionaries for the dict-* workloads (quick: {}; full: all; with "
                          "--transports: the managers over those)",
                          fmt::join(profile_dicts("quick"), ", "));
     }},
    {"--placements", "a,b", [] {
       return std::string("default: all available (thread, fork, spawn; rank under mpirun)");
     }},
    {kLeaderAddressFlag, "IPv4", [] {
       return std::string("under mpirun: where ranks on other hosts reach the leader (default: the "
                          "source address of the route to the first other rank's host)");
     }},
    {"--sizes", "8,64,4K,1M", [] { return std::string("message sizes, 8 B to 64 MiB (the size: segment)"); }},
    {"--producers", "1,2,4", [] { return std::string("fan-in producers (the producers: segment)"); }},
    {"--clients", "1,2,4", [] { return std::string("dictionary clients (the clients: segment)"); }},
    {"--depths", "3,64,1024", [] {
       return fmt::format("queue depths in messages, 1 to {} (the depth: segment of queue-mutex, "
                          "queue-boost, queue-manager-*; which each profile measures: see "
                          "--list)",
                          kMaxDepth);
     }},
    {"--waits", "block,spin,hybrid", [] { return std::string("wait strategies (quick: block,spin; full: all a transport supports)"); }},
    {"--timeout", "SECONDS", [] {
       return "per-run watchdog (default 30): the run is interrupted and its peers killed; one "
              "not ended " + std::to_string(kWatchdogGrace.count()) + " s later ends the process "
              "(exit status " + std::to_string(kWatchdogExitStatus) + ")";
     }},
    {"--list", nullptr, [] { return std::string("list transports, placements, dictionaries and workloads"); }},
    {"--list-json", nullptr, [] { return std::string("the same as JSON with each medium's capabilities, for scripts"); }},
    {"--inject", "FAULT:N", [] {
       return std::string("fault injection (scripts/fault-campaign.py): each peer strikes at its Nth "
                          "operation; FAULT is exit, crash, hang, corrupt (one bit flipped) or announce (a "
                          "line in $IPCMETER_EVENTS, nothing else)");
     }},
    {"--clean", nullptr, [] {
       return std::string("remove the shared memory and socket dirs of dead runs, say what, and exit "
                          "(every run does this first)");
     }},
};

const Flag* find_flag(const std::string& name) {
  for (const auto& flag : kFlags)
    if (name == flag.name) return &flag;
  return nullptr;
}

std::vector<std::string> split_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> items;
  std::string::size_type start = 0;
  for (;;) {
    auto end = text.find(',', start);
    std::string item = text.substr(start, end - start);
    if (item.empty()) throw UsageError(fmt::format("empty item in {}='{}'", flag, text));
    items.push_back(item);
    if (end == std::string::npos) return items;
    start = end + 1;
  }
}

std::uint64_t parse_count(const std::string& text, const std::string& flag) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value == 0)
    throw UsageError(
        fmt::format("bad {} value '{}' (expected a whole number above 0)", flag, text));
  return value;
}

std::chrono::milliseconds parse_timeout(const std::string& text) {
  double seconds = 0;
  auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc{} || rest != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 86400)
    throw UsageError(
        fmt::format("bad --timeout '{}' (expected seconds, above 0 and at most 86400)", text));
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

// Argv's suite flags by name; Google Benchmark's and anything not a flag stay in argv.
// A flag without a value is given as "".
std::map<std::string, std::string> take_flags(int& argc, char** argv) {
  std::map<std::string, std::string> given;
  std::vector<char*> kept = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--benchmark_", 0) == 0 || arg.rfind("--", 0) != 0 || arg == "--help") {
      kept.push_back(argv[i]);
      continue;
    }
    auto equals = arg.find('=');
    std::string name = arg.substr(0, equals);
    const Flag* flag = find_flag(name);
    if (!flag) throw UsageError(fmt::format("unknown flag '{}' (see --help)", arg));
    if (!flag->value) {
      if (equals != std::string::npos) throw UsageError(fmt::format("{} takes no value", name));
      given[name] = "";
      continue;
    }
    if (equals != std::string::npos)
      given[name] = arg.substr(equals + 1);
    else if (i + 1 < argc)
      given[name] = argv[++i];
    else
      throw UsageError(fmt::format("{} needs a value", name));
  }
  kept.push_back(nullptr);
  argc = static_cast<int>(kept.size()) - 1;
  std::memcpy(argv, kept.data(), kept.size() * sizeof(char*));
  return given;
}

// Each item once, in the order first named, and a note for each named again: the matrix
// would register the same benchmark twice (run twice, and counted twice by the progress
// line, which would then never reach its total).
template <typename Item, typename Describe>
std::vector<Item> once_each(const std::vector<Item>& items, const std::string& flag,
                            Describe describe, std::vector<std::string>& notes) {
  std::vector<Item> kept;
  for (const Item& item : items) {
    if (std::find(kept.begin(), kept.end(), item) == kept.end()) {
      kept.push_back(item);
      continue;
    }
    std::string note =
        fmt::format("{} names {} more than once: measured once", flag, describe(item));
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  }
  return kept;
}

// Names from a flag, each checked against what exists and kept once, or `fallback` when not
// given.
std::vector<std::string> names_from(const std::map<std::string, std::string>& given,
                                    const std::string& flag, std::vector<std::string> fallback,
                                    void (*check)(const std::string&),
                                    std::vector<std::string>& notes) {
  auto it = given.find(flag);
  if (it == given.end()) return fallback;
  std::vector<std::string> names = split_list(it->second, flag);
  for (const auto& name : names) check(name);
  return once_each(
      names, flag, [](const std::string& name) { return name; }, notes);
}

// Google Benchmark's flags that it would take silently wrong: --benchmark_repetitions=0 (or
// a negative count) runs nothing and exits 0.
void check_benchmark_flags(int argc, char** argv) {
  const std::string repetitions = "--benchmark_repetitions=";
  for (int i = 1; i < argc; ++i)
    if (std::string arg = argv[i]; arg.rfind(repetitions, 0) == 0)
      parse_count(arg.substr(repetitions.size()), "--benchmark_repetitions");
}

}  // namespace

std::size_t parse_size(const std::string& text) {
  std::size_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc{} || rest == begin)
    throw UsageError(fmt::format("bad size '{}' (expected bytes such as 64, 4K or 1MiB)", text));
  std::string unit(rest, end);
  std::size_t scale = 1;
  if (unit == "K" || unit == "KiB" || unit == "k")
    scale = std::size_t{1} << 10;
  else if (unit == "M" || unit == "MiB")
    scale = std::size_t{1} << 20;
  else if (!unit.empty() && unit != "B")
    throw UsageError(fmt::format("bad size unit in '{}' (use B, K/KiB or M/MiB)", text));
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(value, scale, &bytes) || bytes < kMinMessageSize ||
      bytes > kMaxMessageSize)
    throw UsageError(fmt::format(
        "size {} is out of range ({} B to {} MiB; 8 bytes hold the sequence number and checksum)",
        text, kMinMessageSize, kMaxMessageSize >> 20));
  return bytes;
}

std::string usage_text() {
  std::string text = "ipcmeter suite flags (Google Benchmark's --benchmark_* flags work as usual):\n";
  // The help column starts at 28; a longer flag is followed by one space.
  for (const auto& flag : kFlags) {
    std::string name = flag.value ? fmt::format("{}={}", flag.name, flag.value) : flag.name;
    fmt::format_to(std::back_inserter(text), "  {:<25} {}\n", name, flag.help());
  }
  return text;
}

namespace {

using GivenFlags = std::map<std::string, std::string>;

// --workloads, --transports, --dicts, --placements: each name checked, each kept once.
void parse_axes(const GivenFlags& given, SuiteOptions& options) {
  std::vector<std::string>& notes = options.notes;
  options.workloads = names_from(
      given, "--workloads", workload_names(), [](const std::string& name) { find_workload(name); },
      notes);
  options.transports = names_from(
      given, "--transports", profile_links(options.profile),
      [](const std::string& name) { find_medium(name, "link"); }, notes);
  options.transports_named = given.count("--transports") > 0;
  options.placements_named = given.count("--placements") > 0;
  std::vector<std::string> default_dicts = profile_dicts(options.profile);
  if (given.count("--transports")) {
    // Naming transports picks the managers over them.
    default_dicts.clear();
    for (const auto& name : options.transports)
      for (const auto& kind : all_media())
        if (kind.family == "dict" && kind.transport == name) default_dicts.push_back(kind.name);
  }
  options.dicts = names_from(
      given, "--dicts", default_dicts, [](const std::string& name) { find_medium(name, "dict"); },
      notes);
  options.placements = names_from(
      given, "--placements", available_placement_names(),
      [](const std::string& name) {
        const Placement& placement = find_placement(name);
        if (placement.remote)
          if (std::string why = placement.remote->unavailable(); !why.empty())
            throw UsageError("placement " + name + ": " + why);
      },
      notes);
}

// --sizes, --producers, --clients, --depths: each value parsed, in range, kept once.
void parse_segment_values(const GivenFlags& given, SuiteOptions& options) {
  std::vector<std::string>& notes = options.notes;
  if (auto it = given.find("--sizes"); it != given.end()) {
    std::vector<std::uint64_t> bytes;
    for (const auto& item : split_list(it->second, "--sizes")) bytes.push_back(parse_size(item));
    options.segments["size"] = once_each(
        bytes, "--sizes", [](std::uint64_t b) { return fmt::format("{} bytes", b); }, notes);
  }
  const std::pair<const char*, const char*> counted[] = {
      {"--producers", "producers"}, {"--clients", "clients"}, {"--depths", "depth"}};
  for (const auto& [flag, key] : counted)
    if (auto it = given.find(flag); it != given.end()) {
      std::vector<std::uint64_t> counts;
      for (const auto& item : split_list(it->second, flag))
        counts.push_back(parse_count(item, flag));
      options.segments[key] = once_each(
          counts, flag, [](std::uint64_t n) { return std::to_string(n); }, notes);
    }
  // A value no segment accepts is an error here, not a silently empty matrix: the workloads'
  // segments, and a queue's depth (the medium's segment, the same for every queue).
  std::vector<Segment> segments = {depth_segment(1)};
  for (const auto& workload : all_workloads())
    segments.insert(segments.end(), workload.segments.begin(), workload.segments.end());
  for (const auto& segment : segments)
    if (auto it = options.segments.find(segment.key); it != options.segments.end())
      for (std::uint64_t v : it->second)
        if (v < segment.min || v > segment.max)
          throw UsageError(fmt::format("{} {} is out of range ({} to {}{})", segment.noun, v,
                                       segment.min, segment.max, segment.note));
}

// --inject=FAULT:N.
void parse_injection(const std::string& text, SuiteOptions& options) {
  auto colon = text.find(':');
  if (colon == std::string::npos)
    throw UsageError(fmt::format("bad --inject '{}' (expected FAULT:N, e.g. corrupt:1000)", text));
  options.fault = parse_fault(text.substr(0, colon));
  if (options.fault == Fault::none)
    throw UsageError(
        fmt::format("--inject '{}' injects nothing: name a fault (exit, crash, hang, "
                    "corrupt, announce)",
                    text));
  options.fault_after = parse_count(text.substr(colon + 1), "--inject");
}

}  // namespace

SuiteOptions parse_suite_options(int& argc, char** argv) {
  SuiteOptions options;
  GivenFlags given = take_flags(argc, argv);
  check_benchmark_flags(argc, argv);
  options.list = given.count("--list") > 0;
  options.list_json = given.count("--list-json") > 0;
  options.clean = given.count("--clean") > 0;
  auto value = [&](const std::string& flag, const std::string& fallback) {
    auto it = given.find(flag);
    return it == given.end() ? fallback : it->second;
  };

  options.profile = value("--profile", "quick");
  if (options.profile != "quick" && options.profile != "full")
    throw UsageError(fmt::format("unknown profile '{}' (known: quick, full)", options.profile));
  options.pinning = parse_pinning(value("--pin", "auto"));
  parse_axes(given, options);
  parse_segment_values(given, options);
  std::string default_waits = profile_waits(options.profile);
  std::vector<WaitStrategy> waits;
  for (const auto& item : split_list(value("--waits", default_waits), "--waits"))
    waits.push_back(parse_wait(item));
  options.waits = once_each(waits, "--waits", wait_name, options.notes);
  if (given.count("--timeout")) options.timeout = parse_timeout(given["--timeout"]);
  if (auto it = given.find("--inject"); it != given.end()) parse_injection(it->second, options);
  return options;
}

}  // namespace ipcmeter
