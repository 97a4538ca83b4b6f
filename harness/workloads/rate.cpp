// "rate": open loop. The peer produces at a fixed offered rate (the rate: segment, messages/s),
// each message meant to leave at its time on a schedule that never waits for the consumer; the
// leader consumes and records each message's latency from its intended send time
// (open_loop.hpp), so queueing behind a slow consumer is counted for every message it delays,
// not hidden as a closed loop hides it (coordinated omission). Its counters: the offered and
// achieved rates, whether the offered rate was sustained, and the latency percentiles.
//
// The schedule's start travels as the first message (8 bytes, before the checked ones): both
// sides read one clock (CLOCK_MONOTONIC), so the peer must be on the leader's host.
#include <fmt/core.h>
#include <sys/prctl.h>
#include <time.h>

#include <cstring>
#include <stdexcept>

#include "harness/clock.hpp"
#include "harness/message.hpp"
#include "harness/open_loop.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/parts.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {
namespace {

class Receive final : public Lead {
 public:
  explicit Receive(LeaderSide& side)
      : side_(side), verifier_(side.spec.param("size")), buffer_(side.spec.param("size")) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    OpenLoopSchedule schedule(read_start(link), side_.spec.param("rate"));
    std::uint64_t last = schedule.start();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      std::span<const std::byte> message;
      try {
        message = link.recv_view(buffer_);
      } catch (const std::length_error& error) {
        throw IntegrityError(fmt::format("message {}: {}", verifier_.verified(), error.what()));
      }
      last = now_ns();
      verifier_.verify(message);
      side_.latency.record(schedule.latency(i, last));
    }
    side_.completed = verifier_.verified();
    side_.counters.add("offered_per_s", static_cast<double>(schedule.rate()));
    side_.counters.add("achieved_per_s", schedule.achieved(side_.count, last));
    side_.counters.add("sustained", schedule.sustained(side_.count, last) ? 1.0 : 0.0);
  }

 private:
  std::uint64_t read_start(Endpoint& link) {
    auto first = link.recv_view(buffer_);
    if (first.size() != sizeof(std::uint64_t))
      throw IntegrityError(
          fmt::format("the schedule's start: a message of {} bytes, not {}", first.size(), sizeof(std::uint64_t)));
    std::uint64_t start = 0;
    std::memcpy(&start, first.data(), sizeof start);
    return start;
  }

  LeaderSide& side_;
  MessageVerifier verifier_;
  std::vector<std::byte> buffer_;
};

class Send final : public Follow {
 public:
  explicit Send(PeerSide& side) : side_(side), writer_(side.run.param("size")) {}

  void run() override {
    // The sleeps end on time, not up to 50 us late (the default timer slack of this thread).
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    Endpoint& link = side_.handle.endpoint();
    OpenLoopSchedule schedule(now_ns(), side_.run.param("rate"));
    std::uint64_t start = schedule.start();
    std::byte word[sizeof start];
    std::memcpy(word, &start, sizeof start);
    link.send(std::span<const std::byte>(word, sizeof word));
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      wait_until(schedule.intended(i));  // at once when behind: never skips, never catches up early
      send_next(side_, link, writer_);
    }
    side_.completed = side_.count;
  }

 private:
  // Blocking: sleeps until the time (clock_nanosleep, absolute); spinning or hybrid: spins.
  void wait_until(std::uint64_t due) const {
    if (side_.run.wait != WaitStrategy::block) {
      while (now_ns() < due) cpu_relax();
      return;
    }
    timespec at{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
    while (now_ns() < due && ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
  }

  PeerSide& side_;
  MessageWriter writer_;
};

Segment rate_segment() {
  Segment rate;
  rate.key = "rate";
  rate.noun = "offered rate";
  rate.min = 1;
  rate.max = 100'000'000;
  rate.fallback = 10'000;
  rate.note = " messages/s";
  return rate;
}

void validate_rate(const RunSpec& spec, const MediumKind&) {
  if (find_placement(spec.placement).remote)
    throw Unsupported("rate measures latency from the intended send time on one clock: a peer on "
                      "another host reads its own");
}

Workload rate_workload() {
  Workload work;
  work.name = "rate";
  work.summary =
      "open loop: one producer at a fixed offered rate (rate:max: the link's closed-loop maximum, "
      "measured first), latency from the intended send time";
  work.iteration = "message";
  work.segments = {rate_segment(), size_segment()};
  work.payload_copies = 1;
  work.fills_queues = false;  // the offered rate, not the queue, sets what is in flight
  work.warm_up = WarmUp::one_way;
  work.closed_loop = false;
  work.latency = "latency";
  work.peers_send_checked_messages = true;
  work.validate = validate_rate;
  work.lead = [](LeaderSide& side) { return std::make_unique<Receive>(side); };
  work.follow = [](PeerSide& side) { return std::make_unique<Send>(side); };
  return work;
}

const Registry<Workload>::Add registered{rate_workload};

}  // namespace
}  // namespace ipcmeter
