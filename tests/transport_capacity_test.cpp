// Every transport straight through its interface (no harness), squeezed: the smallest
// capacity it accepts, messages from 0 bytes to many times that capacity, every wait.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

std::vector<std::byte> pattern(std::size_t size, std::size_t seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  return bytes;
}

TEST(TransportCapacity, TinyCapacityCarriesMessagesManyTimesItsSize) {
  clear_interrupt();  // an earlier test's ended peer must not read as this one's
  const std::vector<std::size_t> sizes = {0, 1, 7, 8, 9, 55, 56, 57, 64, 1000, 2040, 2048, 4095,
                                          4096, 4097, 10000, 65536, 100000, 3, 2100};
  constexpr std::size_t kMax = 100000;
  for (const Transport& transport : all_transports()) {
    if (transport.family == "test") continue;
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
        auto endpoint = transport.open(link.address(), Side::b);
        std::vector<std::byte> buffer(kMax);
        // Echoes what recv_view shows: a view into a ring must stay valid through a send.
        for (std::size_t i = 0; i < sizes.size(); ++i) endpoint->send(endpoint->recv_view(buffer));
        endpoint->close();
      });
      auto endpoint = transport.open(link.address(), Side::a);
      std::vector<std::byte> buffer(kMax);
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto message = pattern(sizes[i], i);
        endpoint->send(message);
        // Both ways to receive, in turn: a copy, and a view (in place or, for a record that
        // wraps around the ring or comes in fragments, copied into the buffer).
        std::span<const std::byte> got = i % 2 ? endpoint->recv_view(buffer)
                                                : std::span(buffer).first(endpoint->recv(buffer));
        ASSERT_EQ(got.size(), sizes[i]) << "message " << i;
        if (!got.empty()) {
          ASSERT_EQ(std::memcmp(got.data(), message.data(), got.size()), 0) << "message " << i;
        }
      }
      echo.join();
      endpoint->close();
    }
  }
}

}  // namespace
}  // namespace ipcmeter
