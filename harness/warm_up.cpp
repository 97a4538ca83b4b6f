// Warm before go (see warm_up.hpp).
#include "harness/warm_up.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "harness/clock.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/dict.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

// A warm-up message: the send time in its first 8 bytes (a message is at least 8), the rest
// a fixed pattern. It is not one of the run's messages: the timed section's sequence and
// checksums start after it.
class WarmUpMessage {
 public:
  explicit WarmUpMessage(std::size_t size) : bytes_(size, std::byte{0x5a}), buffer_(size) {}
  std::span<const std::byte> stamped() {
    std::uint64_t now = now_ns();
    std::memcpy(bytes_.data(), &now, sizeof now);
    return bytes_;
  }
  // Receives the index-th one and returns when it was sent; a message of another size, or a
  // stream that lost its framing, fails the run as the timed section's checks would.
  std::uint64_t receive(Endpoint& link, std::uint64_t index) {
    std::span<const std::byte> got;
    try {
      got = link.recv_view(buffer_);
    } catch (const std::length_error& error) {
      throw IntegrityError(fmt::format("warm-up message {}: {}", index, error.what()));
    }
    if (got.size() != bytes_.size())
      throw IntegrityError(fmt::format("warm-up message {}: wrong size {} (expected {})", index,
                                       got.size(), bytes_.size()));
    std::uint64_t sent = 0;
    std::memcpy(&sent, got.data(), sizeof sent);
    return sent;
  }
  std::span<std::byte> buffer() { return buffer_; }

 private:
  std::vector<std::byte> bytes_;
  std::vector<std::byte> buffer_;
};

bool one_host(const RunSpec& spec) { return find_placement(spec.placement).remote == nullptr; }

void round_trips_leader(LeaderSide& side, std::uint64_t count) {
  if (side.spec.peer_count() != 1)
    throw std::logic_error("round-trip warm-up needs a workload with one peer");
  Endpoint& link = side.handle.endpoint();
  WarmUpMessage message(side.spec.max_message());
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t start = now_ns();
    link.send(message.stamped());
    message.receive(link, i);
    if (i == 0) side.counters.add("cold_rtt_ns", static_cast<double>(now_ns() - start));
  }
}

void one_way_leader(LeaderSide& side, std::uint64_t count) {
  Endpoint& link = side.handle.endpoint();
  WarmUpMessage message(side.spec.max_message());
  std::uint64_t total = count * static_cast<std::uint64_t>(side.spec.peer_count());
  for (std::uint64_t i = 0; i < total; ++i) {
    std::uint64_t sent = message.receive(link, i);
    if (i == 0 && one_host(side.spec))
      side.counters.add("cold_first_ns", static_cast<double>(now_ns() - sent));
  }
}

// Gets spread over the keys, each verified as a get in the run is: the path to the map (a
// manager's link, a shared segment's lock) warmed. Not every key: over a manager each get is
// a round trip, and 1,024 of them cost 60 ms when each wakes the other vCPU; a map in shared
// memory is pre-faulted by its transport instead.
void operations_peer(PeerSide& side, std::uint64_t count) {
  Dict& dict = side.handle.dict();
  for (std::uint64_t i = 0; i < count; ++i) {
    DictKey key = (i * kDictKeys / count + static_cast<std::uint64_t>(side.spec.peer_index)) % kDictKeys;
    std::optional<DictValue> value = dict.get(key);
    if (!value || value->check != dict_check(key, value->stamp))
      throw IntegrityError(fmt::format("warm-up get of key {}: {}", key,
                                       value ? "value fails its check" : "missing"));
  }
}

}  // namespace

std::uint64_t warm_up_count(const RunSpec& spec) {
  std::uint64_t count = kWarmUpMessages;
  const Workload& work = find_workload(spec.workload);
  const MediumKind& kind = find_medium(spec.transport, work.medium);
  if (kind.depth) count = std::max(count, spec.param(kind.depth->key) + 1);
  return count;
}

void warm_up_leader(WarmUp shape, LeaderSide& side) {
  switch (shape) {
    case WarmUp::none:
    case WarmUp::operations: return;  // the clients warm the dictionary, the leader waits
    case WarmUp::round_trips: return round_trips_leader(side, warm_up_count(side.spec));
    case WarmUp::one_way: return one_way_leader(side, warm_up_count(side.spec));
  }
}

void warm_up_peer(WarmUp shape, PeerSide& side) {
  std::uint64_t count = warm_up_count(side.run);
  switch (shape) {
    case WarmUp::none: return;
    case WarmUp::operations: return operations_peer(side, count);
    case WarmUp::round_trips: {
      Endpoint& link = side.handle.endpoint();
      WarmUpMessage message(side.run.max_message());
      for (std::uint64_t i = 0; i < count; ++i) {
        std::span<const std::byte> got = link.recv_view(message.buffer());
        link.send(got);  // a view stays valid through a send
      }
      return;
    }
    case WarmUp::one_way: {
      Endpoint& link = side.handle.endpoint();
      WarmUpMessage message(side.run.max_message());
      for (std::uint64_t i = 0; i < count; ++i) link.send(message.stamped());
      return;
    }
  }
}

}  // namespace ipcmeter
