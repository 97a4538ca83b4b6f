// The placement axis: where the peer side runs (a thread, a forked process, or a freshly
// spawned process), how it is stopped, and how its end is reported. Knows no transport.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/peer.hpp"
#include "transports/transport.hpp"

namespace ipcmeter {

class RunningPeer {
 public:
  virtual ~RunningPeer() = default;  // a placement's destructor always reaps or joins
  // Forces the peer to stop: SIGKILL for a process, the interrupt signal for a thread.
  // Called from the watchdog thread, possibly repeatedly; must be async-safe and idempotent.
  virtual void stop() noexcept = 0;
  // Waits for the peer to end, stopping it if it has not after the grace period. Returns
  // the peer's exit code, or -N if a signal N killed it.
  virtual int wait(std::chrono::milliseconds grace) = 0;
};

struct PeerLaunch {
  PeerSpec spec;
  Fd control;              // the peer's end of the control channel
  std::vector<int> harness_fds;  // control fds a forked child must close (not its own end)
  const Link* link;
};

struct Placement {
  std::string name;
  bool separate_process;
  std::unique_ptr<RunningPeer> (*start)(PeerLaunch launch);
};

const std::vector<Placement>& all_placements();
const Placement& find_placement(const std::string& name);

std::unique_ptr<RunningPeer> start_thread_peer(PeerLaunch launch);
std::unique_ptr<RunningPeer> start_fork_peer(PeerLaunch launch);
std::unique_ptr<RunningPeer> start_spawn_peer(PeerLaunch launch);

// How a process peer ended, for error messages: "exited with status 3", "killed by SIGKILL".
std::string describe_peer_end(int code);

}  // namespace ipcmeter
