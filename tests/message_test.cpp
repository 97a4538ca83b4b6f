// Message stamping, verification and the checksum's sensitivity.
#include <gtest/gtest.h>

#include <cstring>
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

}  // namespace
}  // namespace ipcmeter
