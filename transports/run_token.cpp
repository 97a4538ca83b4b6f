// The run's token: see run_token.hpp.
#include "transports/run_token.hpp"

#include <stdlib.h>
#include <sys/random.h>

#include <cstdint>
#include <cstdio>

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

std::string given_or_fresh() {
  const char* given = ::getenv(kRunTokenVariable);
  if (given == nullptr) return fresh_token();
  std::string token = given;
  ::unsetenv(kRunTokenVariable);
  if (token.size() != kRunTokenSize || token.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw UsageError(std::string(kRunTokenVariable) + " is not a run token (32 hex digits)");
  return token;
}

}  // namespace

const std::string& run_token() {
  static const std::string token = given_or_fresh();
  return token;
}

std::string run_token_environment_entry() {
  return std::string(kRunTokenVariable) + "=" + run_token();
}

}  // namespace ipcmeter
