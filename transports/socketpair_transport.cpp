// "socketpair": a duplex AF_UNIX SOCK_STREAM socketpair with length-prefixed messages; this
// is the mechanism behind multiprocessing.Pipe(duplex=True) on Unix.
#include <sys/socket.h>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/framed_stream.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

Link create_socketpair(const TransportOptions& options) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw SystemError("socketpair", "socketpair");
  std::vector<Fd> owned;
  owned.emplace_back(fds[0]);
  owned.emplace_back(fds[1]);
  std::string address = format_address(
      "socketpair", {{"a", std::to_string(fds[0])},
                     {"b", std::to_string(fds[1])},
                     {"wait", wait_name(options.wait)}});
  return Link(address, std::move(owned), {fds[1]});
}

std::unique_ptr<Endpoint> open_socketpair(const std::string& text, Side side, Liveness) {
  Address address = Address::parse(text);
  int fd = parse_fd(address.field(side == Side::a ? "a" : "b"), text);
  return make_framed_stream_endpoint(duplicate(fd, text), Fd(), /*is_socket=*/true,
                                     address.wait(), text);
}

Transport socketpair_transport() {
  Transport transport{"socketpair", "pipe",
                      "AF_UNIX stream socketpair, duplex (Python's Pipe())", true,
                      create_socketpair, open_socketpair};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  return transport;
}

const Registry<Transport>::Add registered{socketpair_transport};

}  // namespace
}  // namespace ipcmeter
