// "pingpong": the leader sends, the peer verifies and echoes, the leader verifies the echo.
// Each full round trip is timed and recorded: these are round-trip times, not one-way ones.
#include "harness/clock.hpp"
#include "harness/message.hpp"
#include "harness/workloads/parts.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

class Ask final : public Lead {
 public:
  explicit Ask(LeaderSide& side) : side_(side), kit_(side.spec.param("size")) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      std::uint64_t start = now_ns();
      link.send(kit_.writer.next());
      kit_.verifier.verify(link.recv_view(kit_.buffer));
      // Both sides' verification is inside the round trip, so the histogram's mean matches
      // the benchmark's time per iteration.
      side_.latency.record(now_ns() - start);
    }
    side_.completed = kit_.verifier.verified();
  }

 private:
  LeaderSide& side_;
  MessageKit kit_;
};

class Echo final : public Follow {
 public:
  explicit Echo(PeerSide& side) : side_(side), kit_(side.run.param("size")) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      bool corrupt = side_.tick();
      auto message = link.recv_view(kit_.buffer);
      kit_.verifier.verify(message);
      link.send(corrupt ? side_.corrupt(message) : message);  // a view stays valid through a send
    }
    side_.completed = kit_.verifier.verified();
  }

 private:
  PeerSide& side_;
  MessageKit kit_;
};

Workload pingpong_workload() {
  Workload work;
  work.name = "pingpong";
  work.summary = "round trip, latency percentiles";
  work.iteration = "round trip";
  work.segments = {size_segment()};
  work.alternating = true;
  work.warm_up = WarmUp::round_trips;
  work.peers_send_checked_messages = true;
  work.payload_copies = 2;  // the message goes there and back
  work.latency = "rtt";
  work.lead = [](LeaderSide& side) { return std::make_unique<Ask>(side); };
  work.follow = make_echo;
  return work;
}

const Registry<Workload>::Add registered{pingpong_workload};

}  // namespace

std::unique_ptr<Follow> make_echo(PeerSide& side) { return std::make_unique<Echo>(side); }

}  // namespace ipcmeter
