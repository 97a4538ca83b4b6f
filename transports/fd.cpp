// Whole-buffer I/O loops: partial transfers and EINTR are handled once, here.
#include "transports/fd.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

void Fd::close(const std::string& name) {
  if (fd_ < 0) return;
  // Linux releases the descriptor even when close fails, so never retry it.
  if (::close(std::exchange(fd_, -1)) != 0 && errno != EINTR) throw SystemError("close", name);
}

Fd duplicate(int fd, const std::string& name) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw SystemError("dup", name);
  return Fd(copy);
}

namespace {
bool is_peer_gone(int error) { return error == EPIPE || error == ECONNRESET; }
}  // namespace

void set_nonblocking(int fd, const std::string& name) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    throw SystemError("fcntl(O_NONBLOCK)", name);
}

void await_fd(int fd, short events, SpinBudget& budget, const char* call,
              const std::string& name) {
  throw_if_interrupted(call);
  if (budget.keep_spinning()) {
    cpu_relax();
    return;
  }
  pollfd entry{fd, events, 0};
  if (::poll(&entry, 1, -1) < 0) {
    if (errno == EINTR) return throw_if_interrupted(call);
    throw SystemError("poll", name);
  }
}

void write_all(int fd, iovec* iov, int iovcnt, bool is_socket, WaitStrategy wait,
               const std::string& name) {
  SpinBudget budget(wait);
  while (iovcnt > 0) {
    ssize_t n;
    if (iovcnt == 1) {
      // The common small-message case: the plain calls skip the iovec walk.
      n = is_socket ? ::send(fd, iov->iov_base, iov->iov_len, MSG_NOSIGNAL)
                    : ::write(fd, iov->iov_base, iov->iov_len);
    } else if (is_socket) {
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<std::size_t>(iovcnt);
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    } else {
      n = ::writev(fd, iov, iovcnt);
    }
    if (n < 0) {
      if (errno == EINTR) {
        throw_if_interrupted("write");
        continue;
      }
      if (errno == EAGAIN) {
        await_fd(fd, POLLOUT, budget, "write", name);
        continue;
      }
      if (is_peer_gone(errno)) throw PeerClosed(fmt::format("peer closed {} while writing", name));
      throw SystemError(is_socket ? "send" : "write", name);
    }
    auto done = static_cast<std::size_t>(n);
    while (iovcnt > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + done;
      iov->iov_len -= done;
    }
  }
}

std::size_t read_some(int fd, std::span<std::byte> buffer, WaitStrategy wait,
                      const std::string& name) {
  SpinBudget budget(wait);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) throw PeerClosed(fmt::format("peer closed {}", name));
    if (errno == EINTR) {
      throw_if_interrupted("read");
      continue;
    }
    if (errno == EAGAIN) {
      await_fd(fd, POLLIN, budget, "read", name);
      continue;
    }
    if (errno == ECONNRESET) throw PeerClosed(fmt::format("peer reset {}", name));
    throw SystemError("read", name);
  }
}

void read_exact(int fd, std::span<std::byte> buffer, WaitStrategy wait, const std::string& name) {
  while (!buffer.empty()) buffer = buffer.subspan(read_some(fd, buffer, wait, name));
}

bool wait_for_fds(std::span<pollfd> fds, WaitStrategy wait, std::chrono::nanoseconds timeout,
                  const std::string& name) {
  auto ready_within = [&](std::chrono::nanoseconds left) {
    timespec limit{static_cast<time_t>(left.count() / 1'000'000'000),
                   static_cast<long>(left.count() % 1'000'000'000)};
    int ready = ::ppoll(fds.data(), fds.size(), &limit, nullptr);
    if (ready < 0 && errno != EINTR) throw SystemError("poll", name);
    if (ready < 0) throw_if_interrupted("poll");
    return ready > 0;
  };
  return poll_until(
      wait, timeout, [&] { return ready_within(std::chrono::nanoseconds::zero()); },
      [&](std::chrono::nanoseconds left) { ready_within(left); });
}

int parse_fd(const std::string& text, const std::string& address) {
  int fd = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (error != std::errc{} || end != text.data() + text.size() || fd < 0)
    throw UsageError(fmt::format("bad fd '{}' in address '{}'", text, address));
  return fd;
}

}  // namespace ipcmeter
