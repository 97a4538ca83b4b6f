// The measurement sequence shared by every workload, transport and placement.
#include "harness/paired_run.hpp"

#include <algorithm>
#include <optional>

#include "harness/clock.hpp"
#include "harness/control.hpp"
#include "harness/message.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/watchdog.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// After the leader is done (or has failed), a healthy peer ends within milliseconds;
// this is how long it gets before it is killed.
constexpr std::chrono::milliseconds kTeardownGrace{2000};

std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

std::string RunSpec::describe() const {
  return workload + " transport:" + transport + " placement:" + placement +
         " wait:" + wait_name(wait) + (peers > 1 ? " producers:" + std::to_string(peers) : "") +
         " size:" + std::to_string(size);
}

void RunSpec::validate() const {
  find_workload(workload);
  const Transport& link_transport = find_transport(transport);
  const Placement& where = find_placement(placement);
  if (where.separate_process && !link_transport.crosses_processes)
    throw UsageError("transport " + transport + " works between threads only, not " + placement);
  if (std::find(link_transport.waits.begin(), link_transport.waits.end(), wait) ==
      link_transport.waits.end())
    throw UsageError("transport " + transport + " has no wait strategy " + wait_name(wait));
  const Workload& work = find_workload(workload);
  if (peers < 1 || peers > kMaxProducers)
    throw UsageError("producers must be 1 to " + std::to_string(kMaxProducers));
  if (peers > 1 && !work.fan_in)
    throw UsageError("workload " + workload + " has one peer; fanin takes several");
  bool may_share = link_transport.many_senders || size <= link_transport.shared_write_limit;
  if (peers > 1 && !may_share && !allow_shared_writers)
    throw UsageError("transport " + transport + " cannot take " + std::to_string(peers) +
                     " writers of " + std::to_string(size) + "-byte messages: " +
                     (link_transport.shared_writers_hazard.empty()
                          ? std::string("it is point-to-point")
                          : link_transport.shared_writers_hazard));
  if (link_transport.alternating_only && !work.alternating)
    throw UsageError("transport " + transport + " alternates send and receive; workload " +
                     workload + " does not");
  if (size < kMinMessageSize || size > kMaxMessageSize)
    throw UsageError("message size " + std::to_string(size) + " is out of range (" +
                     std::to_string(kMinMessageSize) + " to " + std::to_string(kMaxMessageSize) +
                     " bytes; 8 bytes hold the sequence number and checksum)");
  if (count == 0) throw UsageError("a run needs at least one iteration");
  if (timeout.count() <= 0) throw UsageError("the timeout must be positive");
  if (fault == Fault::crash && !where.separate_process)
    throw UsageError("the crash fault needs a process placement");
}

namespace {

// One peer of a run, as the harness sees it.
struct PeerSlot {
  explicit PeerSlot(Fd harness_end) : control(std::move(harness_end)) {}
  ControlChannel control;
  std::unique_ptr<RunningPeer> peer;
  std::optional<std::string> error;  // what the peer said went wrong
  bool error_is_echo = false;        // ...only that the leader's side went away
  bool reported = false;             // sent "done"
  int end_code = kPeerDone;
};

// Waits for every peer's next control message; throws PeerClosed (noting a peer's own
// error in its slot) unless each sent `expected`.
void expect_from_all(std::vector<PeerSlot>& slots, ControlKind expected,
                     std::uint64_t* cpu_sum = nullptr) {
  for (auto& slot : slots) {
    auto message = slot.control.receive();
    if (message && message->kind == ControlKind::failed) {
      slot.error = message->text;
      slot.error_is_echo = message->because_other_side_closed;
      throw PeerClosed("peer failed");
    }
    if (!message || message->kind != expected)
      throw PeerClosed(expected == ControlKind::ready ? "peer never became ready"
                                                     : "peer ended without a result");
    if (cpu_sum) *cpu_sum += message->cpu_ns;
    if (expected == ControlKind::done) slot.reported = true;
  }
}

}  // namespace

RunResult run_pair(const RunSpec& spec, const TimedSectionHooks& hooks) {
  spec.validate();
  const Workload& workload = find_workload(spec.workload);
  const Transport& transport = find_transport(spec.transport);
  const Placement& placement = find_placement(spec.placement);
  install_process_guard();

  RunResult result;
  result.count = spec.count;
  const int peers = spec.peers;
  MessageKit kit(spec.size, -1, workload.fan_in ? peers : 0);
  clear_interrupt();
  ScopedPin leader_pin(spec.pinning.leader_cpu);

  TransportOptions options;
  options.max_message_size = spec.size;
  options.wait = spec.wait;
  options.senders = peers;
  Link link = transport.create(options);

  std::vector<PeerSlot> slots;
  std::vector<Fd> peer_ends;
  std::vector<int> harness_fds;
  for (int i = 0; i < peers; ++i) {
    auto [harness_end, peer_end] = make_control_pair();
    harness_fds.push_back(harness_end.get());
    slots.emplace_back(std::move(harness_end));
    peer_ends.push_back(std::move(peer_end));
  }
  for (int i = 0; i < peers; ++i) {
    PeerLaunch launch;
    launch.spec.workload = spec.workload;
    launch.spec.transport = spec.transport;
    launch.spec.address = link.address();
    launch.spec.size = spec.size;
    // The iterations are shared out; the first peers take one more when they do not divide.
    launch.spec.count = spec.count / peers + (static_cast<std::uint64_t>(i) < spec.count % peers);
    launch.spec.peer_index = i;
    launch.spec.peers = peers;
    launch.spec.cpu = spec.pinning.peer_cpu;
    launch.spec.fault = spec.fault;
    launch.spec.fault_after = spec.fault_after;
    launch.control = std::move(peer_ends[i]);
    // A forked peer must not keep any other peer's control channel open.
    launch.harness_fds = harness_fds;
    for (int j = i + 1; j < peers; ++j) launch.harness_fds.push_back(peer_ends[j].get());
    launch.link = &link;
    slots[i].peer = placement.start(std::move(launch));
  }

  // Runs in this thread's signal handler, so this thread's blocked call is already
  // interrupted; the peers are killed (processes) or woken (threads).
  std::vector<RunningPeer*> to_stop;
  for (auto& slot : slots) to_stop.push_back(slot.peer.get());
  WatchdogGuard watchdog(spec.timeout, [&to_stop] {
    request_interrupt();
    for (RunningPeer* peer : to_stop) peer->stop();
  });

  std::unique_ptr<Endpoint> endpoint;
  std::optional<std::string> leader_error;
  bool leader_error_is_echo = false;  // the leader only saw a peer go away
  try {
    endpoint = transport.open(link.address(), Side::a);
    expect_from_all(slots, ControlKind::ready);
    // Every side holds its own copies now; the originals would hide a peer's exit.
    link.close_fds();

    if (hooks.on_start) hooks.on_start();
    std::uint64_t cpu_start = thread_cpu_ns();
    std::uint64_t start = now_ns();
    for (auto& slot : slots) slot.control.send({ControlKind::go, 0, {}});
    workload.lead(*endpoint, kit, spec.count, result.round_trips);
    result.elapsed_ns = now_ns() - start;
    result.leader_cpu_ns = thread_cpu_ns() - cpu_start;
    if (hooks.on_end) hooks.on_end();

    expect_from_all(slots, ControlKind::done, &result.peer_cpu_ns);
  } catch (const PeerClosed& error) {
    leader_error = error.what();
    leader_error_is_echo = true;
  } catch (const std::exception& error) {
    leader_error = error.what();
  }

  // Tear-down, whatever happened: closing our end tells a waiting peer to finish.
  endpoint.reset();
  link.close_fds();
  for (auto& slot : slots) {
    if (leader_error && !slot.error) {
      if (auto message = slot.control.poll(); message && message->kind == ControlKind::failed) {
        slot.error = message->text;
        slot.error_is_echo = message->because_other_side_closed;
      }
    }
    slot.control.close();  // releases a peer that is waiting to be let go
  }
  bool all_done = true;
  for (auto& slot : slots) {
    slot.end_code = slot.peer->wait(kTeardownGrace);
    all_done = all_done && slot.reported && slot.end_code == kPeerDone;
  }
  bool timed_out = watchdog.fired();
  if (!leader_error && all_done) return result;

  // The most telling reason: a timeout; else the first real failure, a peer's before the
  // leader's (a side that only saw the other go away is echoing, not explaining); else how
  // a peer ended; else whatever was said.
  auto which = [&](std::size_t i) {
    return peers > 1 ? "peer " + std::to_string(i) : std::string("peer");
  };
  std::string reason;
  if (timed_out) reason = "timed out after " + seconds_text(spec.timeout) + " (peer hung or too slow)";
  for (std::size_t i = 0; i < slots.size() && reason.empty(); ++i)
    if (slots[i].error && !slots[i].error_is_echo) reason = which(i) + ": " + *slots[i].error;
  if (reason.empty() && leader_error && !leader_error_is_echo) reason = *leader_error;
  for (std::size_t i = 0; i < slots.size() && reason.empty(); ++i) {
    int code = slots[i].end_code;
    if (code != kPeerDone && code != kPeerFailed)
      reason = describe_peer_end(code) +
               (leader_error ? " (leader: " + *leader_error + ")" : std::string());
  }
  for (std::size_t i = 0; i < slots.size() && reason.empty(); ++i)
    if (slots[i].error) reason = which(i) + ": " + *slots[i].error;
  if (reason.empty()) reason = leader_error ? *leader_error : describe_peer_end(slots[0].end_code);
  throw RunFailure(spec.describe() + ": " + reason);
}

}  // namespace ipcmeter
