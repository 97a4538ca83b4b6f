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

// A position-sensitive checksum (eight Fletcher-style lanes of 32-bit values summed in 64
// bits, so that no pair of opposite bit flips cancels): it catches flipped, lost and swapped
// bytes, and with AVX2 (where the CPU has it) runs at memcpy's speed, so verifying a 1 MiB
// message costs about as much as copying it once (23 us here).
std::uint32_t checksum(std::span<const std::byte> bytes) noexcept;
// The same function computed by its plain definition, whatever the CPU has: for the test that
// the vector code agrees with it.
std::uint32_t checksum_portable(std::span<const std::byte> bytes) noexcept;

// With several producers (fan-in) the sequence field's top byte names the producer and the
// low 24 bits count that producer's messages, so order is checked per producer.
constexpr int kMaxProducers = 255;
constexpr std::uint32_t kProducerCounterMask = 0x00FFFFFF;

// The first 8 payload bytes of every message are a word derived from its sequence number
// and producer, so no two messages of a run carry the same payload; the verifier checks it
// beside the checksum of the rest.
constexpr std::size_t kMessageWord = 8;

// Makes the messages one side sends. The payload after its word is filled once; each message
// re-stamps the header and the word, so the sender's cost per message is O(1), not O(size).
class MessageWriter {
 public:
  // producer < 0: a lone sender with a full 32-bit sequence; else fan-in producer n.
  explicit MessageWriter(std::size_t size, int producer = -1);
  std::span<const std::byte> next() noexcept;

 private:
  std::vector<std::byte> message_;
  std::uint32_t rest_checksum_;  // of the payload after the word, fixed for the run
  std::uint32_t sequence_ = 0;
  std::uint32_t producer_bits_ = 0;
  std::uint32_t counter_mask_ = 0xFFFFFFFF;
};

// Checks the messages one side receives: size, sequence (gap, reorder, duplicate) and
// checksum. Throws IntegrityError naming the message number (and, in fan-in, the producer).
class MessageVerifier {
 public:
  // producers == 0: one sender, full 32-bit sequence; else fan-in from that many producers.
  explicit MessageVerifier(std::size_t size, int producers = 0);
  void verify(std::span<const std::byte> message);
  std::uint64_t verified() const noexcept { return verified_; }

 private:
  std::size_t size_;
  int producers_;
  std::uint64_t verified_ = 0;
  std::vector<std::uint64_t> expected_;  // per producer (one entry without fan-in)
};

// The buffers a side needs for a run, allocated before timing starts.
struct MessageKit {
  explicit MessageKit(std::size_t size, int producer = -1, int producers = 0)
      : writer(size, producer), verifier(size, producers), buffer(size) {}
  MessageWriter writer;
  MessageVerifier verifier;
  std::vector<std::byte> buffer;
};

}  // namespace ipcmeter
