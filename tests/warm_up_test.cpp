// Warm before go (harness/warm_up.hpp): a medium whose first touch is slow is not reported slow
// once warm, and what the first message cost is reported apart.
#include <gtest/gtest.h>

#include <string>

#include "harness/run.hpp"
#include "harness/warm_up.hpp"
#include "tests/test_support.hpp"

namespace ipcmeter {
namespace {

class WarmUp : public testing::NoLeftovers, public ::testing::WithParamInterface<std::string> {};

double counter(const RunResult& result, const std::string& name) {
  const Counter* found = result.counters.find(name);
  return found ? found->value : -1;
}

TEST_P(WarmUp, ASlowFirstRoundTripIsTheColdCounterNotTheLatency) {
  RunSpec spec = testing::spec_of("pingpong", "pipe-slow-start", GetParam(), {{"size", 64}}, 200);
  RunResult result = run(spec);
  auto slow = static_cast<double>(std::chrono::nanoseconds(testing::kSlowFirstTouch).count());
  // Both sides' first sends were slow: the first round trip paid for both, in the warm-up.
  EXPECT_GE(counter(result, "cold_rtt_ns"), 2 * slow);
  // No timed round trip met a first touch, so none took anywhere near that long.
  EXPECT_LT(static_cast<double>(result.latency.max()), slow);
}

TEST_P(WarmUp, ASlowFirstMessageIsTheColdCounterNotTheRate) {
  RunSpec spec = testing::spec_of("stream", "pipe-slow-start", GetParam(), {{"size", 64}}, 1000);
  RunResult result = run(spec);
  auto slow = static_cast<double>(std::chrono::nanoseconds(testing::kSlowFirstTouch).count());
  EXPECT_GE(counter(result, "cold_first_ns"), slow);
  EXPECT_LT(static_cast<double>(result.elapsed_ns), slow);
}

TEST(WarmUpCount, CoversEveryQueueSlotAndNeverFallsBelowTheMinimum) {
  RunSpec spec = testing::spec_of("stream", "queue-boost", "fork", {{"size", 64}, {"depth", 1024}}, 10);
  EXPECT_EQ(warm_up_count(spec), 1025u);
  spec.params["depth"] = 3;
  EXPECT_EQ(warm_up_count(spec), kWarmUpMessages);
  spec.transport = "pipe";
  spec.params.erase("depth");
  EXPECT_EQ(warm_up_count(spec), kWarmUpMessages);
}

INSTANTIATE_TEST_SUITE_P(Placements, WarmUp, ::testing::Values("thread", "fork", "spawn"));

}  // namespace
}  // namespace ipcmeter
