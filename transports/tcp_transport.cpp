// "tcp": a plain TCP connection with the stream transports' framing, TCP_NODELAY on both
// ends (a small message goes at once, not after Nagle's wait for an ACK). The creator binds
// and listens at create() time, so the peer's connect succeeds whichever side starts first:
// on 127.0.0.1, or on the address the placement gives when the peer may be on another host
// (an MPI rank), never on every interface. Side a accepts (one connection per producer for
// fan-in), side b connects by host and port, within kConnectDeadline. The baseline every
// user compares the other transports against, and the one that can cross hosts. Not
// authenticated beyond the run's token, which every connection presents first: side a drops
// one that does not within kTokenDeadline and goes on accepting. Listening, connecting and
// admitting are the TCP layer's (tcp_layer.hpp), as for the MPI ranks' own connections.
#include <algorithm>
#include <span>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/framed_stream.hpp"
#include "transports/registry.hpp"
#include "transports/tcp_layer.hpp"

namespace ipcmeter {
namespace {

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

Fd connect_to(const Address& address) {
  // Past 65535 is as bad a port as 0: the layer refuses both.
  int port = static_cast<int>(std::min<std::size_t>(address.number("port"), 65536));
  return connect_presenting_token(address.field("host"), port, kConnectDeadline, address.text);
}

// Side a waits for its peers' connections only while they live: `peers` hangs up when they end.
std::unique_ptr<Endpoint> open_tcp(const std::string& text, Side side, Liveness peers) {
  Address address = Address::parse(text);
  std::size_t senders = address.fields.count("senders") ? address.number("senders") : 1;
  if (side == Side::b)
    return make_framed_stream_endpoint(connect_to(address), Fd(), /*is_socket=*/true,
                                       address.wait(), text);
  TokenGate gate(parse_fd(address.field("listen-fd"), text), peers, text);
  if (senders == 1)
    return make_framed_stream_endpoint(gate.next(), Fd(), /*is_socket=*/true, address.wait(), text);
  // Fan-in: one connection per producer, accepted here, read as they are ready.
  std::vector<Fd> connections;
  for (std::size_t i = 0; i < senders; ++i) connections.push_back(gate.next());
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
