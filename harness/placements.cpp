// The placement registry.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string.h>

#include "harness/placement.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

const std::vector<Placement>& all_placements() {
  static const std::vector<Placement> placements = [] {
    std::vector<Placement> list = {
        {"thread", "each peer a thread of the suite's process", false, start_thread_peer},
        {"fork", "each peer a fork(2) of the suite's process (Python's fork start method)", true,
         start_fork_peer},
        {"spawn", "each peer the suite's own binary started afresh by posix_spawn (Python's spawn method)", true,
         start_spawn_peer},
        {"inline", "no peer: the leader's part does the whole workload (transport none)", false,
         nullptr, nullptr, /*peerless=*/true},
    };
    // The one optional placement, built only with MPI (CMake picks the file that defines it).
    if (const Placement* rank = rank_placement()) list.push_back(*rank);
    return list;
  }();
  return placements;
}

const Placement* find_placement_or_null(const std::string& name) {
  for (const auto& placement : all_placements())
    if (placement.name == name) return &placement;
  return nullptr;
}

const Placement& find_placement(const std::string& name) {
  if (const Placement* placement = find_placement_or_null(name)) return *placement;
  std::vector<std::string> known;
  for (const auto& placement : all_placements()) known.push_back(placement.name);
  throw UsageError(fmt::format("unknown placement '{}' (known: {})", name, fmt::join(known, ", ")));
}

std::vector<std::string> available_placement_names() {
  std::vector<std::string> names;
  for (const auto& placement : all_placements())
    if (!placement.remote || placement.remote->unavailable().empty()) names.push_back(placement.name);
  return names;
}

std::string RunningPeer::describe_end(int code) const { return describe_peer_end(code); }

std::string describe_peer_end(int code) {
  if (code >= 0) {
    switch (code) {
      case kPeerDone: return "peer finished";
      case kPeerFailed: return "peer failed";
      case kPeerOrphaned: return "peer saw the harness go away";
      case kPeerLost: return "peer's rank never said how its run ended (hung, or its host unreachable)";
      default: return fmt::format("peer exited with status {} without reporting", code);
    }
  }
  const char* name = ::sigabbrev_np(-code);
  return fmt::format("peer killed by signal {} (SIG{})", -code, name ? name : "?");
}

}  // namespace ipcmeter
