// Accepting, reading tokens side by side, dropping: see token_gate.hpp.
#include "transports/token_gate.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/run_token.hpp"
#include "transports/tcp_layer.hpp"

namespace ipcmeter {
namespace {

using Clock = std::chrono::steady_clock;

// Connections held while they have not yet sent a token: past this, the oldest is dropped
// (a peer sends its token with its first write, so a real one never waits here long).
constexpr std::size_t kMaxPending = 64;

}  // namespace

TokenGate::TokenGate(int listener, const Liveness& peers, std::string name)
    : listener_(listener), peers_(peers), name_(std::move(name)) {
  // Only this side accepts on it (a forked peer holds a copy it never uses), and a connection
  // reset between poll and accept must not block the accept.
  set_nonblocking(listener_, name_);
}

Fd TokenGate::next() { return std::move(*next_until(Clock::time_point::max())); }

std::optional<Fd> TokenGate::next_until(Clock::time_point deadline, int wake) {
  for (;;) {
    if (std::optional<Fd> admitted = admit()) {
      set_no_delay(admitted->get(), name_);
      return admitted;
    }
    drop_expired();
    if (Clock::now() >= deadline || !wait(deadline, wake)) return std::nullopt;
    accept_waiting();
  }
}

std::optional<Fd> TokenGate::admit() {
  for (std::size_t i = 0; i < pending_.size();) {
    if (!read_token(pending_[i])) {
      ++i;
      continue;
    }
    Pending done = std::move(pending_[i]);
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    if (is_run_token(done.got)) return std::move(done.connection);
    ++dropped_;
  }
  return std::nullopt;
}

void TokenGate::accept_waiting() {
  for (;;) {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == ECONNABORTED || errno == EINTR) continue;  // that one is gone; the rest wait
      throw SystemError("accept", name_);
    }
    if (pending_.size() == kMaxPending) {
      pending_.erase(pending_.begin());
      ++dropped_;
    }
    pending_.push_back({Fd(fd), {}, Clock::now() + kTokenDeadline});
  }
}

bool TokenGate::read_token(Pending& pending) {
  while (pending.got.size() < kRunTokenSize) {
    char bytes[kRunTokenSize];
    // Never more than the token: what follows it is the link's first message.
    ssize_t n =
        ::recv(pending.connection.get(), bytes, kRunTokenSize - pending.got.size(), MSG_DONTWAIT);
    if (n > 0) {
      pending.got.append(bytes, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    // An end (or a reset) before a whole token: nothing to wait for any more.
    pending.deadline = Clock::time_point::min();
    return false;
  }
  return true;
}

void TokenGate::drop_expired() {
  auto now = Clock::now();
  auto expired = [&](const Pending& pending) { return pending.deadline <= now; };
  dropped_ += static_cast<int>(std::count_if(pending_.begin(), pending_.end(), expired));
  std::erase_if(pending_, expired);
}

bool TokenGate::wait(Clock::time_point deadline, int wake) {
  std::vector<pollfd> entries = {{listener_, POLLIN, 0}};
  for (const auto& pending : pending_) entries.push_back({pending.connection.get(), POLLIN, 0});
  const std::size_t first_liveness = entries.size();
  peers_.add_to(entries);
  if (wake >= 0) entries.push_back({wake, POLLIN | POLLRDHUP, 0});
  for (const auto& pending : pending_) deadline = std::min(deadline, pending.deadline);
  int timeout = -1;
  if (deadline != Clock::time_point::max()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    timeout = static_cast<int>(std::clamp<long>(left.count(), 0, INT_MAX));
  }
  if (::poll(entries.data(), entries.size(), timeout) < 0) {
    if (errno != EINTR) throw SystemError("poll", name_);
    throw_if_interrupted("accept");
    return true;
  }
  const std::size_t end_of_liveness = entries.size() - (wake >= 0 ? 1 : 0);
  for (std::size_t i = first_liveness; i < end_of_liveness; ++i)
    if (Liveness::hung_up(entries[i]))
      throw PeerClosed(fmt::format("peer gone before it connected to {}", name_));
  return wake < 0 || entries.back().revents == 0;
}

}  // namespace ipcmeter
