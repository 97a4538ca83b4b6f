// The peers of one run as the harness sees them: started by a placement, told when to go,
// heard from over their control channels, and always ended, whatever happened.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/control.hpp"
#include "harness/peer.hpp"
#include "harness/placement.hpp"

namespace ipcmeter {

class PeerGroup {
 public:
  // Makes every control channel first, so each forked child can close the others'.
  PeerGroup(const Placement& placement, int peers);
  PeerGroup(const PeerGroup&) = delete;
  PeerGroup& operator=(const PeerGroup&) = delete;
  ~PeerGroup();  // a peer still running is stopped and reaped

  int size() const { return static_cast<int>(slots_.size()); }
  // Starts peer i over `link`; a forked child also closes `close_in_child` (fds of links
  // meant for other peers, which would otherwise hide those peers' ends).
  void start(int i, PeerSpec spec, const Link& link, const std::vector<int>& close_in_child = {});
  // The harness's end of each peer's control channel: it hangs up when that peer ends, so it
  // is the peer's liveness for the run's links.
  const std::vector<int>& liveness_fds() const { return harness_fds_; }
  // Forces every started peer to stop. Async-signal-safe: the watchdog calls it.
  void stop_all() noexcept;
  // Waits for every peer's next control message and returns them; throws PeerClosed
  // (noting a peer's own error) unless each sent `expected`.
  std::vector<ControlMessage> expect_from_all(ControlKind expected);
  // Sends every peer a message of that kind with no content (warm, go).
  void send_to_all(ControlKind kind);
  void go();
  // Tear-down, after the leader finished or failed: picks up a failing peer's last word,
  // releases every peer and waits for its end. Returns why the run failed, or nullopt when
  // the leader had no error and every peer reported done. The reason ranks a timeout
  // first, then a side's own failure (a peer's before the leader's) over one that only saw
  // the other side go away, then how a peer ended.
  std::optional<std::string> end(const std::optional<std::string>& leader_error,
                                 bool leader_error_is_echo, bool timed_out,
                                 std::chrono::milliseconds timeout);

 private:
  struct Slot {
    explicit Slot(Fd harness_end) : control(std::move(harness_end)) {}
    ControlChannel control;
    std::unique_ptr<RunningPeer> peer;
    std::optional<std::string> error;  // what the peer said went wrong
    bool error_is_echo = false;        // ...only that the leader's side went away
    bool reported = false;             // sent "done"
    int end_code = kPeerDone;
  };

  const Placement& placement_;
  std::vector<Slot> slots_;
  std::vector<Fd> peer_ends_;
  std::vector<int> harness_fds_;
  bool ended_ = false;
};

}  // namespace ipcmeter
