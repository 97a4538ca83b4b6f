// The record of lost ranks and the leader's watcher of the rank links.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>

#include "harness/ranks/session_state.hpp"
#include "transports/errors.hpp"

namespace ipcmeter::rank_session {

Losses& losses() {
  static Losses record;
  return record;
}

std::string Losses::mark(int rank, const std::string& what) {
  std::lock_guard lock(mutex_);
  auto [entry, first] = lost_.try_emplace(rank, who(rank) + " " + what);
  if (first) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, entry->second.c_str());
    std::fflush(stderr);
  }
  return entry->second;
}

std::string Losses::of(int rank) const {
  std::lock_guard lock(mutex_);
  auto found = lost_.find(rank);
  return found == lost_.end() ? std::string() : found->second;
}

bool Losses::any() const {
  std::lock_guard lock(mutex_);
  return !lost_.empty();
}

void Losses::watch(const std::vector<Fd>& links) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2", "rank watcher");
  stop_read_ = Fd(fds[0]);
  stop_write_ = Fd(fds[1]);
  // Hang-ups only (POLLRDHUP: all a closed TCP peer shows), never the wake-up bytes.
  std::vector<pollfd> entries;
  for (std::size_t r = 1; r < links.size(); ++r) entries.push_back({links[r].get(), POLLRDHUP, 0});
  entries.push_back({stop_read_.get(), POLLIN, 0});
  watcher_ =
      std::thread([this, entries = std::move(entries)]() mutable { run(std::move(entries)); });
}

void Losses::run(std::vector<pollfd> entries) {
  for (;;) {
    int ready = ::poll(entries.data(), entries.size(), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || entries.back().revents != 0) return;
    for (std::size_t i = 0; i + 1 < entries.size(); ++i) {
      if ((entries[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) continue;
      mark(static_cast<int>(i) + 1, kWentAway);
      entries[i].fd = -1;  // that rank is done with; the others are still watched
    }
  }
}

void Losses::stop() {
  if (!watcher_.joinable()) return;
  char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_write_.get(), &byte, 1);
  watcher_.join();
}

}  // namespace ipcmeter::rank_session
