// "stream": one-way, peer produces, leader consumes. The leader is the consumer so that the
// timed section ends exactly when the last message has been received and verified.
// "fanin": the same stream from N producers at once into one consumer; each producer's
// messages are tagged with its number, so order is checked per producer.
#include <fmt/core.h>

#include <stdexcept>

#include "harness/message.hpp"
#include "harness/workloads/parts.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

class Consume final : public Lead {
 public:
  // producers == 0: one untagged producer (stream); else fan-in from that many.
  Consume(LeaderSide& side, int producers)
      : side_(side), verifier_(side.spec.param("size"), producers), buffer_(side.spec.param("size")) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      std::span<const std::byte> message;
      try {
        message = link.recv_view(buffer_);
      } catch (const std::length_error& error) {
        // A length prefix read from the middle of a payload: the stream lost its framing.
        throw IntegrityError(fmt::format("message {}: {}", verifier_.verified(), error.what()));
      }
      verifier_.verify(message);
    }
    side_.completed = verifier_.verified();
  }

 private:
  LeaderSide& side_;
  MessageVerifier verifier_;
  std::vector<std::byte> buffer_;
};

class Produce final : public Follow {
 public:
  // producer < 0: the lone, untagged producer of a stream.
  Produce(PeerSide& side, int producer) : side_(side), writer_(side.run.param("size"), producer) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) send_next(side_, link, writer_);
    side_.completed = side_.count;
  }

 private:
  PeerSide& side_;
  MessageWriter writer_;
};

Workload stream_workload() {
  Workload work;
  work.name = "stream";
  work.summary = "one-way producer to consumer, throughput";
  work.iteration = "message";
  work.segments = {size_segment()};
  work.payload_copies = 1;
  work.fills_queues = true;
  work.warm_up = WarmUp::one_way;
  work.peers_send_checked_messages = true;
  work.lead = [](LeaderSide& side) { return std::make_unique<Consume>(side, 0); };
  work.follow = [](PeerSide& side) { return std::make_unique<Produce>(side, -1); };
  return work;
}

Segment producers_segment() {
  Segment producers;
  producers.key = "producers";
  producers.noun = "producers";
  producers.min = 1;
  producers.max = kMaxPeers;  // also below the 255 a message's producer tag can name
  producers.fallback = 1;
  return producers;
}

// Which links several producers may share, and where sharing corrupts.
void validate_fan_in(const RunSpec& spec, const MediumKind& kind) {
  if (!kind.many_senders && kind.shared_write_limit == 0)
    throw UsageError(fmt::format(
        "transport {} is point-to-point: fanin needs one that takes several senders", kind.name));
  std::uint64_t size = spec.param("size");
  bool may_share = kind.many_senders || size <= kind.shared_write_limit;
  if (spec.peer_count() > 1 && !may_share && !spec.allow_shared_writers)
    throw Unsupported(fmt::format("transport {} cannot take {} writers of {}-byte messages: {}",
                                  kind.name, spec.peer_count(), size, kind.shared_writers_hazard));
}

Workload fanin_workload() {
  Workload work;
  work.name = "fanin";
  work.summary = "N producers to one consumer, throughput";
  work.iteration = "message";
  work.segments = {producers_segment(), size_segment()};
  work.peers_key = "producers";
  work.payload_copies = 1;
  work.fills_queues = true;
  work.warm_up = WarmUp::one_way;
  work.peers_send_checked_messages = true;
  work.validate = validate_fan_in;
  work.lead = [](LeaderSide& side) {
    return std::make_unique<Consume>(side, side.spec.peer_count());
  };
  work.follow = [](PeerSide& side) {
    return std::make_unique<Produce>(side, side.spec.peer_index);
  };
  return work;
}

const Registry<Workload>::Add stream_registered{stream_workload};
const Registry<Workload>::Add fanin_registered{fanin_workload};

}  // namespace
}  // namespace ipcmeter
