// Liveness: a hang-up on any watched fd means the other side is gone.
#include "transports/liveness.hpp"

#include <poll.h>

#include <cerrno>

#include "transports/errors.hpp"

namespace ipcmeter {

Liveness::Liveness(std::span<const int> fds) {
  for (int fd : fds) fds_.push_back(duplicate(fd, "liveness fd"));
}

bool Liveness::gone() const {
  if (fds_.empty()) return false;
  // Only hang-ups and errors are asked for, never data, so a control message waiting on the
  // same socket does not read as an end. POLLRDHUP: a TCP control channel (a peer on another
  // host) whose other end closed shows only that, not POLLHUP.
  pollfd entries[8];
  std::size_t done = 0;
  while (done < fds_.size()) {
    std::size_t n = std::min(fds_.size() - done, std::size(entries));
    for (std::size_t i = 0; i < n; ++i) entries[i] = {fds_[done + i].get(), POLLRDHUP, 0};
    int ready = ::poll(entries, n, 0);
    if (ready < 0 && errno != EINTR) throw SystemError("poll", "liveness fds");
    for (std::size_t i = 0; ready > 0 && i < n; ++i)
      if (hung_up(entries[i])) return true;
    done += n;
  }
  return false;
}

void Liveness::add_to(std::vector<pollfd>& entries) const {
  for (const Fd& fd : fds_) entries.push_back({fd.get(), POLLRDHUP, 0});
}

}  // namespace ipcmeter
