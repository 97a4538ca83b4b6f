// A key:value segment of a benchmark name (after wait:): a workload's own (size:, clients:)
// or a medium's (a queue's depth:).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipcmeter {

struct Segment {
  std::string key;    // "size"
  std::string noun;   // "message size", for errors
  std::uint64_t min = 1;
  std::uint64_t max = 1;
  std::uint64_t fallback = 1;  // a spec that does not set it gets this
  std::string note;            // after the range in errors: " bytes; 8 bytes hold ..."
  // (The values each profile measures are the profile's: bench/profile.cpp.)
};

}  // namespace ipcmeter
