// Fixed-size control packets over a seqpacket socketpair, or over a TCP connection to a peer
// on another host (a stream: a packet may be sent and received in pieces).
#include "harness/control.hpp"

#include <fmt/core.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {
namespace {

struct PacketCounter {
  char name[32];  // NUL-terminated
  double value;
  std::uint32_t per;
};

struct Packet {
  std::uint32_t kind;
  std::uint32_t flags;  // bit 0: because_other_side_closed
  std::uint32_t text_size;
  std::uint32_t counter_count;
  std::uint64_t cpu_ns;
  std::uint64_t completed;
  PacketCounter counters[kMaxControlCounters];
  char text[480];
};

}  // namespace

std::pair<Fd, Fd> make_control_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    throw SystemError("socketpair", "control channel");
  return {Fd(fds[0]), Fd(fds[1])};
}

void ControlChannel::send(const ControlMessage& message) {
  Packet packet{};
  packet.kind = static_cast<std::uint32_t>(message.kind);
  packet.cpu_ns = message.cpu_ns;
  packet.completed = message.completed;
  packet.flags = message.because_other_side_closed ? 1u : 0u;
  const auto& counters = message.counters.all();
  if (counters.size() > kMaxControlCounters)
    throw std::logic_error("a peer reports at most 8 counters");
  packet.counter_count = static_cast<std::uint32_t>(counters.size());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    if (counters[i].name.size() >= sizeof packet.counters[i].name)
      throw std::logic_error(fmt::format("counter name too long: {}", counters[i].name));
    std::memcpy(packet.counters[i].name, counters[i].name.c_str(), counters[i].name.size() + 1);
    packet.counters[i].value = counters[i].value;
    packet.counters[i].per = static_cast<std::uint32_t>(counters[i].per);
  }
  packet.text_size = static_cast<std::uint32_t>(std::min(message.text.size(), sizeof packet.text));
  std::memcpy(packet.text, message.text.data(), packet.text_size);
  const char* bytes = reinterpret_cast<const char*>(&packet);
  std::size_t sent = 0;
  for (;;) {
    ssize_t n = ::send(fd_.get(), bytes + sent, sizeof packet - sent, MSG_NOSIGNAL);
    if (n > 0 && (sent += static_cast<std::size_t>(n)) == sizeof packet) return;
    if (n > 0) continue;
    if (errno == EINTR) {
      throw_if_interrupted("control send");
      continue;
    }
    if (errno == EPIPE || errno == ECONNRESET) throw PeerClosed("control channel closed");
    throw SystemError("send", "control channel");
  }
}

std::optional<ControlMessage> ControlChannel::receive_with(int flags) {
  Packet packet{};
  char* bytes = reinterpret_cast<char*>(&packet);
  // Over a stream a poll takes a packet only once all of it is there.
  if (flags & MSG_DONTWAIT) {
    ssize_t n = ::recv(fd_.get(), bytes, sizeof packet, MSG_DONTWAIT | MSG_PEEK);
    if (n >= 0 && n < static_cast<ssize_t>(sizeof packet)) return std::nullopt;
    if (n < 0 && errno != EINTR) {
      if (errno == EAGAIN || errno == ECONNRESET) return std::nullopt;
      throw SystemError("recv", "control channel");
    }
  }
  std::size_t got = 0;
  while (got < sizeof packet) {
    ssize_t n = ::recv(fd_.get(), bytes + got, sizeof packet - got, flags & ~MSG_DONTWAIT);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 && got == 0) return std::nullopt;
    if (n == 0) throw IntegrityError("short control packet");
    if (errno == ECONNRESET) return std::nullopt;
    if (errno != EINTR) throw SystemError("recv", "control channel");
    throw_if_interrupted("control receive");
  }
  ControlMessage message;
  message.kind = static_cast<ControlKind>(packet.kind);
  message.cpu_ns = packet.cpu_ns;
  message.completed = packet.completed;
  if (packet.counter_count > kMaxControlCounters) throw IntegrityError("bad control packet");
  for (std::uint32_t i = 0; i < packet.counter_count; ++i) {
    const PacketCounter& counter = packet.counters[i];
    message.counters.add(std::string(counter.name, strnlen(counter.name, sizeof counter.name)),
                         counter.value, static_cast<Counter::Per>(counter.per & 1));
  }
  message.because_other_side_closed = (packet.flags & 1u) != 0;
  message.text.assign(packet.text, std::min<std::size_t>(packet.text_size, sizeof packet.text));
  return message;
}

std::optional<ControlMessage> ControlChannel::receive() { return receive_with(0); }
std::optional<ControlMessage> ControlChannel::poll() { return receive_with(MSG_DONTWAIT); }

}  // namespace ipcmeter
