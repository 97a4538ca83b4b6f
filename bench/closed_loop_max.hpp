// The open loop's last offered rate: the link's closed-loop maximum, measured in the run.
// A rate curve (the rate workload) sweeps fixed rates a decade apart; its rate:max point
// offers what the same link, placement, wait and message size carry when the producer sends
// as fast as the consumer takes (the stream workload), measured just before, so the curve
// shows the latency at the very rate a closed-loop figure reports.
#pragma once

#include <cstdint>
#include <string>

#include "harness/run.hpp"

namespace ipcmeter {

// The name segment of the rate:max point, in place of a number.
inline constexpr const char* kRateAtMax = "max";

// The closed-loop maximum of `rate_spec`'s link in messages/s: a stream run of the same
// transport, placement, wait, size and depth, at least kClosedLoopMinSeconds long (the count
// grows until it is), measured now and once per name for a whole benchmark's repetitions.
inline constexpr double kClosedLoopMinSeconds = 0.1;
std::uint64_t closed_loop_max_rate(const RunSpec& rate_spec);

// The rate:max point's name: `rate_spec`'s, with rate:max for its number.
std::string rate_at_max_name(const RunSpec& rate_spec);

}  // namespace ipcmeter
