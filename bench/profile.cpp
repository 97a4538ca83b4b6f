// What the quick and full profiles measure (see profile.hpp). The quick profile keeps the
// main command within five minutes on this 2-core machine (build, suite, report); the full
// one sweeps every value.
#include "bench/profile.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace ipcmeter {
namespace {

struct Sweep {
  std::vector<std::uint64_t> quick;
  std::vector<std::uint64_t> full;
};

// The values each profile sweeps, by segment key, for every workload with that segment.
// size: quick 64 B (8 B measures what 64 B does), 64 KiB (the pipe buffer) and 1 MiB; full
// 8 B to 1 MiB with the steps between. producers: quick 4 (one is the stream).
const std::map<std::string, Sweep> kSweeps = {
    {"size", {{64, 65536, 1048576}, {8, 16, 64, 256, 512, 1024, 4096, 16384, 65536, 262144, 1048576}}},
    {"producers", {{4}, {1, 2, 4}}},
    {"clients", {{1, 4}, {1, 2, 4}}},
    {"workers", {{1, 2}, {1, 2}}},
};

// A workload's own values, by its name and the segment's key.
const std::map<std::pair<std::string, std::string>, Sweep> kWorkloadSweeps = {
    // Fan-in measures contention, not message size: two sizes, either side of PIPE_BUF.
    {{"fanin", "size"}, {{64, 65536}, {64, 65536}}},
    {{"paced", "size"}, {{64}, {64, 65536}}},
    // The open loop's offered rates, a decade apart, up to where most links cannot keep up
    // (1M messages/s is a message every microsecond), at a latency size and a bulk one.
    {{"rate", "rate"}, {{10'000, 100'000, 1'000'000}, {1'000, 10'000, 100'000, 1'000'000}}},
    {{"rate", "size"}, {{64, 65536}, {64, 65536}}},
    // 250: the documents' figure for inline; a fast kernel fits a few million in one frame.
    {{"election/ui", "batch"}, {{250, 1'000'000, 100'000'000}, {250, 10'000, 1'000'000, 10'000'000, 100'000'000}}},
    // The fanned-out UI at the documents' hardest case, 100M simulations per edit: quick with 2
    // workers (one is election/ui's Updater), full 1 to 4 and at 10M too.
    {{"election/ui-fanout", "batch"}, {{100'000'000}, {10'000'000, 100'000'000}}},
    {{"election/ui-fanout", "workers"}, {{2}, {1, 2, 4}}},
    // 100 per batch is 40,000 round trips per projection, seconds each where every one wakes
    // the other vCPU: the full profile only.
    {{"election/parallel", "batch"},
     {{1'000, 10'000, 100'000, 1'000'000}, {100, 1'000, 10'000, 100'000, 1'000'000}}},
};

// A queue's depths where they change what is measured (a producer can run ahead): 3 is the
// documents' own Queue(maxsize=3), 64 lets a burst through, 1024 is in practice never full.
// Quick sweeps them only where depth shows most plainly and costs least: a stream of small
// messages between threads and to a forked process; elsewhere each queue runs at its own.
const Sweep kDepths = {{3, 64}, {3, 64, 1024}};
const std::string kQuickDepthWorkload = "stream";
constexpr std::uint64_t kQuickDepthSize = 64;
const std::vector<std::string> kQuickDepthPlacements = {"thread", "fork"};

// Spinning doubles the matrix: quick spins only at a latency size (64 B) and the largest,
// enough to see where spinning stops paying. A spawned process moves messages as a forked
// one does (start-up is where they differ, and startup/ measures it): quick spawns peers
// only for the message workloads at 64 B, blocking.
const std::vector<std::uint64_t> kQuickSpinSizes = {64, 1048576};
const std::vector<std::uint64_t> kQuickSpawnSizes = {64};

// The media quick measures a workload over, when it names only some (others: every one).
const std::map<std::string, std::vector<std::string>> kQuickMedia = {
    // Inline (no link), the documents' Pipe (a socketpair) and the fastest link.
    {"election/ui", {"none", "socketpair", "shm-spsc"}},
    // The open loop: a pipe (the kernel's simplest), the shared-memory ring, ZeroMQ.
    {"rate", {"pipe", "shm-spsc", "zmq-ipc"}},
    // Queues several workers share: between threads, and in shared memory to processes.
    {"election/ui-fanout", {"queue-mutex", "queue-boost"}},
};

// Workloads quick measures between threads and to a forked process only, blocking only (the
// full profile: every placement and wait). The open loop sweeps its rate instead.
const std::vector<std::string> kQuickThreadAndFork = {"rate"};

// Workloads measured with blocking waits only: their peer waits for work that comes seldom,
// and spinning would take the core the leader's loop runs on.
const std::vector<std::string> kBlockingOnly = {"election/ui", "election/ui-fanout"};

// A workload whose iterations make a pattern (election/ui's edit cycle) runs whole patterns
// per sample, in this many samples (quick) and patterns (quick, full).
struct PatternSamples {
  int quick_repetitions;
  std::uint64_t quick_patterns;
  std::uint64_t full_patterns;
};
const PatternSamples kPatternSamples = {2, 1, 2};

// The queue managers (every put and get a round trip): quick measures the one Python uses
// (over a Unix socket) in stream only; full every one in stream, pingpong and fanin;
// blocking only.
const std::vector<std::string> kQuickManagers = {"queue-manager-unix-stream"};
const std::vector<std::string> kQuickManagerWorkloads = {"stream"};
const std::vector<std::string> kFullManagerWorkloads = {"stream", "pingpong", "fanin"};

// The quick profile's dictionaries: the plain-map baseline, the locked map, shared memory,
// and the manager over Python's own mechanism (a Unix socket), a pipe, ZeroMQ and the
// shared-memory ring. The full profile takes a manager over every transport.
const std::vector<std::string> kQuickDicts = {
    "dict-local", "dict-locked", "dict-shm", "dict-manager-unix-stream", "dict-manager-pipe",
    "dict-manager-zmq-ipc", "dict-manager-shm-spsc"};

bool contains(const auto& values, const auto& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::vector<std::string> names_of(const std::string& family, bool (*keep)(const MediumKind&)) {
  std::vector<std::string> names;
  for (const auto& kind : all_media())
    if (kind.family == family && keep(kind)) names.push_back(kind.name);
  return names;
}

}  // namespace

std::vector<std::string> profile_links(const std::string& profile) {
  if (profile == "full") return medium_names("link");
  return names_of("link", [](const MediumKind& kind) { return !kind.served || contains(kQuickManagers, kind.name); });
}

std::vector<std::string> profile_dicts(const std::string& profile) {
  return profile == "full" ? medium_names("dict") : kQuickDicts;
}

std::string profile_waits(const std::string& profile) {
  // Hybrid (spin 50 us, then block) lies between the two; the quick profile leaves it to full.
  return profile == "full" ? "block,spin,hybrid" : "block,spin";
}

// Every figure is a median of several samples, each taken at a random point of the run
// (random interleaving, main.cpp). Quick: 3 samples of 0.02 s (the sample floor's time:
// Google Benchmark aims at 1.4 times it); full: 5 samples of 0.5 s.
std::string profile_min_time(const std::string& profile) { return profile == "full" ? "0.5" : "0.02"; }
std::string profile_repetitions(const std::string& profile) { return profile == "full" ? "5" : "3"; }

std::string profile_depth_note() {
  return fmt::format(
      "over a queue that holds a count of messages (a depth: default above, lowered so that a "
      "queue holds at most {} MiB a direction), a name ends with .../depth:N: quick measures "
      "{} and {} for {} at {} B on thread and fork, full {}, {} and {} for stream and fanin, "
      "each queue its own default elsewhere (--depths sets them everywhere)",
      kDefaultQueueBytes >> 20, kDepths.quick[0], kDepths.quick[1], kQuickDepthWorkload,
      kQuickDepthSize, kDepths.full[0], kDepths.full[1], kDepths.full[2]);
}

bool Profile::measures(const Workload& work, const MediumKind& kind, const std::string& placement,
                       WaitStrategy wait) const {
  if (quick() && !options_.transports_named)
    if (auto media = kQuickMedia.find(work.name); media != kQuickMedia.end() && !contains(media->second, kind.name))
      return false;
  if (kind.served && !options_.transports_named) {
    const auto& workloads = quick() ? kQuickManagerWorkloads : kFullManagerWorkloads;
    if (wait != WaitStrategy::block || !contains(workloads, work.name)) return false;
  }
  if (quick() && contains(kQuickThreadAndFork, work.name) &&
      (wait != WaitStrategy::block || (placement != "thread" && placement != "fork" && !options_.placements_named)))
    return false;
  if (placement == "spawn" && quick() && !options_.placements_named) {
    bool messages = work.frame.count() == 0 &&
                    (work.warm_up == WarmUp::one_way || work.warm_up == WarmUp::round_trips);
    if (!messages || wait != WaitStrategy::block) return false;
  }
  if (wait == WaitStrategy::block) return true;
  // Several peers spinning would outnumber the 2 cores here; a paced loop sleeps between
  // frames in quick, as a UI loop does.
  if (!work.peers_key.empty() || contains(kBlockingOnly, work.name)) return false;
  return !(work.frame.count() > 0 && quick());
}

std::vector<std::uint64_t> Profile::values(const Workload& work, const Segment& segment,
                                           WaitStrategy wait, const std::string& placement) const {
  if (auto it = options_.segments.find(segment.key); it != options_.segments.end()) return it->second;
  const Sweep* sweep = nullptr;
  if (auto own = kWorkloadSweeps.find({work.name, segment.key}); own != kWorkloadSweeps.end())
    sweep = &own->second;
  else if (auto common = kSweeps.find(segment.key); common != kSweeps.end())
    sweep = &common->second;
  if (!sweep) return {segment.fallback};
  std::vector<std::uint64_t> values = quick() ? sweep->quick : sweep->full;
  // More workers than this machine has cores, in full: as many as it has.
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (segment.key == "workers" && !quick() && cores > 2)
    values.push_back(std::min<std::uint64_t>(cores, segment.max));
  if (segment.key == "size" && quick()) {
    if (wait != WaitStrategy::block)
      std::erase_if(values, [](std::uint64_t v) { return !contains(kQuickSpinSizes, v); });
    if (placement == "spawn" && !options_.placements_named)
      std::erase_if(values, [](std::uint64_t v) { return !contains(kQuickSpawnSizes, v); });
  }
  return values;
}

std::vector<std::uint64_t> Profile::sizes() const {
  if (auto it = options_.segments.find("size"); it != options_.segments.end()) return it->second;
  const Sweep& sweep = kSweeps.at("size");
  return quick() ? sweep.quick : sweep.full;
}

std::vector<std::uint64_t> Profile::depths(const Workload& work, const Segment& depth,
                                           const std::string& placement, const Params& params) const {
  if (work.queue_depth > 0) return {work.queue_depth};
  if (auto it = options_.segments.find(depth.key); it != options_.segments.end()) return it->second;
  auto size = params.find("size");
  std::vector<std::uint64_t> own = {depth.fallback};
  if (size != params.end() && size->second > 0) own = {own_depth(depth.fallback, size->second)};
  if (!work.fills_queues) return own;
  if (!quick()) return kDepths.full;
  bool swept = work.name == kQuickDepthWorkload && size != params.end() &&
               size->second == kQuickDepthSize && contains(kQuickDepthPlacements, placement);
  return swept ? kDepths.quick : own;
}

int Profile::repetitions(const Workload& work) const {
  return quick() && work.pattern_iterations > 0 ? kPatternSamples.quick_repetitions : 0;
}

std::uint64_t Profile::iterations(const Workload& work) const {
  return work.pattern_iterations *
         (quick() ? kPatternSamples.quick_patterns : kPatternSamples.full_patterns);
}

}  // namespace ipcmeter
