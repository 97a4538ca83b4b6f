// The workload registry (entries register themselves) and what each side of a workload sees.
#include "harness/workloads/workload.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "harness/events.hpp"
#include "harness/message.hpp"
#include "harness/peer_group.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

const std::vector<Workload>& all_workloads() { return Registry<Workload>::all(); }

void add_workload_for_tests(Workload workload) {
  Registry<Workload>::add_for_tests(std::move(workload));
}

const Workload& find_workload(const std::string& name) {
  if (const Workload* workload = Registry<Workload>::find(name)) return *workload;
  throw UsageError(
      fmt::format("unknown workload '{}' (known: {})", name, Registry<Workload>::names()));
}

const Segment* Workload::segment(const std::string& key) const {
  for (const auto& segment : segments)
    if (segment.key == key) return &segment;
  return nullptr;
}

Segment size_segment() {
  Segment size;
  size.key = "size";
  size.noun = "message size";
  size.min = kMinMessageSize;
  size.max = kMaxMessageSize;
  size.fallback = 64;
  size.note = " bytes; 8 bytes hold the sequence number and checksum";
  return size;
}

LeaderSide::LeaderSide(const RunSpec& run, Handle& hold, PeerGroup& peers, Histogram& latencies,
                       Counters& figures)
    : spec(run),
      handle(hold),
      latency(latencies),
      counters(figures),
      count(run.iterations()),
      group_(peers) {}

void LeaderSide::await_peers() {
  if (reports_.empty()) reports_ = group_.expect_from_all(ControlKind::done);
}

const ControlMessage& LeaderSide::report(int peer) const {
  return reports_.at(static_cast<std::size_t>(peer));
}

std::uint64_t LeaderSide::peers_completed() const {
  std::uint64_t sum = 0;
  for (const auto& report : reports_) sum += report.completed;
  return sum;
}

PeerSide::PeerSide(const PeerSpec& peer, Handle& hold)
    : spec(peer), run(peer.run), handle(hold), count(peer.count) {}

std::span<const std::byte> PeerSide::corrupt(std::span<const std::byte> message) {
  corrupted_.assign(message.begin(), message.end());
  if (!corrupted_.empty()) {
    std::uint64_t bit = (spec.run.fault_after * 0x9E3779B97F4A7C15ull >> 7) % (corrupted_.size() * 8);
    corrupted_[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
  }
  return corrupted_;
}

bool PeerSide::strike() {
  // Every fault point is traced, so an observer knows it was reached (and by which process)
  // before the fault acts: the campaign counts a fault only once it has landed.
  trace_event(fmt::format("struck fault={} pid={} peer={} op={} of={}", fault_name(spec.run.fault),
                          ::getpid(), spec.peer_index, spec.run.fault_after, count));
  switch (spec.run.fault) {
    case Fault::none: break;
    case Fault::announce: return false;
    case Fault::corrupt: return true;
    case Fault::hang:
      // Sleeps until killed; in a thread, until the watchdog's interrupt.
      for (;;) {
        timespec forever{3600, 0};
        if (::nanosleep(&forever, nullptr) != 0) throw_if_interrupted("hang");
      }
    case Fault::exit:
      if (spec.own_process && !spec.keep_process) ::_exit(kPeerFaultExit);
      throw PeerVanished{};
    case Fault::crash:
      if (!spec.own_process) throw UsageError("the crash fault needs a process placement");
      ::raise(SIGKILL);
  }
  throw std::logic_error("a fault struck that is not one");
}

}  // namespace ipcmeter
