// Waiting for a child with a deadline: pidfd + poll, then SIGKILL, then waitpid.
#include "harness/process_peer.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "harness/process_guard.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {
namespace {

// The child's fd: readable once it has exited, and a kill handle that stays aimed at this
// child even after it is reaped and its pid reused.
Fd open_pidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) throw SystemError("pidfd_open", fmt::format("peer {}", pid));
  return Fd(fd);
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessPeer::ProcessPeer(pid_t pid) : pid_(pid) {
  register_child(pid);
  try {
    pidfd_ = open_pidfd(pid);
  } catch (...) {
    ::kill(pid, SIGKILL);
    unregister_child(pid);  // first: once reaped, its pid may be another process's
    ::waitpid(pid, nullptr, 0);
    throw;
  }
}

ProcessPeer::~ProcessPeer() {
  if (!reaped_) {
    stop();
    unregister_child(pid_);  // first: once reaped, its pid may be another process's
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void ProcessPeer::stop() noexcept {
  // May run in the watchdog's signal handler; a syscall on our own pidfd is safe there.
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
}

int ProcessPeer::wait(std::chrono::milliseconds grace) {
  if (reaped_) return code_;
  pollfd entry{pidfd_.get(), POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int ready = ::poll(&entry, 1, static_cast<int>(std::max<long>(left.count(), 0)));
    if (ready > 0) break;
    if (ready == 0) {
      stop();  // past the grace period: it will not finish by itself
      break;
    }
    if (errno != EINTR) throw SystemError("poll", fmt::format("peer {}", pid_));
  }
  // Out of the child table before it is reaped: from the reaping on, its pid may be given
  // to another process, which a signal handler killing the table's children must not hit.
  unregister_child(pid_);
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, 0);
  } while (result < 0 && errno == EINTR);
  if (result < 0) throw SystemError("waitpid", fmt::format("peer {}", pid_));
  reaped_ = true;
  code_ = decode(status);
  return code_;
}

}  // namespace ipcmeter
