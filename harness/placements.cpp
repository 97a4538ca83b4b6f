// The placement registry.
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
  throw UsageError("unknown placement '" + name + "' (known: thread, fork, spawn)");
}

std::string describe_peer_end(int code) {
  if (code >= 0) {
    switch (code) {
      case kPeerDone: return "peer finished";
      case kPeerFailed: return "peer failed";
      case kPeerOrphaned: return "peer saw the harness go away";
      default: return "peer exited with status " + std::to_string(code) + " without reporting";
    }
  }
  const char* name = ::sigabbrev_np(-code);
  return "peer killed by signal " + std::to_string(-code) + " (SIG" + (name ? name : "?") + ")";
}

}  // namespace ipcmeter
