// How an endpoint learns that the other side of its link is gone when the medium has no
// end-of-file of its own (shared memory, ZeroMQ, a message queue): fds that hang up when the
// other side ends. The harness hands over each run's control channels, so a run sees its
// own peers' ends and nobody else's: no process-wide flag, nothing for anyone to clear.
#pragma once

#include <poll.h>

#include <span>
#include <vector>

#include "transports/fd.hpp"

namespace ipcmeter {

class Liveness {
 public:
  Liveness() = default;  // watches nothing: the other side is never seen to go
  // Watches copies of these fds (the caller may close its own): "gone" once any of them
  // hangs up. The copies are close-on-exec.
  explicit Liveness(std::span<const int> fds);
  Liveness(Liveness&&) noexcept = default;
  Liveness& operator=(Liveness&&) noexcept = default;

  // True once a watched fd has hung up. A poll(2) with no wait: call it when there is nothing
  // to move (after a timed-out wait), never per message.
  bool gone() const;
  // For a wait on something else that must end too when the other side does (an accept):
  // adds the watched fds to a poll set, asking for hang-ups only; hung_up reads an answer.
  void add_to(std::vector<pollfd>& entries) const;
  static bool hung_up(const pollfd& entry) {
    return (entry.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0;
  }

 private:
  std::vector<Fd> fds_;
};

}  // namespace ipcmeter
