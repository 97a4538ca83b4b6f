// The run's token: see run_token.hpp.
#include "transports/run_token.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <sys/random.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

std::string fresh_token() {
  std::uint64_t random[2] = {};
  if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
    throw SystemError("getrandom", "run token");
  char text[kRunTokenSize + 1];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(random[0]),
                static_cast<unsigned long long>(random[1]));
  return text;
}

bool well_formed(const std::string& token) {
  return token.size() == kRunTokenSize &&
         token.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string given_or_fresh() {
  const char* given = ::getenv(kRunTokenVariable);
  if (given == nullptr) return fresh_token();
  std::string token = given;
  ::unsetenv(kRunTokenVariable);
  // Not a token: a fresh one instead, which no connection will present, so the run fails
  // with the token's error rather than this process at start-up.
  return well_formed(token) ? token : fresh_token();
}

std::string& token_storage() {
  static std::string token = given_or_fresh();
  return token;
}

}  // namespace

const std::string& run_token() { return token_storage(); }

void renew_run_token() { token_storage() = fresh_token(); }

void adopt_run_token(const std::string& token) {
  if (!well_formed(token)) throw std::runtime_error("the leader's run token is not 32 hex digits");
  token_storage() = token;
}

bool is_run_token(std::string_view presented) {
  const std::string& token = run_token();
  if (presented.size() != token.size()) return false;  // the size is no secret: 32, always
  unsigned char difference = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    difference |= static_cast<unsigned char>(presented[i] ^ token[i]);
    // Opaque to the optimiser, so it cannot turn the loop into one that stops early.
    asm volatile("" : "+r"(difference));
  }
  return difference == 0;
}

namespace {
// Made when the program starts, before it can fork: every process a run forks shares it,
// whichever of them first makes a link.
const std::string& made_at_start = run_token();
}  // namespace

std::string run_token_environment_entry() {
  return fmt::format("{}={}", kRunTokenVariable, run_token());
}

}  // namespace ipcmeter
