// Warm before go. Between "ready" and "go" every run moves traffic of its own shape over its
// medium, so that connections are established (a TCP or ZeroMQ handshake, the run's token),
// every queue slot has been used once and the buffers the timed section uses have been
// touched; only then does timing start. What the first message cost is kept apart, as a
// counter of its own: a short-lived worker pays it, a steady figure must not.
//
// Why it matters here: on this kind of virtual machine the first access to a page through a
// new mapping costs 5-20 us (a fault, or the hypervisor building its shadow entry), so the
// first lap of a 64 MiB queue costs 0.3 s, and a few cold messages measured as the steady
// state made a 0.25 ms round trip read 10 ms.
#pragma once

#include <cstdint>

namespace ipcmeter {

class LeaderSide;
class PeerSide;
struct RunSpec;

// The traffic a workload warms its medium with.
enum class WarmUp {
  none,         // its iterations are long and few (a frame, a projection): nothing to warm
  round_trips,  // one peer: the leader sends, the peer echoes (pingpong, paced)
  one_way,      // every peer sends, the leader receives (stream, fanin)
  operations,   // every client reads (a get per key, the dictionary workloads)
};

// Messages (or operations) per peer: at least kWarmUpMessages (enough for a connection's slow
// start and a few wake-ups on each side), and one more than a queue's depth, so that
// a queue that hands out its slots in turn (Boost's message_queue does) has used every one.
constexpr std::uint64_t kWarmUpMessages = 16;
std::uint64_t warm_up_count(const RunSpec& spec);

// Each side's half, called by run() and by the peer between "ready" and "go". The leader
// records what its first message cost: "cold_rtt_ns" (the first round trip) or
// "cold_first_ns" (the first message one way, timed against the sender's clock: only where
// both sides share the clock, one host).
void warm_up_leader(WarmUp shape, LeaderSide& side);
void warm_up_peer(WarmUp shape, PeerSide& side);

}  // namespace ipcmeter
