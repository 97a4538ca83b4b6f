// The workload axis: what the leader and the peers do with the medium. A workload names the
// medium family it runs over, its own name segments (size:, producers:, clients:, ...), what
// an iteration is, and its two parts. Each part is made before timing starts (buffers,
// plans, preloads) and then run inside the timed section; each reports what it actually
// completed and verified, which is what the run's iterations are.
//
// A workload is one file in harness/workloads/ ending with its registration line:
//     const Registry<Workload>::Add registered{stream_workload};
// and nothing else: the matrix measures it over every medium and placement it takes, at its
// segments' fallback values, until the profile (bench/profile.cpp) says more.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/counters.hpp"
#include "harness/histogram.hpp"
#include "harness/medium.hpp"
#include "harness/peer.hpp"
#include "harness/run.hpp"
#include "harness/segment.hpp"
#include "harness/warm_up.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {

class PeerGroup;
struct Workload;

// What the leader's part sees: the spec, its hold on the medium, and the peers' reports.
class LeaderSide {
 public:
  LeaderSide(const RunSpec& spec, Handle& handle, PeerGroup& peers, Histogram& latency,
             Counters& counters);
  const RunSpec& spec;
  Handle& handle;
  Histogram& latency;   // the workload's per-iteration latencies, if it records any
  Counters& counters;   // the leader's own figures
  std::uint64_t count;  // the iterations to lead
  // The iterations the leader completed and verified; its run() sets it.
  std::uint64_t completed = 0;

  // Waits for every peer's report of its part (once; later calls return at once). A
  // workload whose peers do the work ends its timed section here.
  void await_peers();
  // After await_peers: peer i's report.
  const ControlMessage& report(int peer) const;
  std::uint64_t peers_completed() const;  // all peers together

 private:
  PeerGroup& group_;
  std::vector<ControlMessage> reports_;
};

// What a peer's part sees: its spec, its hold on the medium, and the fault point.
class PeerSide {
 public:
  PeerSide(const PeerSpec& spec, Handle& handle);
  const PeerSpec& spec;
  const RunSpec& run;  // spec.run
  Handle& handle;
  std::uint64_t count;  // this peer's share of the iterations
  std::uint64_t completed = 0;  // what it completed (and verified, if it reads); run() sets it
  Counters counters;            // the peer's own figures

  // Call once per operation: where an injected fault (tests and the fault campaign) strikes,
  // and where a peer thread looks at the watchdog's flag. One predictable branch each. True
  // when this operation's message is to be corrupted (the corrupt fault): the caller sends
  // corrupt(message) instead.
  bool tick() {
    if (spec.run.fault != Fault::none && operations_++ == spec.run.fault_after) [[unlikely]]
      return strike();
    // A thread cannot be killed, and one whose messages still flow never blocks where the
    // watchdog's signal would wake it: it stops here, so a run still flowing at its deadline
    // ends with its one line (a peer process is SIGKILLed instead).
    if (in_thread_ && interrupt_requested()) [[unlikely]]
      stop_for_watchdog();
    return false;
  }
  // A copy of the message with one bit flipped (which one follows from the fault's point).
  std::span<const std::byte> corrupt(std::span<const std::byte> message);

 private:
  bool strike();  // returns only for the corrupt fault
  [[noreturn, gnu::cold]] static void stop_for_watchdog() {
    throw Interrupted("a peer thread's operation interrupted by the watchdog");
  }
  std::vector<std::byte> corrupted_;
  std::uint64_t operations_ = 0;
  bool in_thread_ = !spec.own_process;
};

// Thrown by a thread peer's fault to model a peer that vanishes without a word.
struct PeerVanished {};

class Lead {
 public:
  virtual ~Lead() = default;
  virtual void run() = 0;  // timed
  // After every peer has ended and the medium has stopped: checks the end state (a
  // dictionary's last writes); IntegrityError fails the run.
  virtual void check() {}
};

class Follow {
 public:
  virtual ~Follow() = default;
  virtual void run() = 0;  // timed
};

struct Workload {
  std::string name;
  std::string summary;
  std::string iteration;       // what one iteration is: "message", "round trip", "frame"
  std::string medium = "link";  // the family its "transport:" segment names
  std::vector<Segment> segments;
  std::string peers_key;  // the segment that says how many peers; empty: one peer
  // Each side strictly alternates send and receive (so REQ/REP can carry it).
  bool alternating = false;
  // A paced workload's iteration is a frame of this length; zero for the rest.
  std::chrono::nanoseconds frame{0};
  // Payload bytes moved per iteration, in units of the size segment (pingpong moves the
  // message there and back: 2); zero when bytes say nothing.
  unsigned payload_copies = 0;
  // The traffic that warms its medium before timing starts (warm_up.hpp).
  WarmUp warm_up = WarmUp::none;
  // The name of the per-iteration latency the leader records ("rtt"), if any.
  std::string latency;
  // The largest message it sends when it has no size segment (0: the medium's default), and
  // the messages a queue must hold when it has no depth segment (0: the medium's default).
  // A workload with a queue_depth keeps it: its benchmarks over a queue name that depth, and
  // no other can be asked for (election/parallel needs room for every worker's stop).
  std::size_t max_message = 0;
  std::size_t queue_depth = 0;
  // Its producers can run ahead of its consumer, so a queue's depth changes what is measured
  // (stream, fanin): the suite sweeps the depth: segment for it. The rest (a round trip, a
  // frame) have at most one message in flight each way and run at each queue's default.
  bool fills_queues = false;
  // Its peers are workers meant to use every CPU: pinned as Pinning::worker_cpu says, not
  // all on the peer's CPU.
  bool workers_use_every_cpu = false;
  // Its iterations make a pattern of this many (an edit cycle of frames): a sample spans
  // whole patterns. 0: none, the benchmark library decides the iterations. (Which values,
  // media, waits and samples each profile measures is the profile's: bench/profile.cpp.)
  std::uint64_t pattern_iterations = 0;
  // It can run with no medium (transport "none"): its parts take an empty handle and do the
  // work alone (election/ui on placement inline, election/parallel's workers computing).
  bool without_medium = false;
  // Its iterations go as fast as the medium lets them (a closed loop), so a raw loop of the
  // same mechanism is its floor (bench/floors.hpp); false for one paced by a schedule of its
  // own (rate's offered rate), which no raw loop measures.
  bool closed_loop = true;
  // Its peers send messages of the suite's format, which the leader verifies: the corrupt
  // fault (a flipped bit) is caught, and must be.
  bool peers_send_checked_messages = false;
  // The checks only this workload knows (which links fan in, say): UsageError, or
  // Unsupported for a combination listed but not measured.
  std::function<void(const RunSpec&, const MediumKind&)> validate;
  std::function<std::unique_ptr<Lead>(LeaderSide&)> lead;
  std::function<std::unique_ptr<Follow>(PeerSide&)> follow;

  const Segment* segment(const std::string& key) const;
};

const std::vector<Workload>& all_workloads();
// For tests only: adds a workload (first thing in main(), so spawned peers have it too).
void add_workload_for_tests(Workload workload);
// The workload of that name; UsageError listing the known ones otherwise.
const Workload& find_workload(const std::string& name);

// The "size" segment of the message workloads.
Segment size_segment();

}  // namespace ipcmeter
