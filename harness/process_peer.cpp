// Waiting for a child with a deadline: pidfd + poll, then SIGKILL, then waitpid.
#include "harness/process_peer.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "harness/process_guard.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {
namespace {

// The child's fd, readable once it has exited. Until reaped, the pid cannot be reused,
// so a kill() by pid is always aimed at our own child.
Fd open_pidfd(pid_t pid) {
  return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessPeer::ProcessPeer(pid_t pid) : pid_(pid) { register_child(pid); }

ProcessPeer::~ProcessPeer() {
  if (!reaped_) {
    stop();
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    unregister_child(pid_);
  }
}

void ProcessPeer::stop() noexcept {
  if (!reaped_) ::kill(pid_, SIGKILL);
}

int ProcessPeer::wait(std::chrono::milliseconds grace) {
  if (reaped_) return code_;
  Fd pidfd = open_pidfd(pid_);
  if (pidfd.valid()) {
    pollfd entry{pidfd.get(), POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&entry, 1, static_cast<int>(grace.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) stop();
  }
  // Without a pidfd (old kernels) the child has still been told to finish; waitpid blocks.
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, 0);
  } while (result < 0 && errno == EINTR);
  if (result < 0) throw SystemError("waitpid", "peer " + std::to_string(pid_));
  reaped_ = true;
  unregister_child(pid_);
  code_ = decode(status);
  return code_;
}

}  // namespace ipcmeter
