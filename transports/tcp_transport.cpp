// "tcp": a plain TCP connection with the stream transports' framing, TCP_NODELAY on both
// ends (a small message goes at once, not after Nagle's wait for an ACK). The creator binds
// and listens at create() time, so the peer's connect succeeds whichever side starts first:
// on 127.0.0.1, or on the address the placement gives when the peer may be on another host
// (an MPI rank), never on every interface. Side a accepts (one connection per producer for
// fan-in), side b connects by host and port. The baseline every user compares the other
// transports against, and the one that can cross hosts. Not authenticated beyond the run's token,
// which every connection presents first (run_token.hpp).
#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <span>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/framed_stream.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

void set_no_delay(int fd, const std::string& name) {
  int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    throw SystemError("setsockopt(TCP_NODELAY)", name);
}

Link create_listener(const TransportOptions& options) {
  run_token();  // fixed now, in the creator: a peer forked later shares it
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) throw SystemError("socket", "tcp");
  const std::string host = options.host.empty() ? "127.0.0.1" : options.host;
  sockaddr_in address{};
  address.sin_family = AF_INET;  // port 0: the kernel picks a free one
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    throw UsageError("tcp: bad host '" + host + "' (expected an IPv4 address)");
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw SystemError("bind", "tcp " + host + ":0");
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw SystemError("getsockname", "tcp listener");
  // The backlog holds every producer's connection until side a accepts them.
  if (::listen(listener.get(), std::max(options.senders, 4)) != 0)
    throw SystemError("listen", "tcp listener");
  std::string text = format_address(
      "tcp", {{"host", host},
              {"port", std::to_string(ntohs(address.sin_port))},
              {"listen-fd", std::to_string(listener.get())},
              {"wait", wait_name(options.wait)},
              {"senders", std::to_string(options.senders)}});
  std::vector<Fd> fds;
  fds.push_back(std::move(listener));
  // The peer connects by host and port, so it inherits nothing.
  return Link(text, std::move(fds), {});
}

// The first bytes of every connection are the run's token (run_token.hpp): a connection
// from anything else fails the run rather than joining it.
void present_token(int fd, const std::string& name) {
  std::string token = run_token();
  iovec part{token.data(), token.size()};
  write_all(fd, &part, 1, /*is_socket=*/true, WaitStrategy::block, name);
}

void check_token(int fd, const std::string& name) {
  std::string token(kRunTokenSize, '\0');
  // A connection that ends before its token is a peer gone (PeerClosed), as for any read.
  read_exact(fd, std::as_writable_bytes(std::span(token)), WaitStrategy::block, name);
  if (token != run_token())
    throw std::runtime_error(fmt::format("{}: a connection did not present the run's token "
                                         "(another program connected to the run's port?): refused",
                                         name));
}

Fd accept_one(int listener, const std::string& name) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      Fd connection(fd);
      set_no_delay(connection.get(), name);
      check_token(connection.get(), name);
      return connection;
    }
    if (errno != EINTR) throw SystemError("accept", name);
    throw_if_interrupted("accept");
  }
}

Fd connect_to(const Address& address) {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  std::size_t port = address.number("port");
  if (port == 0 || port > 65535)
    throw UsageError(fmt::format("bad port in address '{}'", address.text));
  peer.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.field("host").c_str(), &peer.sin_addr) != 1)
    throw UsageError(
        fmt::format("bad host in address '{}' (expected an IPv4 address)", address.text));
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("socket", address.text);
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0) break;
    // EINTR leaves a TCP connect under way; a second connect would fail with EALREADY.
    if (errno != EINTR) throw SystemError("connect", address.text);
    throw_if_interrupted("connect");
    pollfd entry{fd.get(), POLLOUT, 0};
    if (::poll(&entry, 1, -1) < 0 && errno != EINTR) throw SystemError("poll", address.text);
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) throw SystemError("connect", address.text, error);
    break;
  }
  set_no_delay(fd.get(), address.text);
  present_token(fd.get(), address.text);
  return fd;
}

std::unique_ptr<Endpoint> open_tcp(const std::string& text, Side side, Liveness) {
  Address address = Address::parse(text);
  std::size_t senders = address.fields.count("senders") ? address.number("senders") : 1;
  if (side == Side::b)
    return make_framed_stream_endpoint(connect_to(address), Fd(), /*is_socket=*/true,
                                       address.wait(), text);
  int listener = parse_fd(address.field("listen-fd"), text);
  if (senders == 1)
    return make_framed_stream_endpoint(accept_one(listener, text), Fd(), /*is_socket=*/true,
                                       address.wait(), text);
  // Fan-in: one connection per producer, accepted here, read as they are ready.
  std::vector<Fd> connections;
  for (std::size_t i = 0; i < senders; ++i) connections.push_back(accept_one(listener, text));
  return make_fan_in_stream_endpoint(std::move(connections), address.wait(), text);
}

Transport tcp_transport() {
  Transport transport{"tcp", "tcp socket",
                      "TCP over 127.0.0.1 (between hosts, the leader's address), TCP_NODELAY, "
                      "length-prefixed (unauthenticated: the run's token checked)",
                      true, create_listener, open_tcp};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  transport.many_senders = true;
  transport.crosses_hosts = true;
  return transport;
}

// A socket's end-of-file tells each side of the other's end: no liveness fd needed.
const Registry<Transport>::Add registered{tcp_transport};

}  // namespace
}  // namespace ipcmeter
