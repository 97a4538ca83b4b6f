// What the quick and full profiles measure: the one place the suite's choices live. A
// workload, a medium and a placement say what they are and what they can do; this file says
// which of their combinations each profile measures, at which values of their segments, in
// how many samples. A new workload needs nothing here: with no entry it is measured at each
// of its segments' fallback values, over every medium and placement it takes (RunSpec::validate
// decides which exist), at every wait its medium offers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "harness/medium.hpp"
#include "harness/segment.hpp"
#include "harness/workloads/workload.hpp"

namespace ipcmeter {

using Params = std::map<std::string, std::uint64_t>;

// The profiles' defaults for the flags a user did not give.
std::vector<std::string> profile_links(const std::string& profile);
std::vector<std::string> profile_dicts(const std::string& profile);
std::string profile_waits(const std::string& profile);
// Google Benchmark's: seconds per sample and samples per figure.
std::string profile_min_time(const std::string& profile);
std::string profile_repetitions(const std::string& profile);
// What --list says of queue depths.
std::string profile_depth_note();

class Profile {
 public:
  explicit Profile(const SuiteOptions& options) : options_(options) {}

  // Whether the profile measures `work` over `kind` at this placement and wait at all.
  bool measures(const Workload& work, const MediumKind& kind, const std::string& placement,
                WaitStrategy wait) const;
  // The values of `segment` measured for `work` at this wait and placement (the user's own
  // --sizes, --producers, --clients win).
  std::vector<std::uint64_t> values(const Workload& work, const Segment& segment, WaitStrategy wait,
                                    const std::string& placement) const;
  // The message sizes the profile measures (blocking, where no workload says otherwise).
  std::vector<std::uint64_t> sizes() const;
  // The depths a queue is measured at for one combination of the workload's segments.
  std::vector<std::uint64_t> depths(const Workload& work, const Segment& depth,
                                    const std::string& placement, const Params& params) const;
  // Samples of each figure of `work` (0: the flag's), and iterations per sample (0: Google
  // Benchmark decides; a workload whose iterations make a pattern runs whole patterns).
  int repetitions(const Workload& work) const;
  std::uint64_t iterations(const Workload& work) const;

 private:
  bool quick() const { return options_.profile == "quick"; }
  const SuiteOptions& options_;
};

}  // namespace ipcmeter
