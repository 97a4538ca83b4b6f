// Message stamping, verification and the checksum's sensitivity.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "harness/message.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

std::string verify_error(MessageVerifier& verifier, std::span<const std::byte> message) {
  try {
    verifier.verify(message);
  } catch (const IntegrityError& error) {
    return error.what();
  }
  return "";
}

TEST(Message, VerifierAcceptsTheWritersSequenceAtEverySize) {
  for (std::size_t size : {8, 9, 31, 32, 33, 64, 4096, 1 << 20}) {
    MessageWriter writer(size);
    MessageVerifier verifier(size);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(verify_error(verifier, writer.next()), "") << size;
    EXPECT_EQ(verifier.verified(), 100u);
  }
}

// The checksum the CPU's vector code computes is its plain definition's, at every length
// (blocks and a tail) and on bytes with every bit pattern, so a message checksummed on one
// machine verifies on another.
TEST(Message, VectorChecksumIsThePlainDefinition) {
  std::vector<std::byte> bytes(70000);
  std::uint64_t state = 0x243F6A8885A308D3ull;
  for (auto& byte : bytes) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    byte = static_cast<std::byte>(state >> 56);
  }
  for (std::size_t length : {0, 1, 31, 32, 33, 63, 64, 65, 4096, 65535, 70000}) {
    std::span<const std::byte> part(bytes.data(), length);
    EXPECT_EQ(checksum(part), checksum_portable(part)) << length;
  }
  std::vector<std::byte> ones(4096, std::byte{0xff});  // the largest values every lane can hold
  EXPECT_EQ(checksum(ones), checksum_portable(ones));
}

TEST(Message, EverySingleBitFlipIsCaught) {
  MessageWriter writer(40);
  auto message = writer.next();
  std::vector<std::byte> copy(message.begin(), message.end());
  for (std::size_t bit = 0; bit < copy.size() * 8; ++bit) {
    copy[bit / 8] ^= std::byte(1u << (bit % 8));
    MessageVerifier verifier(40);
    EXPECT_NE(verify_error(verifier, copy), "") << "bit " << bit;
    copy[bit / 8] ^= std::byte(1u << (bit % 8));
  }
}

TEST(Message, SwappedWordsAreCaught) {
  // A plain sum would miss this; the position-dependent lanes do not.
  MessageWriter writer(72);
  auto message = writer.next();
  std::vector<std::byte> copy(message.begin(), message.end());
  std::swap_ranges(copy.begin() + 8, copy.begin() + 16, copy.begin() + 40);
  MessageVerifier verifier(72);
  EXPECT_NE(verify_error(verifier, copy).find("message 0: checksum mismatch"), std::string::npos);
}

TEST(Message, GapReorderAndSizeAreNamed) {
  MessageWriter writer(16);
  MessageVerifier verifier(16);
  std::vector<std::vector<std::byte>> sent;
  for (int i = 0; i < 4; ++i) {
    auto m = writer.next();
    sent.emplace_back(m.begin(), m.end());
  }
  EXPECT_EQ(verify_error(verifier, sent[0]), "");
  EXPECT_EQ(verify_error(verifier, sent[2]),
            "message 1: gap: got sequence 2, 1 message(s) missing");
  EXPECT_EQ(verify_error(verifier, sent[1]), "");
  EXPECT_EQ(verify_error(verifier, sent[1]),
            "message 2: reordered or duplicated: got sequence 1");
  EXPECT_EQ(verify_error(verifier, std::span(sent[2]).first(12)),
            "message 2: wrong size 12 (expected 16)");
}

TEST(Message, HeaderFromAnotherMessageFails) {
  MessageWriter writer(32);
  auto first = writer.next();
  std::vector<std::byte> copy(first.begin(), first.end());
  std::uint32_t wrong_check = 0;
  std::memcpy(&wrong_check, copy.data() + 4, 4);
  wrong_check ^= 0x10;
  std::memcpy(copy.data() + 4, &wrong_check, 4);
  MessageVerifier verifier(32);
  EXPECT_NE(verify_error(verifier, copy).find("checksum mismatch"), std::string::npos);
}


std::vector<std::byte> copy_of(std::span<const std::byte> message) { return {message.begin(), message.end()}; }

TEST(Message, VerifierAcceptsEverySizeFrom8To300FromOneOrManyProducers) {
  // The word takes what there is of a payload under 8 bytes; the rest is checksummed.
  for (std::size_t size = 8; size <= 300; ++size)
    for (int producer : {-1, 3}) {
      MessageWriter writer(size, producer);
      MessageVerifier verifier(size, producer < 0 ? 0 : 4);  // order is checked per producer
      for (int i = 0; i < 20; ++i) EXPECT_EQ(verify_error(verifier, writer.next()), "") << size;
    }
}

TEST(Message, NoTwoMessagesShareAPayload) {
  MessageWriter writer(64);
  auto first = copy_of(writer.next());
  auto second = copy_of(writer.next());
  EXPECT_NE(std::vector<std::byte>(first.begin() + 8, first.end()),
            std::vector<std::byte>(second.begin() + 8, second.end()));
}

// Each kind of corruption a transport could commit, on messages of several sizes: every one
// is caught, as what it is.
TEST(Message, EveryClassOfCorruptionIsCaught) {
  for (std::size_t size : {std::size_t{16}, std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20}) {
    MessageWriter writer(size);
    std::vector<std::vector<std::byte>> sent;
    for (int i = 0; i < 3; ++i) sent.push_back(copy_of(writer.next()));
    auto caught = [&](const char* what, const std::vector<std::vector<std::byte>>& received,
                      const std::string& expected) {
      MessageVerifier verifier(size);
      std::string error;
      for (const auto& m : received)
        if (!(error = verify_error(verifier, m)).empty()) break;
      EXPECT_NE(error.find(expected), std::string::npos) << what << " at " << size << ": '" << error << "'";
    };
    auto flipped = sent[1];
    flipped[size / 2 + 3] ^= std::byte{0x10};
    caught("a flipped bit", {sent[0], flipped}, "message 1: checksum mismatch");
    auto zeroed = sent[1];
    std::fill(zeroed.begin() + 8, zeroed.end(), std::byte{0});
    caught("a zeroed payload", {sent[0], zeroed}, "message 1: checksum mismatch");
    auto swapped = sent[1];
    std::size_t half = (size - 8) / 2;
    std::swap_ranges(swapped.begin() + 8, swapped.begin() + 8 + half, swapped.begin() + 8 + half);
    caught("swapped halves", {sent[0], swapped}, "message 1: checksum mismatch");
    auto stale = sent[0];  // the last payload in the buffer, a fresh header over it
    std::copy(sent[1].begin(), sent[1].begin() + 8, stale.begin());
    caught("a stale payload under a fresh header", {sent[0], stale}, "message 1: checksum mismatch: the payload is not this message's");
    caught("a duplicate", {sent[0], sent[0]}, "message 1: reordered or duplicated");
    caught("a dropped message", {sent[0], sent[2]}, "message 1: gap");
    caught("reordered messages", {sent[1], sent[0]}, "message 0: gap");
    auto truncated = sent[1];
    truncated.pop_back();
    caught("a truncated message", {sent[0], truncated}, "message 1: wrong size");
  }
}

TEST(Message, NoPairOfOppositeBitFlipsInALaneCancels) {
  // Two words of one lane (32 bytes apart) whose bit k differ, both flipped: one gains 2^k,
  // the other loses it. A sum of whole 64-bit words let such a pair cancel for k = 63.
  const std::size_t size = 8 + 32 * 8;  // eight blocks
  MessageWriter writer(size);
  auto message = copy_of(writer.next());
  int pairs = 0;
  for (std::size_t lane = 0; lane < 4; ++lane)
    for (std::size_t j = 0; j < 8; ++j)
      for (std::size_t m = j + 1; m < 8; ++m)
        for (int k = 0; k < 64; ++k) {
          std::size_t at_j = 8 + 32 * j + 8 * lane, at_m = 8 + 32 * m + 8 * lane;
          std::uint64_t wj, wm;
          std::memcpy(&wj, message.data() + at_j, 8);
          std::memcpy(&wm, message.data() + at_m, 8);
          if (((wj ^ wm) >> k & 1) == 0) continue;  // the same bit: flips would not be opposite
          auto copy = message;
          std::uint64_t fj = wj ^ (std::uint64_t{1} << k), fm = wm ^ (std::uint64_t{1} << k);
          std::memcpy(copy.data() + at_j, &fj, 8);
          std::memcpy(copy.data() + at_m, &fm, 8);
          MessageVerifier verifier(size);
          EXPECT_NE(verify_error(verifier, copy), "") << "lane " << lane << " words " << j << "," << m << " bit " << k;
          ++pairs;
        }
  EXPECT_GT(pairs, 1000);
}

}  // namespace
}  // namespace ipcmeter
