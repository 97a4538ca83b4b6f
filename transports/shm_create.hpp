// Creating a shared-memory object (a segment, a message queue, a managed segment) so that
// nobody else gets in: under a fresh name with an unguessable part, readable and writable by
// this user only (0600, whatever the umask: Boost applies the permissions with fchmod), and
// owned (removed by this run) only once its exclusive create has succeeded. A name someone
// else holds already is left alone and another is tried.
#pragma once

#include <fmt/core.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "transports/errors.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {

// Owner read and write only.
inline boost::interprocess::permissions owner_only() { return boost::interprocess::permissions(0600); }

constexpr int kCreateAttempts = 8;

// Calls `create(name + suffix)` with fresh names until one succeeds and returns that object's
// name, owned. `create` must create exclusively (Boost's create_only) and throw Boost's
// already_exists_error when the name is taken; any other failure is thrown as it is.
// `next_name` makes the names (tests give their own).
inline std::unique_ptr<SharedMemoryName> create_shared_memory(
    const std::string& kind, const std::function<void(const std::string&)>& create, const std::string& suffix = "",
    const std::function<std::string(const std::string&)>& next_name = unique_shared_memory_name) {
  namespace bip = boost::interprocess;
  std::string taken;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    std::string name = next_name(kind) + suffix;
    try {
      create(name);
    } catch (const bip::interprocess_exception& error) {
      if (error.get_error_code() != bip::already_exists_error) throw;
      taken = name;
      continue;  // someone else's: untouched, and not ours to remove
    }
    return std::make_unique<SharedMemoryName>(name);
  }
  throw std::runtime_error(fmt::format(
      "shared memory: {} fresh names were all taken by someone else (the last: /dev/shm/{})",
      kCreateAttempts, taken));
}

}  // namespace ipcmeter
