// The listening side of a TCP link that takes only connections presenting the run's token
// (run_token.hpp). Every accepted connection is read side by side with the listener, so one
// that sends nothing, too little or something else holds up nobody: it is dropped at its
// first kRunTokenSize bytes if they are not the token, or kTokenDeadline after it was
// accepted, and the gate goes on accepting until a connection presents the token. The
// accepting part of the TCP layer (tcp_layer.hpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "transports/fd.hpp"
#include "transports/liveness.hpp"

namespace ipcmeter {

class TokenGate {
 public:
  // `listener` is a listening socket (made non-blocking here); `peers` says when the peers
  // that should connect are gone; `name` is the link's address, for errors.
  TokenGate(int listener, const Liveness& peers, std::string name);

  // The next connection that presented the token, the token read and nothing after it;
  // blocking, with TCP_NODELAY. PeerClosed once a peer's liveness hangs up first;
  // Interrupted when the watchdog asks.
  Fd next();
  // As next(), but nullopt at `deadline`, or as soon as `wake` (when not -1) is readable or
  // hangs up: a caller that also waits for word from elsewhere (an MPI rank's reply).
  std::optional<Fd> next_until(std::chrono::steady_clock::time_point deadline, int wake = -1);

  // Connections dropped so far (no token in time, or a wrong one).
  int dropped() const { return dropped_; }

 private:
  struct Pending {
    Fd connection;
    std::string got;  // what it has sent of its token so far
    std::chrono::steady_clock::time_point deadline;
  };
  // A pending connection that has presented the token, if any; drops those that sent a
  // wrong one.
  std::optional<Fd> admit();
  // Reads what `pending` has sent; true once it has sent a whole token (right or not).
  bool read_token(Pending& pending);
  void drop_expired();
  // Waits for a connection to accept, bytes from a pending one or the first deadline
  // (a pending one's or `deadline`); false when `wake` is ready instead.
  bool wait(std::chrono::steady_clock::time_point deadline, int wake);
  // Accepts every connection waiting in the backlog.
  void accept_waiting();

  int listener_;
  const Liveness& peers_;
  std::string name_;
  std::vector<Pending> pending_;
  int dropped_ = 0;
};

}  // namespace ipcmeter
