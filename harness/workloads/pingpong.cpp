// "pingpong": the leader sends, the peer verifies and echoes, the leader verifies the echo.
// Each full round trip is timed and recorded: these are round-trip times, not one-way ones.
#include "harness/clock.hpp"
#include "harness/workloads/workload.hpp"

namespace ipcmeter {

Workload pingpong_workload() {
  return {"pingpong", "round trip, latency percentiles", "round trip", true, true, false,
          [](Endpoint& endpoint, MessageKit& kit, std::uint64_t count, Histogram& round_trips) {
            for (std::uint64_t i = 0; i < count; ++i) {
              std::uint64_t start = now_ns();
              endpoint.send(kit.writer.next());
              kit.verifier.verify(endpoint.recv_view(kit.buffer));
              // Both sides' verification is inside the round trip, so the histogram's mean
              // matches the benchmark's time per iteration.
              round_trips.record(now_ns() - start);
            }
          },
          [](Endpoint& endpoint, MessageKit& kit, std::uint64_t count) {
            for (std::uint64_t i = 0; i < count; ++i) {
              auto message = endpoint.recv_view(kit.buffer);
              kit.verifier.verify(message);
              endpoint.send(message);  // the view stays valid through a send
            }
          }};
}

}  // namespace ipcmeter
