// The election workloads' messages on the wire: fixed-size records of plain fields, copied in
// and out whole, and refused when their size is not the record's.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <string>

#include "transports/errors.hpp"

namespace ipcmeter::election {

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span(&value, 1));
}

// The record in `bytes`; IntegrityError naming the workload and what was expected otherwise.
template <typename T>
T read_message(std::span<const std::byte> bytes, const char* workload, const char* what) {
  if (bytes.size() != sizeof(T))
    throw IntegrityError(
        fmt::format("{}: a {} of {} bytes, expected {}", workload, what, bytes.size(), sizeof(T)));
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

}  // namespace ipcmeter::election
