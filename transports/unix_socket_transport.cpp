// Named AF_UNIX sockets. The creator binds and listens at create() time, so the client's
// connect() succeeds (the kernel queues it) whatever the order the two sides start in:
// no retry loop is needed. Side a accepts; side b connects by path alone.
#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/framed_stream.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

struct PrivateDirResource : Link::Resource {
  PrivateDir dir;
};

sockaddr_un socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    throw UsageError(fmt::format(
        "socket path too long ({} bytes, the limit is 107): {} -- set IPCMETER_TMPDIR shorter",
        path.size(), path));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

Link create_listener(const std::string& scheme, int type, WaitStrategy wait, int senders) {
  auto resource = std::make_unique<PrivateDirResource>();
  std::string path = resource->dir.file("socket");
  sockaddr_un address = socket_address(path);
  Fd listener(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!listener.valid()) throw SystemError("socket", path);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw SystemError("bind", path);
  // The backlog holds every producer's connection until side a accepts them.
  if (::listen(listener.get(), std::max(senders, 4)) != 0) throw SystemError("listen", path);
  std::string text =
      format_address(scheme, {{"path", path},
                              {"listen-fd", std::to_string(listener.get())},
                              {"wait", wait_name(wait)},
                              {"senders", std::to_string(senders)}});
  std::vector<Fd> fds;
  fds.push_back(std::move(listener));
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(resource));
  // The peer connects by path, so it inherits nothing.
  return Link(text, std::move(fds), {}, std::move(resources));
}

Fd accept_one(int listener, const std::string& name) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return Fd(fd);
    if (errno != EINTR) throw SystemError("accept", name);
    throw_if_interrupted("accept");
  }
}

Fd connect_to(const std::string& path, int type, const std::string& name) {
  sockaddr_un address = socket_address(path);
  Fd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("socket", name);
  // A Unix-socket connect either completes or fails; EINTR leaves it in progress, which
  // for AF_UNIX means it completes anyway, so it is simplest to treat it as a failure.
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw SystemError("connect", name);
  return fd;
}

Fd open_socket(const std::string& text, Side side, int type) {
  Address address = Address::parse(text);
  if (side == Side::a) return accept_one(parse_fd(address.field("listen-fd"), text), text);
  return connect_to(address.field("path"), type, text);
}

// SOCK_SEQPACKET keeps message boundaries, but one packet cannot exceed the socket's send
// buffer (about 208 KiB by default). Messages are cut into packets of at most kPacket
// bytes; the first carries the total length, so the receiver knows how many follow.
constexpr std::size_t kPacket = 64 * 1024;
using Length = std::uint32_t;

class SeqpacketEndpoint final : public Endpoint {
 public:
  SeqpacketEndpoint(Fd fd, WaitStrategy wait, std::string name)
      : fd_(std::move(fd)), wait_(wait), name_(std::move(name)) {
    if (wait_ != WaitStrategy::block) set_nonblocking(fd_.get(), name_);
  }

  void send(std::span<const std::byte> message) override {
    if (message.size() > UINT32_MAX)
      throw std::length_error(fmt::format("message over 4 GiB: {}", name_));
    auto length = static_cast<Length>(message.size());
    std::size_t first = std::min(message.size(), kPacket - sizeof length);
    iovec iov[2] = {{&length, sizeof length},
                    {const_cast<std::byte*>(message.data()), first}};
    send_packet(iov, first == 0 ? 1 : 2);
    for (std::size_t offset = first; offset < message.size(); offset += kPacket) {
      iovec chunk = {const_cast<std::byte*>(message.data()) + offset,
                     std::min(kPacket, message.size() - offset)};
      send_packet(&chunk, 1);
    }
  }

  std::size_t recv(std::span<std::byte> destination) override {
    Length length = 0;
    std::size_t first_capacity = std::min(destination.size(), kPacket - sizeof length);
    iovec iov[2] = {{&length, sizeof length}, {destination.data(), first_capacity}};
    bool truncated = false;
    std::size_t got = receive_packet(iov, 2, truncated);
    if (got < sizeof length)
      throw IntegrityError(fmt::format("{}: packet without a length", name_));
    if (length > destination.size())
      throw std::length_error(fmt::format("{}: message of {} bytes does not fit a {}-byte buffer",
                                          name_, length, destination.size()));
    std::size_t offset = got - sizeof length;
    while (offset < length && !truncated) {
      iovec chunk = {destination.data() + offset, std::min(kPacket, length - offset)};
      offset += receive_packet(&chunk, 1, truncated);
    }
    if (truncated)
      throw IntegrityError(fmt::format("{}: packet larger than its message (truncated)", name_));
    if (offset != length)
      throw IntegrityError(fmt::format("{}: packets overran the message length", name_));
    return length;
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    return wait_for_fd(fd_.get(), POLLIN, wait_, timeout, name_);
  }

  void close() override { fd_.close(name_); }

 private:
  void send_packet(iovec* iov, int count) {
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    SpinBudget budget(wait_);
    for (;;) {
      // A seqpacket send is all-or-nothing: no partial writes to handle.
      if (::sendmsg(fd_.get(), &message, MSG_NOSIGNAL) >= 0) return;
      if (errno == EINTR) {
        throw_if_interrupted("sendmsg");
        continue;
      }
      if (errno == EAGAIN) {
        await_fd(fd_.get(), POLLOUT, budget, "sendmsg", name_);
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET)
        throw PeerClosed(fmt::format("peer closed {}", name_));
      throw SystemError("sendmsg", name_);
    }
  }

  std::size_t receive_packet(iovec* iov, int count, bool& truncated) {
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = static_cast<std::size_t>(count);
    SpinBudget budget(wait_);
    for (;;) {
      ssize_t n = ::recvmsg(fd_.get(), &message, 0);
      if (n > 0) {
        truncated = (message.msg_flags & MSG_TRUNC) != 0;
        return static_cast<std::size_t>(n);
      }
      // Every packet carries data, so a zero-byte read is the peer's orderly close.
      if (n == 0) throw PeerClosed(fmt::format("peer closed {}", name_));
      if (errno == EINTR) {
        throw_if_interrupted("recvmsg");
        continue;
      }
      if (errno == EAGAIN) {
        await_fd(fd_.get(), POLLIN, budget, "recvmsg", name_);
        continue;
      }
      if (errno == ECONNRESET) throw PeerClosed(fmt::format("peer reset {}", name_));
      throw SystemError("recvmsg", name_);
    }
  }

  Fd fd_;
  WaitStrategy wait_;
  std::string name_;
};

Transport unix_stream_transport() {
  Transport transport{
      "unix-stream", "unix socket",
      "AF_UNIX SOCK_STREAM at a path, Listener/Client, length-prefixed", true,
      [](const TransportOptions& options) {
        return create_listener("unix-stream", SOCK_STREAM, options.wait, options.senders);
      },
      [](const std::string& text, Side side, Liveness) {
        Address address = Address::parse(text);
        std::size_t senders = address.fields.count("senders") ? address.number("senders") : 1;
        if (side == Side::a && senders > 1) {
          // Fan-in: one connection per producer, accepted here, read as they are ready.
          int listener = parse_fd(address.field("listen-fd"), text);
          std::vector<Fd> connections;
          for (std::size_t i = 0; i < senders; ++i)
            connections.push_back(accept_one(listener, text));
          return make_fan_in_stream_endpoint(std::move(connections), address.wait(), text);
        }
        return make_framed_stream_endpoint(open_socket(text, side, SOCK_STREAM), Fd(),
                                           /*is_socket=*/true, address.wait(), text);
      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  transport.many_senders = true;
  return transport;
}

Transport unix_seqpacket_transport() {
  Transport transport{
      "unix-seqpacket", "unix socket",
      "AF_UNIX SOCK_SEQPACKET at a path, Listener/Client, 64 KiB packets", true,
      [](const TransportOptions& options) {
        return create_listener("unix-seqpacket", SOCK_SEQPACKET, options.wait, 1);
      },
      [](const std::string& address, Side side, Liveness) -> std::unique_ptr<Endpoint> {
        return std::make_unique<SeqpacketEndpoint>(open_socket(address, side, SOCK_SEQPACKET),
                                                   Address::parse(address).wait(), address);
      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  return transport;
}

// A socket's end-of-file tells each side of the other's end: no liveness fd needed.
const Registry<Transport>::Add stream_registered{unix_stream_transport};
const Registry<Transport>::Add seqpacket_registered{unix_seqpacket_transport};

}  // namespace
}  // namespace ipcmeter
