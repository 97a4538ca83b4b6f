// The placement axis: where the peer side runs (a thread, a forked process, or a freshly
// spawned process), how it is stopped, and how its end is reported. Knows no transport.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
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
  // How the peer ended, for the run's failure: describe_peer_end, unless the placement knows
  // better (a lost rank names itself and its host).
  virtual std::string describe_end(int code) const;
};

struct PeerLaunch {
  PeerSpec spec;
  Fd control;              // the peer's end of the control channel
  std::vector<int> harness_fds;  // control fds a forked child must close (not its own end)
  const Link* link;
};

// Where a placement's peers are when they may be on other hosts (the ranks of an mpirun):
// what the run needs to know to reach them. Only media that cross hosts run there.
struct RemotePeers {
  // Why no peer can be placed now (the suite was not started under mpirun), or empty.
  std::string (*unavailable)();
  // How many peers can be placed at once (the ranks besides the leader's).
  int (*capacity)();
  // "a,b,b": the leader's host, then each of `peers` peers' (the name's hosts: segment).
  std::string (*hosts)(int peers);
  // The IPv4 address the peers reach the leader at: network transports listen there.
  std::string (*leader_address)();
  // Peer i's control channel: the harness's end, connected to the peer wherever it is (its
  // hang-up is the peer's liveness, as a socketpair's is), and no local peer end.
  std::pair<Fd, Fd> (*make_control)(int peer);
};

struct Placement {
  std::string name;
  std::string summary;  // one line for --list
  bool separate_process;
  std::unique_ptr<RunningPeer> (*start)(PeerLaunch launch);
  // Set for a placement whose peers may be on other hosts; null for thread, fork, spawn.
  const RemotePeers* remote = nullptr;
  // "inline": no peer at all; the leader's part does the whole workload in its own thread
  // (the election UI computing in its frame), over transport "none".
  bool peerless = false;
};

const std::vector<Placement>& all_placements();
const Placement& find_placement(const std::string& name);
// The placement of that name, or nullptr: for describing a spec that may not be valid.
const Placement* find_placement_or_null(const std::string& name);
// Placements that can place peers now: all but a rank placement without mpirun.
std::vector<std::string> available_placement_names();

// "rank" (harness/rank_placement.cpp) when the build has MPI, else nullptr
// (harness/ranks_absent.cpp): peers on the other ranks of an mpirun.
const Placement* rank_placement();

std::unique_ptr<RunningPeer> start_thread_peer(PeerLaunch launch);
std::unique_ptr<RunningPeer> start_fork_peer(PeerLaunch launch);
std::unique_ptr<RunningPeer> start_spawn_peer(PeerLaunch launch);

// How a process peer ended, for error messages: "exited with status 3", "killed by SIGKILL".
std::string describe_peer_end(int code);

}  // namespace ipcmeter
