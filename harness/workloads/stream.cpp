// "stream": one-way, peer produces, leader consumes. The leader is the consumer so that the
// timed section ends exactly when the last message has been received and verified.
#include <stdexcept>

#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

namespace {
void consume(Endpoint& endpoint, MessageKit& kit, std::uint64_t count, Histogram&) {
  for (std::uint64_t i = 0; i < count; ++i) {
    std::span<const std::byte> message;
    try {
      message = endpoint.recv_view(kit.buffer);
    } catch (const std::length_error& error) {
      // A length prefix read from the middle of a payload: the stream lost its framing.
      throw IntegrityError("message " + std::to_string(kit.verifier.verified()) + ": " +
                           error.what());
    }
    kit.verifier.verify(message);
  }
}
void produce(Endpoint& endpoint, MessageKit& kit, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) endpoint.send(kit.writer.next());
}
}  // namespace

Workload stream_workload() {
  return {"stream", "one-way producer to consumer, throughput", "message", false, false, false,
          consume, produce};
}

// "fanin": the same one-way stream from several producers at once into one consumer; the
// harness shares the iterations out and tags each producer's messages.
Workload fanin_workload() {
  return {"fanin", "N producers to one consumer, throughput", "message", false, false, true,
          consume, produce};
}

}  // namespace ipcmeter
