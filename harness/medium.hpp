// What a run measures through: a link of a transport, a dictionary, a manager serving one
// over a transport. Whatever it is, the leader creates it once (a MediumHost, which owns
// every resource and name) and each peer opens it from an address, exactly as a transport
// is opened; the name in a benchmark's "transport:" segment picks it.
//
// Families: "link" (every registered transport, a queue manager over every transport, and
// "none"; a side holds an Endpoint, or nothing over "none") and "dict" (the dictionaries of
// transports/dict.hpp and a dict manager over every transport; a side holds a Dict). A
// workload says which family it needs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/counters.hpp"
#include "harness/segment.hpp"
#include "transports/dict.hpp"
#include "transports/transport.hpp"

namespace ipcmeter {

struct MediumOptions {
  int peers = 1;
  std::size_t max_message_size = std::size_t{1} << 20;
  WaitStrategy wait = WaitStrategy::block;
  std::size_t capacity = 0;  // messages a queue holds; 0: the medium's own default
  std::size_t keys = 1024;   // how many keys a dictionary is sized for
  // Where a network transport listens so that the peers reach it (TransportOptions::host):
  // empty, loopback; the leader's address when the placement may put peers on other hosts.
  std::string host;
};

// A side's hold on the medium: an endpoint of a link, or a dictionary client.
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::unique_ptr<Endpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  explicit Handle(std::unique_ptr<Dict> dict) : dict_(std::move(dict)) {}

  // The hold as its family's interface; std::logic_error if the family is another.
  Endpoint& endpoint();
  Dict& dict();
  // No medium at all (transport "none"): the part does its work alone.
  bool empty() const { return !endpoint_ && !dict_; }
  // Ends the use in order, reporting errors (an endpoint closes; a manager's client says
  // goodbye, so its server thread ends).
  void close();
  // Lets go of what the other side waits on (an endpoint goes, so a peer sees its end); a
  // dictionary view stays usable for checking the end state.
  void release() noexcept { endpoint_.reset(); }

 private:
  std::unique_ptr<Endpoint> endpoint_;
  std::unique_ptr<Dict> dict_;
};

// The leader's side: owns everything the medium is made of, for the whole run.
class MediumHost {
 public:
  virtual ~MediumHost() = default;  // removes every name; ends any server thread
  // What peer i opens (its address), and the fds it inherits; a forked peer closes the fds
  // of every other peer's link.
  virtual const Link& link(int peer) const = 0;
  // The address peer i opens: its link's, or more (a queue manager's says its largest message,
  // which its client sizes its buffers by).
  virtual std::string address(int peer) const { return link(peer).address(); }
  // Every peer has been started (forked, spawned): threads may start now (a forked child
  // must never inherit a lock held by a running thread). `peer_liveness[i]` hangs up when
  // peer i ends.
  virtual void peers_started(std::span<const int> peer_liveness) { (void)peer_liveness; }
  // The leader's own hold: side a of the link, or the map as its creator reaches it. Opened
  // after peers_started.
  virtual Handle open_leader(std::span<const int> peer_liveness) = 0;
  // Every peer has opened its side: the originals go, so a side that ends is seen.
  virtual void peers_ready() {}
  // Wakes any server thread from a blocking call (the interrupt flag is already set).
  // Async-signal-safe: the watchdog calls it.
  virtual void interrupt() noexcept {}
  // Every peer has ended: ends any server thread and returns the first error one met.
  virtual std::optional<std::string> stop() { return std::nullopt; }
  // The host's own figures (a manager's server CPU time).
  virtual void report(Counters& counters) const { (void)counters; }
};

struct MediumKind {
  std::string name;     // the benchmark name's "transport:" segment
  std::string family;   // "link" or "dict"
  std::string summary;  // one line for --list
  bool crosses_processes = true;
  // The transport's own flags (transport.hpp): whether its sides may be on two hosts, and
  // whether they must be MPI ranks; a map in this process or in shared memory crosses none.
  bool crosses_hosts = false;
  bool ranks_only = false;
  std::vector<WaitStrategy> waits = {WaitStrategy::block};
  // How many peers may share it, and why no more (dict-local has no lock: one client).
  int max_peers = 64;
  std::string max_peers_reason;
  // The transport a link is made of, or a manager talks over; empty for a plain map.
  std::string transport;
  // "none": no medium at all; a workload that can do without one (Workload::without_medium)
  // runs its parts with empty handles: the election UI computing inline, the parallel
  // projection's workers computing with no queue. Its benchmarks name no wait.
  bool none = false;
  // How a link may be used: the transport's own flags for a plain link (transport.hpp says
  // what each means); a manager's queue says its own.
  bool alternating_only = false;
  bool many_senders = false;
  bool many_receivers = false;
  std::size_t shared_write_limit = 0;
  std::string shared_writers_hazard;
  // A queue that holds a count of messages names it in a "depth:" segment, whose fallback is
  // the queue's own default; absent for the rest (a pipe, a socket, a byte ring).
  std::optional<Segment> depth;
  // Every message is a round trip to a server (a queue manager): the profiles measure such
  // a medium in fewer workloads (bench/profile.cpp).
  bool served = false;
  // A manager: a server (threads of the suite's process) answers its clients, a dict's or a
  // queue's; the fault campaign kills the process it lives in.
  bool managed = false;
  // The /dev/shm names it creates itself (Transport::shm_kind), or empty.
  std::string shm_kind;
  std::string shm_first_suffix;
  std::function<std::unique_ptr<MediumHost>(const MediumOptions&)> create;
  // A peer's side, from the address; `leader` hangs up when the leader's side ends.
  std::function<Handle(const std::string& address, Liveness leader)> open;
};

// Every medium: a link per transport, the dictionaries, a dict manager and a queue manager
// per transport (tests' faulty transports excepted). Built on first use, after any test transports.
const std::vector<MediumKind>& all_media();
// The medium of that name in that family; a UsageError naming the family's known ones.
const MediumKind& find_medium(const std::string& name, const std::string& family);
// The same, or nullptr: for describing a spec that may not be valid.
const MediumKind* find_medium_or_null(const std::string& name, const std::string& family);
std::vector<std::string> medium_names(const std::string& family);
// A medium reached over `transport` (a link of it, or a server whose clients' links are of
// it): the transport's reach (processes, hosts, MPI ranks) and wait strategies, named.
MediumKind reached_over(const Transport& transport, std::string name, std::string family);

// A dictionary manager over a transport (harness/dict_manager.cpp).
MediumKind dict_manager_medium(const Transport& transport);
// A queue manager over a transport (harness/queue_manager.cpp): a link whose messages pass
// through a bounded queue the leader's server threads hold.
MediumKind queue_manager_medium(const Transport& transport);

// The "depth:" segment of a queue whose own default is `fallback` messages: 1 to kMaxDepth.
constexpr std::uint64_t kMaxDepth = 65536;
Segment depth_segment(std::uint64_t fallback);
// A queue is kept within this many bytes of messages (depth x message size) per direction:
// deeper queues of larger messages are listed as unsupported, not measured.
constexpr std::uint64_t kMaxQueueBytes = std::uint64_t{64} << 20;

}  // namespace ipcmeter
