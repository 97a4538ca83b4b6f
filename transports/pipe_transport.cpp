// "pipe": two pipe(2)s, one per direction. Works for threads and for processes that inherit
// the fds (fork, or spawn with the fds kept open across exec).
#include <fcntl.h>
#include <fmt/core.h>
#include <limits.h>
#include <unistd.h>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/framed_stream.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

struct PipePair {
  Fd read;
  Fd write;
};

PipePair make_pipe() {
  int fds[2];
  // O_CLOEXEC: only the spawn placement decides which fds a child inherits.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2", "pipe");
  return {Fd(fds[0]), Fd(fds[1])};
}

Link create_pipe(const TransportOptions& options) {
  PipePair a_to_b = make_pipe();
  PipePair b_to_a = make_pipe();
  // Each side is named by the fds it reads and writes.
  std::string address =
      format_address("pipe", {{"a", join_fds({b_to_a.read.get(), a_to_b.write.get()})},
                              {"b", join_fds({a_to_b.read.get(), b_to_a.write.get()})},
                              {"wait", wait_name(options.wait)}});
  std::vector<int> peer_fds = {a_to_b.read.get(), b_to_a.write.get()};
  std::vector<Fd> fds;
  fds.push_back(std::move(a_to_b.read));
  fds.push_back(std::move(a_to_b.write));
  fds.push_back(std::move(b_to_a.read));
  fds.push_back(std::move(b_to_a.write));
  return Link(address, std::move(fds), std::move(peer_fds));
}

std::unique_ptr<Endpoint> open_pipe(const std::string& text, Side side, Liveness) {
  Address address = Address::parse(text);
  std::vector<int> fds = address.fds(side == Side::a ? "a" : "b");
  if (fds.size() != 2) throw UsageError(fmt::format("pipe address side needs 2 fds: {}", text));
  return make_framed_stream_endpoint(duplicate(fds[0], text), duplicate(fds[1], text),
                                     /*is_socket=*/false, address.wait(), text);
}

Transport pipe_transport() {
  Transport transport{"pipe", "pipe", "two pipe(2)s, length-prefixed messages", true,
                      create_pipe, open_pipe};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  // A framed message is one write of 4 + size bytes: atomic while that fits PIPE_BUF.
  transport.shared_write_limit = PIPE_BUF - 4;
  transport.shared_writers_hazard =
      "writers sharing one pipe end interleave writes above PIPE_BUF (4096 B), corrupting "
      "messages";
  return transport;
}

// A pipe's end-of-file tells each side of the other's end: no liveness fd needed.
const Registry<Transport>::Add registered{pipe_transport};

}  // namespace
}  // namespace ipcmeter
