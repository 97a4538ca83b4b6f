// The peer side of a run: what a thread, a forked child or a spawned process executes.
// All three run this same code; only how they got here differs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/control.hpp"
#include "harness/run.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {

struct PeerSpec {
  RunSpec run;                     // the whole run's spec, checked by the peer as by the leader
  std::string address;             // what this peer opens
  std::uint64_t count = 0;         // this peer's share of the iterations
  int peer_index = 0;              // which of the run's peers this is
  int cpu = -1;                    // pin the peer to this CPU; -1 leaves it to the scheduler
  bool own_process = false;        // CPU time of the process (else of the thread)
  int control_fd = -1;             // spawn: the inherited control fd
  int parent_pid = 0;              // spawn: exit at once if the parent is already gone
  std::vector<int> inherited_fds;  // closed as soon as the medium is open
  // A rank's peer loop runs one peer after another in the rank's own process: a fault's
  // "exit" then leaves the run (as a thread's does), not the process. Not on the command line.
  bool keep_process = false;

  // The command line of a spawned peer (after the role flag), and back; from_args checks
  // every value as the leader's flags are checked.
  std::vector<std::string> to_args() const;
  static PeerSpec from_args(const std::vector<std::string>& args);
  // What a spawned peer checks before it opens anything: the leader's own validation of the
  // run, and that the spec asks for a process (a threads-only medium cannot be opened here).
  void validate_in_own_process() const;
};

// Exit codes of a peer: 0 done; 1 failed and said why on the control channel; 2 the
// harness went away first; 3 the injected "exit" fault.
constexpr int kPeerDone = 0;
constexpr int kPeerFailed = 1;
constexpr int kPeerOrphaned = 2;
constexpr int kPeerFaultExit = 3;
// A peer on another rank that did not report its end in time: the leader cannot reap it.
constexpr int kPeerLost = 4;

int run_peer(const PeerSpec& spec, Fd control);

// The flag that makes any ipcmeter binary act as a spawned peer.
constexpr const char* kPeerRoleFlag = "--ipcmeter-peer";
// Call first thing in main(): if argv asks for the peer role, runs it and exits.
void run_peer_if_requested(int argc, char** argv);

}  // namespace ipcmeter
