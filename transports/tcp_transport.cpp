// "tcp": a plain TCP connection with the stream transports' framing, TCP_NODELAY on both
// ends (a small message goes at once, not after Nagle's wait for an ACK). The creator binds
// and listens at create() time, so the peer's connect succeeds whichever side starts first:
// on 127.0.0.1, or on the address the placement gives when the peer may be on another host
// (an MPI rank), never on every interface. Side a accepts (one connection per producer for
// fan-in), side b connects by host and port. The baseline every user compares the other
// transports against, and the one that can cross hosts. Not authenticated beyond the run's
// token, which every connection presents first: side a drops one that does not within
// kTokenDeadline and goes on accepting (token_gate.hpp).
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
#include "transports/tcp_listener.hpp"
#include "transports/token_gate.hpp"

namespace ipcmeter {
namespace {

void set_no_delay(int fd, const std::string& name) {
  int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    throw SystemError("setsockopt(TCP_NODELAY)", name);
}

Link create_listener(const TransportOptions& options) {
  const std::string host = options.host.empty() ? "127.0.0.1" : options.host;
  // The backlog holds every producer's connection until side a accepts them.
  TcpListener listener = listen_on_free_port(host, std::max(options.senders, 4), "tcp");
  std::string text = format_address("tcp", {{"host", host},
                                            {"port", std::to_string(listener.port)},
                                            {"listen-fd", std::to_string(listener.fd.get())},
                                            {"wait", wait_name(options.wait)},
                                            {"senders", std::to_string(options.senders)}});
  std::vector<Fd> fds;
  fds.push_back(std::move(listener.fd));
  // The peer connects by host and port, so it inherits nothing.
  return Link(text, std::move(fds), {});
}

// The first bytes of every connection are the run's token (run_token.hpp): side a takes no
// connection without it (token_gate.hpp).
void present_token(int fd, const std::string& name) {
  std::string token = run_token();
  iovec part{token.data(), token.size()};
  write_all(fd, &part, 1, /*is_socket=*/true, WaitStrategy::block, name);
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

// Side a waits for its peers' connections only while they live: `peers` hangs up when they end.
std::unique_ptr<Endpoint> open_tcp(const std::string& text, Side side, Liveness peers) {
  Address address = Address::parse(text);
  std::size_t senders = address.fields.count("senders") ? address.number("senders") : 1;
  if (side == Side::b)
    return make_framed_stream_endpoint(connect_to(address), Fd(), /*is_socket=*/true,
                                       address.wait(), text);
  TokenGate gate(parse_fd(address.field("listen-fd"), text), peers, text);
  auto admit = [&] {
    Fd connection = gate.next();
    set_no_delay(connection.get(), text);
    return connection;
  };
  if (senders == 1)
    return make_framed_stream_endpoint(admit(), Fd(), /*is_socket=*/true, address.wait(), text);
  // Fan-in: one connection per producer, accepted here, read as they are ready.
  std::vector<Fd> connections;
  for (std::size_t i = 0; i < senders; ++i) connections.push_back(admit());
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

// A socket's end-of-file tells each side of the other's end; liveness only ends side a's
// wait for a connection from a peer that died before it connected.
const Registry<Transport>::Add registered{tcp_transport};

}  // namespace
}  // namespace ipcmeter
