#include "harness/dict_run.hpp"

#include <algorithm>
#include <optional>

#include "harness/clock.hpp"
#include "harness/peer_group.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/watchdog.hpp"
#include "harness/workloads/dict.hpp"
#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {

constexpr int kMaxDictClients = 64;

void validate_dict_run(const RunSpec& spec) {
  find_dict_workload(spec.workload);
  const DictKind& kind = find_dict(spec.transport);
  const Placement& where = find_placement(spec.placement);
  if (where.separate_process && !kind.crosses_processes)
    throw UsageError(kind.name + " works between threads only, not " + spec.placement);
  if (std::find(kind.waits.begin(), kind.waits.end(), spec.wait) == kind.waits.end())
    throw UsageError(kind.name + " has no wait strategy " + wait_name(spec.wait));
  if (spec.peers < 1 || spec.peers > kMaxDictClients)
    throw UsageError("clients must be 1 to " + std::to_string(kMaxDictClients));
  if (!kind.shared && spec.peers != 1)
    throw UsageError(kind.name + " has no lock: it takes exactly 1 client");
}

RunResult run_dict(const RunSpec& spec, const TimedSectionHooks& hooks) {
  spec.validate();
  const DictWorkload& workload = find_dict_workload(spec.workload);
  const DictKind& kind = find_dict(spec.transport);
  const Placement& placement = find_placement(spec.placement);
  install_process_guard();
  clear_interrupt();
  ScopedPin leader_pin(spec.pinning.leader_cpu);

  RunResult result;
  result.count = spec.count;
  const int clients = spec.peers;
  DictOptions options;
  options.clients = clients;
  options.keys = kDictKeys;
  options.wait = spec.wait;
  std::unique_ptr<DictHost> host = kind.create(options);
  preload_dict(host->direct());

  std::vector<std::uint64_t> counts;
  PeerGroup group(placement, clients);
  for (int i = 0; i < clients; ++i) {
    PeerSpec peer;
    peer.workload = spec.workload;
    peer.transport = spec.transport;
    peer.address = host->link(i).address();
    peer.size = 0;
    // The operations are shared out; the first clients take one more when they do not divide.
    peer.count = spec.count / clients + (static_cast<std::uint64_t>(i) < spec.count % clients);
    counts.push_back(peer.count);
    peer.peer_index = i;
    peer.peers = clients;
    peer.cpu = spec.pinning.peer_cpu;
    peer.fault = spec.fault;
    peer.fault_after = spec.fault_after;
    // A forked client keeps only its own link's fds: another's would hide that one's end.
    std::vector<int> others;
    for (int j = 0; j < clients; ++j)
      if (&host->link(j) != &host->link(i))
        for (int fd : host->link(j).all_fds()) others.push_back(fd);
    group.start(i, std::move(peer), host->link(i), others);
  }

  // Only now, with every client forked, may the host start threads.
  host->serve();
  DictHost* host_pointer = host.get();
  std::optional<WatchdogGuard> watchdog;
  watchdog.emplace(spec.timeout, [&group, host_pointer] {
    request_interrupt();
    group.stop_all();
    host_pointer->interrupt();
  });

  std::optional<std::string> leader_error;
  bool leader_error_is_echo = false;
  try {
    group.expect_from_all(ControlKind::ready);
    host->clients_ready();
    if (hooks.on_start) hooks.on_start();
    std::uint64_t cpu_start = thread_cpu_ns();
    std::uint64_t start = now_ns();
    group.go();
    // The clients do the work; the run ends when the last one has finished and said so.
    group.expect_from_all(ControlKind::done, &result.peer_cpu_ns);
    result.elapsed_ns = now_ns() - start;
    result.leader_cpu_ns = thread_cpu_ns() - cpu_start;
    if (hooks.on_end) hooks.on_end();
  } catch (const PeerClosed& error) {
    leader_error = error.what();
    leader_error_is_echo = true;
  } catch (const std::exception& error) {
    leader_error = error.what();
  }

  auto reason = group.end(leader_error, leader_error_is_echo, watchdog->fired(), spec.timeout);
  // Every client has ended, so every server thread ends too (goodbye or end-of-stream).
  std::optional<std::string> server_error = host->stop();
  watchdog.reset();  // it reaches the host, which goes below
  if (!reason && server_error) reason = *server_error;
  if (!reason) {
    try {
      verify_dict_end(host->direct(), workload, clients, counts);
    } catch (const IntegrityError& error) {
      reason = error.what();
    }
  }
  result.server_cpu_ns = host->server_cpu_ns();
  host.reset();  // removes every name before anyone hears of the outcome
  if (reason) throw RunFailure(spec.describe() + ": " + *reason);
  return result;
}

}  // namespace ipcmeter
