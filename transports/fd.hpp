// An owned file descriptor and the whole-buffer I/O loops every fd-based transport needs.
#pragma once

#include <poll.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "transports/wait.hpp"

namespace ipcmeter {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset() noexcept;  // close, ignoring errors: a destructor must not throw
  void close(const std::string& name);  // close, throwing on error

 private:
  int fd_ = -1;
};

// A close-on-exec duplicate: each endpoint owns its own copy, so closing a Link's originals
// never pulls an fd from under an endpoint that is still in use.
Fd duplicate(int fd, const std::string& name);

// The I/O loops below wait as the strategy says: block in the kernel, or (on an O_NONBLOCK
// fd) poll again on EAGAIN, for ever (spin) or for a bounded time before poll(2) (hybrid).
void set_nonblocking(int fd, const std::string& name);

// Writes every byte of the iovecs, handling partial writes and EINTR. Uses send/sendmsg with
// MSG_NOSIGNAL on sockets so a dead peer gives PeerClosed, not SIGPIPE.
void write_all(int fd, iovec* iov, int iovcnt, bool is_socket, WaitStrategy wait,
               const std::string& name);

// Reads up to buffer.size() bytes, at least one; throws PeerClosed at end of stream.
std::size_t read_some(int fd, std::span<std::byte> buffer, WaitStrategy wait,
                      const std::string& name);

// Reads exactly buffer.size() bytes; throws PeerClosed if the stream ends first.
void read_exact(int fd, std::span<std::byte> buffer, WaitStrategy wait, const std::string& name);

// After EAGAIN: returns when the caller should try again (spinning or after poll(2) says
// the fd is ready). Throws Interrupted if the watchdog asked.
void await_fd(int fd, short events, SpinBudget& budget, const char* call, const std::string& name);

// Waits up to `timeout` (spinning, blocking or both, as `wait` says) for any of the fds to
// have its events, a hang-up or an error: the body of a fd-based Endpoint::poll.
bool wait_for_fds(std::span<pollfd> fds, WaitStrategy wait, std::chrono::nanoseconds timeout,
                  const std::string& name);
inline bool wait_for_fd(int fd, short events, WaitStrategy wait, std::chrono::nanoseconds timeout,
                        const std::string& name) {
  pollfd entry{fd, events, 0};
  return wait_for_fds({&entry, 1}, wait, timeout, name);
}

// Parses a decimal fd number from an address field.
int parse_fd(const std::string& text, const std::string& address);

}  // namespace ipcmeter
