// Message stamping and verification.
#include "harness/message.hpp"

#include <algorithm>
#include <memory>
#include <cstring>
#include <string>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

// Mixes the sequence number into the stored checksum, so a header copied from another
// message (right payload, wrong place) fails too.
std::uint32_t mix(std::uint32_t sequence) noexcept {
  std::uint32_t x = sequence * 0x9E3779B1u;
  return x ^ (x >> 16);
}

// MurmurHash3's 64-bit finaliser: a bijection in which every input bit flips about half of
// the output bits. Multiplication alone only carries changes upward, so the top bits of two
// lanes could cancel; this cannot.
std::uint64_t avalanche(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  return x ^ (x >> 33);
}

std::uint64_t load64(const std::byte* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

// The running sums of a checksum before its finish: four lanes of 64-bit words, each word
// split into its 32-bit halves summed apart (a) with the running sums of those (b), and the
// bytes past the last 32-byte block summed into lane 0's low half. Halves in 64-bit sums
// cannot wrap: two opposite flips of one bit in two words of a lane leave `a` alone but move
// `b` by 2^k times the words' distance, never a multiple of 2^64 below 2^32 words. Linear,
// so the writer updates it for a per-message word in O(1) (with_word).
struct Sums {
  std::uint64_t a_lo[4] = {1, 2, 3, 4}, a_hi[4] = {5, 6, 7, 8};
  std::uint64_t b_lo[4] = {}, b_hi[4] = {};
  std::size_t size = 0;
};

namespace {

Sums sums_of(std::span<const std::byte> bytes) noexcept {
  Sums s;
  s.size = bytes.size();
  const std::byte* p = bytes.data();
  std::size_t n = bytes.size();
  // Four independent lanes keep the adds from forming one long dependency chain.
  for (; n >= 32; n -= 32, p += 32) {
    for (int lane = 0; lane < 4; ++lane) {
      std::uint64_t w = load64(p + 8 * lane);
      s.a_lo[lane] += w & 0xFFFFFFFFu;
      s.a_hi[lane] += w >> 32;
      s.b_lo[lane] += s.a_lo[lane];
      s.b_hi[lane] += s.a_hi[lane];
    }
  }
  for (; n > 0; --n, ++p) {
    s.a_lo[0] += static_cast<std::uint64_t>(*p);
    s.b_lo[0] += s.a_lo[0];
  }
  return s;
}

std::uint32_t finish(const Sums& s) noexcept {
  std::uint64_t h = s.size;
  // Under 32 bytes only lane 0's low half ever moved from its start value, so the constant
  // lanes are left out: a small message costs two avalanche rounds instead of sixteen.
  if (s.size < 32) return static_cast<std::uint32_t>(avalanche(avalanche(h ^ s.a_lo[0]) ^ s.b_lo[0]) >> 16);
  for (int lane = 0; lane < 4; ++lane) {
    h = avalanche(h ^ s.a_lo[lane]);
    h = avalanche(h ^ s.a_hi[lane]);
    h = avalanche(h ^ s.b_lo[lane]);
    h = avalanche(h ^ s.b_hi[lane]);
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

// The sums of `base` (whose first min(8, size) bytes are zero) with those bytes set to `w`'s
// little-endian bytes, without reading the rest again.
Sums with_word(Sums s, std::uint64_t w) noexcept {
  if (s.size >= 32) {
    // Block 0, lane 0: in every one of the blocks' running sums, and in the tail's.
    const std::uint64_t blocks = s.size / 32, tail = s.size % 32;
    s.a_lo[0] += w & 0xFFFFFFFFu;
    s.a_hi[0] += w >> 32;
    s.b_lo[0] += (w & 0xFFFFFFFFu) * (blocks + tail);
    s.b_hi[0] += (w >> 32) * blocks;
    return s;
  }
  // Byte by byte: byte i is in the running sums of bytes i .. size-1.
  for (std::size_t i = 0; i < std::min<std::size_t>(8, s.size); ++i) {
    std::uint64_t byte = (w >> (8 * i)) & 0xFF;
    s.a_lo[0] += byte;
    s.b_lo[0] += byte * (s.size - i);
  }
  return s;
}

// The per-message word: a bijection of the stamped sequence (which holds the producer), so
// no two messages of a run share a payload and a stale payload under a fresh header fails.
std::uint64_t message_word(std::uint32_t stamped) noexcept { return avalanche(stamped + 0x9E3779B97F4A7C15ull); }

}  // namespace

std::uint32_t checksum(std::span<const std::byte> bytes) noexcept { return finish(sums_of(bytes)); }

MessageWriter::MessageWriter(std::size_t size, int producer) : message_(size) {
  if (producer >= 0) {
    producer_bits_ = static_cast<std::uint32_t>(producer) << 24;
    counter_mask_ = kProducerCounterMask;
  }
  // A fixed pseudo-random pattern (splitmix64): no run of equal bytes to hide a shifted copy.
  // Its first 8 bytes are the per-message word, stamped by next().
  std::uint64_t state = 0x1234567887654321ull;
  for (std::size_t i = kMessageHeader + kMessageWord; i < size; ++i) {
    state += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    message_[i] = static_cast<std::byte>(z ^ (z >> 31));
  }
  base_ = std::make_unique<Sums>(sums_of(std::span(message_).subspan(kMessageHeader)));
}

MessageWriter::~MessageWriter() = default;
MessageWriter::MessageWriter(MessageWriter&&) noexcept = default;

std::span<const std::byte> MessageWriter::next() noexcept {
  std::uint32_t stamped = producer_bits_ | (sequence_ & counter_mask_);
  std::uint64_t word = message_word(stamped);
  std::size_t word_bytes = std::min(kMessageWord, message_.size() - kMessageHeader);
  std::memcpy(message_.data() + kMessageHeader, &word, word_bytes);
  // Only the bytes that fit count: with_word sees the word's low bytes first, as memcpy
  // laid them (little-endian).
  std::uint64_t kept = word_bytes == 8 ? word : word & ((std::uint64_t{1} << (8 * word_bytes)) - 1);
  std::uint32_t check = finish(with_word(*base_, kept)) ^ mix(stamped);
  std::memcpy(message_.data(), &stamped, 4);
  std::memcpy(message_.data() + 4, &check, 4);
  ++sequence_;
  return message_;
}

MessageVerifier::MessageVerifier(std::size_t size, int producers)
    : size_(size), producers_(producers), expected_(std::max(producers, 1), 0) {}

void MessageVerifier::verify(std::span<const std::byte> message) {
  auto fail = [&](const std::string& what) {
    throw IntegrityError("message " + std::to_string(verified_) + ": " + what);
  };
  if (message.size() != size_)
    fail("wrong size " + std::to_string(message.size()) + " (expected " + std::to_string(size_) +
         ")");
  std::uint32_t sequence, check;
  std::memcpy(&sequence, message.data(), 4);
  std::memcpy(&check, message.data() + 4, 4);
  // The checksum first: a corrupted header must not be misread as a gap.
  if ((check ^ mix(sequence)) != checksum(message.subspan(kMessageHeader)))
    fail("checksum mismatch: payload corrupted");
  std::uint32_t counter = sequence;
  std::uint32_t mask = 0xFFFFFFFF;
  std::string from;
  std::uint64_t* expected = &expected_[0];
  if (producers_ > 0) {
    int producer = static_cast<int>(sequence >> 24);
    if (producer >= producers_) fail("from unknown producer " + std::to_string(producer));
    counter = sequence & kProducerCounterMask;
    mask = kProducerCounterMask;
    from = " from producer " + std::to_string(producer);
    expected = &expected_[producer];
  }
  auto wanted = static_cast<std::uint32_t>(*expected) & mask;
  if (counter != wanted) {
    // Sequence numbers are 32 (or 24) bits on the wire; the difference says which failure.
    std::uint32_t ahead = (counter - wanted) & mask;
    bool gap = ahead < (mask >> 1);
    fail(gap ? "gap: got sequence " + std::to_string(counter) + from + ", " +
                   std::to_string(ahead) + " message(s) missing"
             : "reordered or duplicated: got sequence " + std::to_string(counter) + from);
  }
  ++*expected;
  ++verified_;
}

}  // namespace ipcmeter
