// The placement registry.
#include <fmt/core.h>
#include <string.h>

#include "harness/placement.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

const std::vector<Placement>& all_placements() {
  static const std::vector<Placement> placements = {
      {"thread", false, start_thread_peer},
      {"fork", true, start_fork_peer},
      {"spawn", true, start_spawn_peer},
  };
  return placements;
}

const Placement& find_placement(const std::string& name) {
  for (const auto& placement : all_placements())
    if (placement.name == name) return placement;
  throw UsageError(fmt::format("unknown placement '{}' (known: thread, fork, spawn)", name));
}

std::string describe_peer_end(int code) {
  if (code >= 0) {
    switch (code) {
      case kPeerDone: return "peer finished";
      case kPeerFailed: return "peer failed";
      case kPeerOrphaned: return "peer saw the harness go away";
      default:
        return fmt::format("peer exited with status {} without reporting", code);
    }
  }
  const char* name = ::sigabbrev_np(-code);
  return fmt::format("peer killed by signal {} (SIG{})", -code, name ? name : "?");
}

}  // namespace ipcmeter
