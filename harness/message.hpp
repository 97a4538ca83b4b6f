// Benchmark messages: an 8-byte header (sequence number, checksum) and a payload, so that
// every receiver can prove each message arrived whole, once, and in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ipcmeter {

// The header is the smallest message: 4 bytes of sequence number, 4 of checksum.
constexpr std::size_t kMessageHeader = 8;
constexpr std::size_t kMinMessageSize = kMessageHeader;
// 64 MiB: beyond that the suite measures memory bandwidth, not a transport.
constexpr std::size_t kMaxMessageSize = std::size_t{64} << 20;

// A position-sensitive checksum (four Fletcher-style lanes over 64-bit words): it catches
// flipped, lost and swapped bytes and runs at memory speed, so verifying a 1 MiB message
// costs about as much as reading it once.
std::uint32_t checksum(std::span<const std::byte> bytes) noexcept;

// Makes the messages one side sends. The payload is filled once; each message only
// re-stamps the header, so the sender's cost per message is O(1), not O(size).
class MessageWriter {
 public:
  explicit MessageWriter(std::size_t size);
  std::span<const std::byte> next() noexcept;

 private:
  std::vector<std::byte> message_;
  std::uint32_t payload_checksum_;
  std::uint32_t sequence_ = 0;
};

// Checks the messages one side receives: size, sequence (gap, reorder, duplicate) and
// checksum. Throws IntegrityError naming the message number.
class MessageVerifier {
 public:
  explicit MessageVerifier(std::size_t size) : size_(size) {}
  void verify(std::span<const std::byte> message);
  std::uint64_t verified() const noexcept { return expected_; }

 private:
  std::size_t size_;
  std::uint64_t expected_ = 0;
};

// The buffers a side needs for a run, allocated before timing starts.
struct MessageKit {
  explicit MessageKit(std::size_t size) : writer(size), verifier(size), buffer(size) {}
  MessageWriter writer;
  MessageVerifier verifier;
  std::vector<std::byte> buffer;
};

}  // namespace ipcmeter
