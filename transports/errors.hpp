// Error types shared by transports and harness: each carries enough to write one clear line.
#pragma once

#include <fmt/core.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ipcmeter {

// A failed system call: "read(pipe:fd=5,6): Bad file descriptor". The call and the object's
// name travel with errno, so the CLI can print one line without knowing where it came from.
class SystemError : public std::system_error {
 public:
  SystemError(const std::string& call, const std::string& object, int error = errno)
      : std::system_error(error, std::generic_category(),
                          object.empty() ? call : fmt::format("{}({})", call, object)) {}
};

// The other side closed its end in order (EOF, EPIPE, ECONNRESET): not a bug of this side.
class PeerClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A blocking call was woken on purpose by the watchdog (see interrupt.hpp).
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from a user: unknown names, sizes out of range, malformed addresses.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A message arrived, but not the one expected (corrupt, missing, reordered, wrong size).
class IntegrityError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ipcmeter
