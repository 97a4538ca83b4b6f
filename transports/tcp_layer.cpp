// Listening on a port bound before it is told, connecting within a deadline, presenting the
// run's token: see tcp_layer.hpp (accepting is token_gate.cpp).
#include "transports/tcp_layer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for a non-blocking connect under way to finish, until `deadline`: a signal (EINTR)
// only shortens one poll, never the whole wait.
void await_connected(int fd, Clock::time_point deadline, const std::string& name) {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw SystemError("connect", name, ETIMEDOUT);
    pollfd entry{fd, POLLOUT, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(std::min<long>(left.count(), INT_MAX)));
    if (ready < 0) {
      if (errno != EINTR) throw SystemError("poll", name);
      throw_if_interrupted("connect");
      continue;
    }
    if (ready == 0) continue;  // the deadline, checked above
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
      throw SystemError("getsockopt(SO_ERROR)", name);
    if (error != 0) throw SystemError("connect", name, error);
    return;
  }
}

void set_blocking(int fd, const std::string& name) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw SystemError("fcntl(F_SETFL)", name);
}

// The first bytes of every connection are the run's token: the accepting side takes no
// connection without it (token_gate.hpp).
void present_token(int fd, const std::string& name) {
  std::string token = run_token();
  iovec part{token.data(), token.size()};
  write_all(fd, &part, 1, /*is_socket=*/true, WaitStrategy::block, name);
}

}  // namespace

sockaddr_in ipv4_endpoint(const std::string& host, int port, const std::string& name,
                          bool port_may_be_zero) {
  if (port < (port_may_be_zero ? 0 : 1) || port > 65535)
    throw UsageError(fmt::format("{}: bad port {}", name, port));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    throw UsageError(fmt::format("{}: bad host '{}' (expected an IPv4 address)", name, host));
  return address;
}

TcpListener listen_on_free_port(const std::string& host, int backlog, const std::string& name) {
  // Port 0: the kernel picks a free one, which getsockname then reads back.
  sockaddr_in address = ipv4_endpoint(host, 0, name, /*port_may_be_zero=*/true);
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) throw SystemError("socket", name);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw SystemError("bind", fmt::format("{} {}:0", name, host));
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw SystemError("getsockname", name + " listener");
  if (::listen(listener.get(), backlog) != 0) throw SystemError("listen", name + " listener");
  return {std::move(listener), ntohs(address.sin_port)};
}

void set_no_delay(int fd, const std::string& name) {
  int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    throw SystemError("setsockopt(TCP_NODELAY)", name);
}

Fd connect_presenting_token(const std::string& host, int port, std::chrono::milliseconds deadline,
                            const std::string& name) {
  sockaddr_in peer = ipv4_endpoint(host, port, name);
  const auto until = Clock::now() + deadline;
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) throw SystemError("socket", name);
  // Non-blocking, the connect returns at once (EINPROGRESS unless it is done); EINTR would
  // leave it under way too, and a second connect would fail with EALREADY.
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) throw SystemError("connect", name);
    await_connected(fd.get(), until, name);
  }
  set_blocking(fd.get(), name);
  set_no_delay(fd.get(), name);
  present_token(fd.get(), name);
  return fd;
}

}  // namespace ipcmeter
