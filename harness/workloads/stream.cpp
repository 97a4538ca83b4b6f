// "stream": one-way, peer produces, leader consumes. The leader is the consumer so that the
// timed section ends exactly when the last message has been received and verified.
#include "harness/workloads/workload.hpp"

namespace ipcmeter {

Workload stream_workload() {
  return {"stream", "one-way producer to consumer, throughput", "message", false, false,
          [](Endpoint& endpoint, MessageKit& kit, std::uint64_t count, Histogram&) {
            for (std::uint64_t i = 0; i < count; ++i) {
              std::size_t n = endpoint.recv(kit.buffer);
              kit.verifier.verify(std::span(kit.buffer).first(n));
            }
          },
          [](Endpoint& endpoint, MessageKit& kit, std::uint64_t count) {
            for (std::uint64_t i = 0; i < count; ++i) endpoint.send(kit.writer.next());
          }};
}

}  // namespace ipcmeter
