// The measurement sequence shared by every workload, transport and placement.
#include "harness/paired_run.hpp"

#include <algorithm>
#include <optional>

#include "harness/clock.hpp"
#include "harness/control.hpp"
#include "harness/dict_run.hpp"
#include "harness/message.hpp"
#include "harness/peer_group.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/watchdog.hpp"
#include "harness/workloads/dict.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

std::string RunSpec::describe() const {
  if (is_dict_workload(workload))
    return workload + " transport:" + transport + " placement:" + placement +
           " wait:" + wait_name(wait) + " clients:" + std::to_string(peers);
  return workload + " transport:" + transport + " placement:" + placement +
         " wait:" + wait_name(wait) + (peers > 1 ? " producers:" + std::to_string(peers) : "") +
         " size:" + std::to_string(size);
}

void RunSpec::validate() const {
  const Placement& where = find_placement(placement);
  if (count == 0) throw UsageError("a run needs at least one iteration");
  if (timeout.count() <= 0) throw UsageError("the timeout must be positive");
  if (fault == Fault::crash && !where.separate_process)
    throw UsageError("the crash fault needs a process placement");
  if (is_dict_workload(workload)) return validate_dict_run(*this);
  find_workload(workload);
  const Transport& link_transport = find_transport(transport);
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
}

RunResult run_pair(const RunSpec& spec, const TimedSectionHooks& hooks) {
  if (is_dict_workload(spec.workload)) return run_dict(spec, hooks);
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

  PeerGroup group(placement, peers);
  for (int i = 0; i < peers; ++i) {
    PeerSpec peer;
    peer.workload = spec.workload;
    peer.transport = spec.transport;
    peer.address = link.address();
    peer.size = spec.size;
    // The iterations are shared out; the first peers take one more when they do not divide.
    peer.count = spec.count / peers + (static_cast<std::uint64_t>(i) < spec.count % peers);
    peer.peer_index = i;
    peer.peers = peers;
    peer.cpu = spec.pinning.peer_cpu;
    peer.fault = spec.fault;
    peer.fault_after = spec.fault_after;
    group.start(i, std::move(peer), link);
  }

  // Runs in this thread's signal handler, so this thread's blocked call is already
  // interrupted; the peers are killed (processes) or woken (threads).
  WatchdogGuard watchdog(spec.timeout, [&group] {
    request_interrupt();
    group.stop_all();
  });

  std::unique_ptr<Endpoint> endpoint;
  std::optional<std::string> leader_error;
  bool leader_error_is_echo = false;  // the leader only saw a peer go away
  try {
    endpoint = transport.open(link.address(), Side::a);
    group.expect_from_all(ControlKind::ready);
    // Every side holds its own copies now; the originals would hide a peer's exit.
    link.close_fds();

    if (hooks.on_start) hooks.on_start();
    std::uint64_t cpu_start = thread_cpu_ns();
    std::uint64_t start = now_ns();
    group.go();
    workload.lead(*endpoint, kit, spec.count, result.round_trips);
    result.elapsed_ns = now_ns() - start;
    result.leader_cpu_ns = thread_cpu_ns() - cpu_start;
    if (hooks.on_end) hooks.on_end();

    group.expect_from_all(ControlKind::done, &result.peer_cpu_ns);
  } catch (const PeerClosed& error) {
    leader_error = error.what();
    leader_error_is_echo = true;
  } catch (const std::exception& error) {
    leader_error = error.what();
  }

  // Tear-down, whatever happened: closing our end tells a waiting peer to finish.
  endpoint.reset();
  link.close_fds();
  auto reason = group.end(leader_error, leader_error_is_echo, watchdog.fired(), spec.timeout);
  if (!reason) return result;
  throw RunFailure(spec.describe() + ": " + *reason);
}

}  // namespace ipcmeter
