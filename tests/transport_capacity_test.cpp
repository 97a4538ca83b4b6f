// Every transport straight through its interface (no harness), squeezed: the smallest
// capacity it accepts, messages from 0 bytes to many times that capacity, every wait.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/errors.hpp"
#include "tests/test_support.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

std::vector<std::byte> pattern(std::size_t size, std::size_t seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  return bytes;
}

TEST(TransportCapacity, TinyCapacityCarriesMessagesManyTimesItsSize) {
  const std::vector<std::size_t> sizes = {0, 1, 7, 8, 9, 55, 56, 57, 64, 1000, 2040, 2048, 4095,
                                          4096, 4097, 10000, 65536, 100000, 3, 2100};
  constexpr std::size_t kMax = 100000;
  for (const Transport& transport : all_transports()) {
    if (transport.family == "test" || !testing::opens_here(transport)) continue;
    for (WaitStrategy wait : transport.waits) {
      SCOPED_TRACE(transport.name + std::string(" wait:") + wait_name(wait));
      TransportOptions options;
      options.max_message_size = kMax;
      options.wait = wait;
      // One message (queues) or 4 KiB (rings): far below the largest message.
      options.capacity = transport.name == "shm-spsc" ? 4096 : 1;
      if (transport.name == "queue-boost") options.capacity = 2;
      Link link = transport.create(options);
      // REQ/REP cannot carry an empty message back and forth any differently; it alternates
      // like the echo below, so it takes part as is.
      std::thread echo([&] {
        auto endpoint = transport.open(link.address(), Side::b, Liveness());
        std::vector<std::byte> buffer(kMax);
        // Echoes what recv_view shows: a view into a ring must stay valid through a send.
        for (std::size_t i = 0; i < sizes.size(); ++i) endpoint->send(endpoint->recv_view(buffer));
        endpoint->close();
      });
      auto endpoint = transport.open(link.address(), Side::a, Liveness());
      std::vector<std::byte> buffer(kMax);
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto message = pattern(sizes[i], i);
        endpoint->send(message);
        // Both ways to receive, in turn: a copy, and a view (in place or, for a record that
        // wraps around the ring or comes in fragments, copied into the buffer).
        std::span<const std::byte> got = i % 2 ? endpoint->recv_view(buffer)
                                                : std::span(buffer).first(endpoint->recv(buffer));
        // EXPECT, not ASSERT: the echo thread must be joined whatever happens.
        EXPECT_EQ(got.size(), sizes[i]) << "message " << i;
        if (got.size() == sizes[i] && !got.empty()) {
          EXPECT_EQ(std::memcmp(got.data(), message.data(), got.size()), 0) << "message " << i;
        }
      }
      echo.join();
      endpoint->close();
    }
  }
}

// poll() straight through the interface: false on an empty link when the time runs out,
// true once a message is there, and true again once the other side has gone, after which
// the receive says PeerClosed. Transports with no end-of-file of their own learn the end
// from the liveness fd they were given (here a socketpair the other side's owner closes).
TEST(TransportPoll, SeesAMessageThenTheOtherSidesEnd) {
  for (const Transport& transport : all_transports()) {
    if (transport.family == "test" || !testing::opens_here(transport)) continue;
    for (WaitStrategy wait : transport.waits) {
      SCOPED_TRACE(transport.name + std::string(" wait:") + wait_name(wait));
      TransportOptions options;
      options.max_message_size = 4096;
      options.wait = wait;
      options.first_sender = Side::b;  // REQ/REP: side b asks
      Link link = transport.create(options);
      int pair[2];
      ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
      Fd watched(pair[0]), held(pair[1]);
      std::thread other([&] {
        auto endpoint = transport.open(link.address(), Side::b, Liveness());
        endpoint->send(pattern(100, 1));
        // Waits for the reply (REQ/REP needs one before it may close), then goes.
        std::vector<std::byte> buffer(4096);
        endpoint->recv(buffer);
        endpoint->close();
        endpoint.reset();
        held.reset();  // the other side's liveness hangs up as it ends
      });
      int fd = watched.get();
      auto endpoint = transport.open(link.address(), Side::a, Liveness({&fd, 1}));
      bool arrived = endpoint->poll(std::chrono::seconds(10));
      std::vector<std::byte> buffer(4096);
      auto got = arrived ? endpoint->try_recv_view(buffer) : std::nullopt;
      bool quiet = got && !endpoint->poll(std::chrono::milliseconds(20));
      endpoint->send(pattern(10, 2));  // lets the other side go, whatever happened
      other.join();
      ASSERT_TRUE(arrived) << "the message never showed";
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->size(), 100u);
      EXPECT_TRUE(quiet) << "a message out of nowhere";
      link.close_fds();  // the originals would hide the end from fd-based transports
      EXPECT_TRUE(endpoint->poll(std::chrono::seconds(10))) << "the end never showed";
      EXPECT_THROW(endpoint->recv(buffer), PeerClosed);
      endpoint.reset();
    }
  }
}

}  // namespace
}  // namespace ipcmeter
