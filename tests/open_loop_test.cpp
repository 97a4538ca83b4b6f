// The open loop ("rate"): its schedule's arithmetic on crafted timelines, and real runs that
// keep the schedule.
#include "harness/open_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "harness/run.hpp"
#include "tests/test_support.hpp"

namespace ipcmeter {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

TEST(OpenLoopSchedule, IntendedTimesDoNotDrift) {
  // Message `rate` is meant to leave exactly one second after message 0, for rates that do
  // not divide a second evenly too; and message i never before i / rate.
  for (std::uint64_t rate : {1ull, 3ull, 7ull, 1000ull, 999'983ull, 100'000'000ull}) {
    OpenLoopSchedule schedule(5 * kMs, rate);
    EXPECT_EQ(schedule.intended(0), 5 * kMs);
    EXPECT_EQ(schedule.intended(rate), 5 * kMs + 1'000'000'000) << rate;
    EXPECT_EQ(schedule.intended(10 * rate), 5 * kMs + 10'000'000'000ull) << rate;
    for (std::uint64_t i = 1; i < 50; ++i)
      EXPECT_GE(schedule.intended(i) - schedule.intended(i - 1), 1'000'000'000 / rate) << rate;
  }
}

// A crafted timeline: a producer on the schedule (it sends at its intended time, or as soon
// as the queue has room when it is full, never skipping), a queue `depth` deep, and a consumer
// that takes `service` per message but stops for `stall` once it has taken `stall_at`.
struct Timeline {
  std::vector<std::uint64_t> sent;      // when each message really left
  std::vector<std::uint64_t> received;  // when the consumer took it
};

Timeline simulate(const OpenLoopSchedule& schedule, std::uint64_t count, std::size_t depth,
                  std::uint64_t service, std::uint64_t stall_at, std::uint64_t stall) {
  Timeline t;
  std::deque<std::uint64_t> queue;  // the times messages entered it, oldest first
  std::uint64_t consumer_free = schedule.start();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t at = schedule.intended(i);
    if (queue.size() == depth) {  // full: the producer waits for the consumer's next take
      at = std::max(at, t.received[i - depth]);
      queue.pop_front();
    }
    t.sent.push_back(at);
    queue.push_back(at);
    std::uint64_t take = std::max(consumer_free, at);
    if (i == stall_at) take += stall;
    t.received.push_back(take);
    consumer_free = take + service;
  }
  return t;
}

TEST(OpenLoopSchedule, AStalledConsumerDelaysEveryMessageSentDuringTheStall) {
  // 10,000 messages/s (one every 100 us), a consumer that needs 10 us a message and stops for
  // 20 ms at message 500, a queue 8 deep: about 200 messages were meant to leave during the
  // stall, and each of them waited.
  OpenLoopSchedule schedule(0, 10'000);
  Timeline t = simulate(schedule, 2000, 8, 10'000, 500, 20 * kMs);
  std::uint64_t corrected_slow = 0, closed_loop_slow = 0;
  for (std::uint64_t i = 0; i < t.received.size(); ++i) {
    if (schedule.latency(i, t.received[i]) >= 1 * kMs) ++corrected_slow;
    if (t.received[i] - t.sent[i] >= 1 * kMs) ++closed_loop_slow;  // from when it really left
  }
  // From the intended time: every message meant to leave in the first 19 ms of the stall
  // (190 of them) waited at least 1 ms, plus those queued behind while the consumer caught up.
  EXPECT_GE(corrected_slow, 190u);
  // From when each really left, the stall hides behind the full queue: only the 8 messages
  // queued when the producer blocked (and the one the consumer held) look slow.
  EXPECT_LE(closed_loop_slow, 9u);
  // Message 500 itself waited the whole stall, and the last one is back to its service time.
  EXPECT_GE(schedule.latency(500, t.received[500]), 20 * kMs);
  EXPECT_LT(schedule.latency(1999, t.received[1999]), 1 * kMs);
}

TEST(OpenLoopSchedule, SustainedOnlyWhenTheLastMessageIsOnTime) {
  OpenLoopSchedule schedule(0, 1000);  // 1,000 messages in a second
  EXPECT_TRUE(schedule.sustained(1000, schedule.intended(999) + 50'000));
  EXPECT_NEAR(schedule.achieved(1000, 1'000'000'000), 1000.0, 1e-9);
  // Half as fast: the last of 1,000 arrived after two seconds.
  EXPECT_FALSE(schedule.sustained(1000, 2'000'000'000));
  EXPECT_NEAR(schedule.achieved(1000, 2'000'000'000), 500.0, 1e-9);
}

class RateRuns : public testing::NoLeftovers, public ::testing::WithParamInterface<const char*> {};

TEST_P(RateRuns, TheProducerKeepsItsScheduleAndEveryMessageHasALatency) {
  // 2,000 messages/s for 200 messages: the consumer cannot finish before the schedule lets it,
  // so the achieved rate is at most count / (count - 1) of the offered one, however fast the
  // link is; and every message verified has its latency recorded.
  constexpr std::uint64_t kCount = 200, kRate = 2000;
  RunResult result = run(testing::spec_of("rate", "pipe", GetParam(), {{"size", 64}, {"rate", kRate}}, kCount));
  EXPECT_EQ(result.peer_iterations, kCount);
  EXPECT_EQ(result.latency.count(), kCount);
  const Counter* achieved = result.counters.find("achieved_per_s");
  const Counter* offered = result.counters.find("offered_per_s");
  ASSERT_NE(achieved, nullptr);
  ASSERT_NE(offered, nullptr);
  EXPECT_EQ(offered->value, static_cast<double>(kRate));
  EXPECT_LE(achieved->value, kRate * static_cast<double>(kCount) / (kCount - 1) * 1.0001);
  EXPECT_GE(result.elapsed_ns, (kCount - 1) * 1'000'000'000 / kRate);
}

INSTANTIATE_TEST_SUITE_P(Placements, RateRuns, ::testing::Values("thread", "fork", "spawn"));

}  // namespace
}  // namespace ipcmeter
