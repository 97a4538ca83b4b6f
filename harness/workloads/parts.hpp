// Workload parts that more than one workload uses.
#pragma once

#include <memory>

#include "harness/message.hpp"
#include "harness/workloads/workload.hpp"

namespace ipcmeter {

// A peer that receives each message, verifies it and sends it straight back (pingpong's
// peer; the paced loop's too).
std::unique_ptr<Follow> make_echo(PeerSide& side);

// A producer's one operation: the writer's next message, with one bit flipped when the
// injected fault strikes here (PeerSide::tick).
inline void send_next(PeerSide& side, Endpoint& link, MessageWriter& writer) {
  if (side.tick()) [[unlikely]] {
    link.send(side.corrupt(writer.next()));
    return;
  }
  link.send(writer.next());
}

}  // namespace ipcmeter
