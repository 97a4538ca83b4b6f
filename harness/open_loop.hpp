// An open-loop schedule (the "rate" workload): message i is meant to leave at
// start + i / rate, whatever happened to the messages before it. Its latency is measured from
// that intended time, not from when it really left, so a consumer that stalls shows up as
// latency for every message meant to leave during the stall (they queue, or the producer falls
// behind its schedule), not for the one message that waited: the correction for coordinated
// omission that wrk2 and HdrHistogram make.
#pragma once

#include <cstdint>

namespace ipcmeter {

class OpenLoopSchedule {
 public:
  // rate: messages per second (>= 1); start: the intended time of message 0, in ns.
  OpenLoopSchedule(std::uint64_t start_ns, std::uint64_t rate) : start_(start_ns), rate_(rate) {}

  // When message i is meant to leave (exact in integers: no drift over a long run).
  std::uint64_t intended(std::uint64_t i) const {
    // Whole seconds, then the rest (below rate_ <= 1e8 messages, times 1e9: within 64 bits).
    return start_ + (i / rate_) * kSecond + ((i % rate_) * kSecond) / rate_;
  }
  // Message i's latency, received at `received_ns`: from its intended time (0 if it arrived
  // before it, which a producer that keeps its schedule never lets happen).
  std::uint64_t latency(std::uint64_t i, std::uint64_t received_ns) const {
    std::uint64_t due = intended(i);
    return received_ns > due ? received_ns - due : 0;
  }
  // The rate achieved by `count` messages whose last arrived at `last_ns`, in messages/s.
  double achieved(std::uint64_t count, std::uint64_t last_ns) const {
    return last_ns > start_ ? static_cast<double>(count) * 1e9 / static_cast<double>(last_ns - start_) : 0.0;
  }
  // Whether the offered rate was sustained: achieved within 5 % of it.
  bool sustained(std::uint64_t count, std::uint64_t last_ns) const {
    return achieved(count, last_ns) >= 0.95 * static_cast<double>(rate_);
  }
  std::uint64_t start() const { return start_; }
  std::uint64_t rate() const { return rate_; }

 private:
  static constexpr std::uint64_t kSecond = 1'000'000'000;
  std::uint64_t start_;
  std::uint64_t rate_;
};

}  // namespace ipcmeter
