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
         " wait:" + wait_name(wait) + " size:" + std::to_string(size);
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
  if (link_transport.alternating_only && !find_workload(workload).alternating)
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

RunResult run_pair(const RunSpec& spec, const TimedSectionHooks& hooks) {
  spec.validate();
  const Workload& workload = find_workload(spec.workload);
  const Transport& transport = find_transport(spec.transport);
  const Placement& placement = find_placement(spec.placement);
  install_process_guard();

  RunResult result;
  result.count = spec.count;
  MessageKit kit(spec.size);
  clear_interrupt();
  ScopedPin leader_pin(spec.pinning.leader_cpu);

  TransportOptions options;
  options.max_message_size = spec.size;
  options.wait = spec.wait;
  Link link = transport.create(options);
  auto [harness_end, peer_end] = make_control_pair();
  ControlChannel control(std::move(harness_end));

  PeerLaunch launch;
  launch.spec.workload = spec.workload;
  launch.spec.transport = spec.transport;
  launch.spec.address = link.address();
  launch.spec.size = spec.size;
  launch.spec.count = spec.count;
  launch.spec.cpu = spec.pinning.peer_cpu;
  launch.spec.fault = spec.fault;
  launch.spec.fault_after = spec.fault_after;
  launch.control = std::move(peer_end);
  launch.harness_control_fd = control.fd();
  launch.link = &link;
  std::unique_ptr<RunningPeer> peer = placement.start(std::move(launch));

  // Runs in this thread's signal handler, so this thread's blocked call is already
  // interrupted; the peer is killed (process) or woken (thread).
  RunningPeer* peer_to_stop = peer.get();
  WatchdogGuard watchdog(spec.timeout, [peer_to_stop] {
    request_interrupt();
    peer_to_stop->stop();
  });

  std::unique_ptr<Endpoint> endpoint;
  std::optional<std::string> leader_error;
  std::optional<std::string> peer_error;
  bool peer_reported = false;
  try {
    endpoint = transport.open(link.address(), Side::a);
    auto ready = control.receive();
    if (ready && ready->kind == ControlKind::failed) {
      peer_error = ready->text;
      throw PeerClosed("peer failed before starting");
    }
    if (!ready || ready->kind != ControlKind::ready) throw PeerClosed("peer never became ready");
    // Both sides hold their own copies now; the originals would hide a peer's exit.
    link.close_fds();

    if (hooks.on_start) hooks.on_start();
    std::uint64_t cpu_start = thread_cpu_ns();
    std::uint64_t start = now_ns();
    control.send({ControlKind::go, 0, {}});
    workload.lead(*endpoint, kit, spec.count, result.round_trips);
    result.elapsed_ns = now_ns() - start;
    result.leader_cpu_ns = thread_cpu_ns() - cpu_start;
    if (hooks.on_end) hooks.on_end();

    auto done = control.receive();
    if (done && done->kind == ControlKind::failed) peer_error = done->text;
    if (!done || done->kind != ControlKind::done) throw PeerClosed("peer ended without a result");
    result.peer_cpu_ns = done->cpu_ns;
    peer_reported = true;
  } catch (const std::exception& error) {
    leader_error = error.what();
  }

  // Tear-down, whatever happened: closing our end tells a waiting peer to finish.
  endpoint.reset();
  link.close_fds();
  if (leader_error && !peer_error) {
    if (auto message = control.poll(); message && message->kind == ControlKind::failed)
      peer_error = message->text;
  }
  control.close();  // releases a peer that is waiting to be let go
  int peer_end_code = peer->wait(kTeardownGrace);
  bool timed_out = watchdog.fired();

  if (!leader_error && peer_reported && peer_end_code == kPeerDone) return result;

  std::string reason;
  if (timed_out) {
    reason = "timed out after " + seconds_text(spec.timeout) + " (peer hung or too slow)";
  } else if (peer_error) {
    reason = "peer: " + *peer_error;
  } else if (peer_end_code != kPeerDone && peer_end_code != kPeerFailed) {
    reason = describe_peer_end(peer_end_code) +
             (leader_error ? " (leader: " + *leader_error + ")" : std::string());
  } else if (leader_error) {
    reason = *leader_error;
  } else {
    reason = describe_peer_end(peer_end_code);
  }
  throw RunFailure(spec.describe() + ": " + reason);
}

}  // namespace ipcmeter
