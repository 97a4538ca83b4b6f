// The control channel between the harness and a peer: ready, warm, go, done or failed, release. It is a
// separate socketpair, so transports stay pure, and its hang-up is the peer's liveness: a
// peer that ends (exits, is killed, or its thread returns) closes its end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "harness/counters.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {

// ready, warm, go, done (or failed), release: a peer says ready once it has opened the
// medium; the leader says warm once its own set-up is done, and the peer answers warm once
// its warm-up traffic is through (warm_up.hpp); after reporting the peer stays
// until it is let go, so a transport that drops unsent data on close loses nothing the
// leader still reads.
enum class ControlKind : std::uint32_t { ready = 1, go = 2, done = 3, failed = 4, release = 5, warm = 6 };

struct ControlMessage {
  ControlKind kind = ControlKind::ready;
  std::uint64_t cpu_ns = 0;      // done: the peer's CPU time over the measured section
  std::uint64_t completed = 0;   // done: iterations the peer completed (and verified, if it reads)
  Counters counters;             // done: the peer's own figures (at most kMaxControlCounters)
  std::string text;              // failed: the peer's one-line error
  // failed: the error was only the other side going away (the leader's own failure, seen
  // from the peer), so the leader's reason is the one to report.
  bool because_other_side_closed = false;
};

constexpr std::size_t kMaxControlCounters = 8;

class ControlChannel {
 public:
  explicit ControlChannel(Fd fd) : fd_(std::move(fd)) {}

  void send(const ControlMessage& message);
  // Blocks (the watchdog can interrupt); nullopt when the other side has gone.
  std::optional<ControlMessage> receive();
  // Does not block: a message already waiting, if any.
  std::optional<ControlMessage> poll();
  // Closes this end: the other side's receive() returns nullopt and its liveness hangs up.
  void close() noexcept { fd_.reset(); }
  int fd() const { return fd_.get(); }

 private:
  std::optional<ControlMessage> receive_with(int flags);
  Fd fd_;
};

// A SOCK_SEQPACKET socketpair: first end for the harness, second for the peer.
std::pair<Fd, Fd> make_control_pair();

}  // namespace ipcmeter
