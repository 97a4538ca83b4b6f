// "paced": a UI-style loop ticking at 60 Hz. Each frame it sends one request; between frames
// it waits for replies the way a GUI main loop does (gobject.idle_add in the documents):
// polling the link with a timeout that ends at the next frame, never blocking on it. The
// peer echoes. An iteration is a frame, so a run lasts count x 16.7 ms (or a duration).
// Figures: request-to-reply latency as the loop sees it, frames missed (frame_loop.hpp: the
// one definition), and the loop's CPU per frame (leader_cpu_ns_per_iter).
#include <vector>

#include "harness/clock.hpp"
#include "harness/frame_loop.hpp"
#include "harness/message.hpp"
#include "harness/workloads/parts.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

class PacedLoop final : public Lead {
 public:
  explicit PacedLoop(LeaderSide& side)
      : side_(side), kit_(side.spec.param("size")), sent_at_(side.count) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    std::uint64_t missed = run_frames(
        side_.count,
        [&](std::uint64_t f) {
          sent_at_[f] = now_ns();
          link.send(kit_.writer.next());
        },
        [&](std::uint64_t deadline) { idle_until(link, deadline); });
    // The last replies may land after the last frame: wait for them, still by polling.
    const auto frame = static_cast<std::uint64_t>(kFrame.count());
    while (received_ < side_.count) idle_until(link, now_ns() + frame);
    side_.counters.add("frames_missed", static_cast<double>(missed));
    side_.completed = received_;
  }

 private:
  // Takes every reply that arrives before `deadline`, waiting in poll, never in a receive.
  void idle_until(Endpoint& link, std::uint64_t deadline) {
    for (std::uint64_t now = now_ns(); now < deadline; now = now_ns()) {
      if (!link.poll(std::chrono::nanoseconds(deadline - now))) continue;
      kit_.verifier.verify(link.recv_view(kit_.buffer));
      side_.latency.record(now_ns() - sent_at_[received_++]);
    }
  }

  LeaderSide& side_;
  MessageKit kit_;
  std::vector<std::uint64_t> sent_at_;  // when each frame's request went
  std::uint64_t received_ = 0;
};

Workload paced_workload() {
  Workload work;
  work.name = "paced";
  work.summary = "60 Hz loop: a request per frame, replies polled without blocking";
  work.iteration = "frame";
  work.segments = {size_segment()};
  work.frame = kFrame;
  work.warm_up = WarmUp::round_trips;
  work.payload_copies = 2;
  work.latency = "reply";
  work.lead = [](LeaderSide& side) { return std::make_unique<PacedLoop>(side); };
  work.follow = make_echo;
  return work;
}

const Registry<Workload>::Add registered{paced_workload};

}  // namespace
}  // namespace ipcmeter
