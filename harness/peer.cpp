// The peer's life: open the medium, say ready, wait for go, run the workload's part, report
// what it completed (and its CPU time) or its error, wait to be let go, and leave.
#include "harness/peer.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>

#include "harness/clock.hpp"
#include "harness/events.hpp"
#include "harness/pinning.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/address.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

std::uint64_t to_number(const std::string& key, const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw UsageError(fmt::format("peer argument {}={} is not a number", key, text));
  return value;
}

// A number, or -1 for "none" (no CPU to pin to, no inherited control fd).
int to_int_or_none(const std::string& key, const std::string& text) {
  if (text == "-1") return -1;
  std::uint64_t value = to_number(key, text);
  if (value > 1'000'000'000)
    throw UsageError(fmt::format("peer argument {}={} is out of range", key, text));
  return static_cast<int>(value);
}

int to_int(const std::string& key, const std::string& text) {
  std::uint64_t value = to_number(key, text);
  if (value > 1'000'000'000)
    throw UsageError(fmt::format("peer argument {}={} is out of range", key, text));
  return static_cast<int>(value);
}

std::string params_text(const std::map<std::string, std::uint64_t>& params) {
  std::string text;
  for (const auto& [key, value] : params)
    fmt::format_to(std::back_inserter(text), "{}{}:{}", text.empty() ? "" : ",", key, value);
  return text;
}

std::map<std::string, std::uint64_t> parse_params(const std::string& text) {
  std::map<std::string, std::uint64_t> params;
  std::string::size_type start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    std::string item = text.substr(start, end - start);
    auto colon = item.find(':');
    if (colon == std::string::npos) throw UsageError(fmt::format("bad peer parameter '{}'", item));
    params[item.substr(0, colon)] = to_number(item.substr(0, colon), item.substr(colon + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return params;
}

// Says ready, warms the medium up, says so, waits for go, runs the part (its CPU time measured), reports, and stays until
// the harness lets go: a transport that drops unsent data on close (ZeroMQ with linger 0)
// must not lose messages the leader is still receiving. False if the harness went first.
bool run_measured(ControlChannel& control, const PeerSpec& spec, PeerSide& side, Follow& part) {
  control.send({ControlKind::ready, 0, 0, {}, {}});
  // The leader says when to warm up: once its own set-up (a dictionary's preload) is done.
  auto warm = control.receive();
  if (!warm || warm->kind != ControlKind::warm) return false;
  warm_up_peer(find_workload(spec.run.workload).warm_up, side);
  control.send({ControlKind::warm, 0, 0, {}, {}});
  auto go = control.receive();
  if (!go || go->kind != ControlKind::go) return false;
  auto cpu_now = spec.own_process ? process_cpu_ns : thread_cpu_ns;
  trace_event(fmt::format("go pid={} peer={}", ::getpid(), spec.peer_index));
  std::uint64_t cpu_start = cpu_now();
  part.run();
  std::uint64_t cpu_used = cpu_now() - cpu_start;
  trace_event(fmt::format("done pid={} peer={}", ::getpid(), spec.peer_index));
  control.send({ControlKind::done, cpu_used, side.completed, side.counters, {}});
  control.receive();
  return true;
}

}  // namespace

std::vector<std::string> PeerSpec::to_args() const {
  std::vector<std::string> args = {
      fmt::format("workload={}", run.workload),
      fmt::format("transport={}", run.transport),
      fmt::format("placement={}", run.placement),
      fmt::format("wait={}", wait_name(run.wait)),
      fmt::format("params={}", params_text(run.params)),
      fmt::format("run-count={}", run.count),
      fmt::format("duration-ns={}", run.duration.count()),
      fmt::format("fault={}", fault_name(run.fault)),
      fmt::format("fault-after={}", run.fault_after),
      fmt::format("allow-shared-writers={}", run.allow_shared_writers ? 1 : 0),
      fmt::format("address={}", address),
      fmt::format("count={}", count),
      fmt::format("peer-index={}", peer_index),
      fmt::format("cpu={}", cpu),
      fmt::format("own-process={}", own_process ? 1 : 0),
      fmt::format("control-fd={}", control_fd),
      fmt::format("parent-pid={}", parent_pid)};
  if (!inherited_fds.empty())
    args.push_back(fmt::format("inherited-fds={}", join_fds(inherited_fds)));
  return args;
}

PeerSpec PeerSpec::from_args(const std::vector<std::string>& args) {
  std::map<std::string, std::string> values;
  for (const auto& arg : args) {
    auto equals = arg.find('=');
    if (equals == std::string::npos) throw UsageError(fmt::format("bad peer argument '{}'", arg));
    values[arg.substr(0, equals)] = arg.substr(equals + 1);
  }
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = values.find(key);
    if (it == values.end()) throw UsageError(fmt::format("peer argument {} missing", key));
    return it->second;
  };
  PeerSpec spec;
  spec.run.workload = get("workload");
  spec.run.transport = get("transport");
  spec.run.placement = get("placement");
  spec.run.wait = parse_wait(get("wait"));
  spec.run.params = parse_params(get("params"));
  spec.run.count = to_number("run-count", get("run-count"));
  spec.run.duration = std::chrono::nanoseconds(to_number("duration-ns", get("duration-ns")));
  spec.run.fault = parse_fault(get("fault"));
  spec.run.fault_after = to_number("fault-after", get("fault-after"));
  spec.run.allow_shared_writers = get("allow-shared-writers") == "1";
  spec.address = get("address");
  spec.count = to_number("count", get("count"));
  spec.peer_index = to_int("peer-index", get("peer-index"));
  spec.cpu = to_int_or_none("cpu", get("cpu"));
  spec.own_process = get("own-process") == "1";
  spec.control_fd = to_int_or_none("control-fd", get("control-fd"));
  spec.parent_pid = to_int("parent-pid", get("parent-pid"));
  if (values.count("inherited-fds"))
    spec.inherited_fds = Address::parse(fmt::format("x:fds={}", get("inherited-fds"))).fds("fds");
  return spec;
}

void PeerSpec::validate_in_own_process() const {
  // The command line is input like the leader's flags: the same checks, before anything is
  // opened, plus the one only a process peer needs (it cannot open a threads-only medium).
  const Placement& where = find_placement(run.placement);
  if (!where.separate_process || !own_process)
    throw UsageError(fmt::format(
        "the peer role runs in a process of its own, but placement {} puts peers in threads",
        run.placement));
  run.validate();
  if (peer_index < 0 || peer_index >= run.peer_count())
    throw UsageError(fmt::format("peer index {} out of range", peer_index));
  if (control_fd < 3) throw UsageError("the peer role needs its inherited control fd (control-fd)");
}

int run_peer(const PeerSpec& spec, Fd control_fd) {
  ControlChannel control(std::move(control_fd));
  // Declared before the try: it outlives a failure's report, so the other side learns why
  // before it sees this side close.
  Handle handle;
  try {
    if (spec.cpu >= 0) pin_current_thread(spec.cpu);
    // Asked to do only what the leader would accept.
    spec.run.validate();
    if (spec.peer_index < 0 || spec.peer_index >= spec.run.peer_count())
      throw UsageError(fmt::format("peer index {} out of range", spec.peer_index));
    const Workload& workload = find_workload(spec.run.workload);
    const MediumKind& kind = find_medium(spec.run.transport, workload.medium);
    int leader_liveness = control.fd();
    handle = kind.open(spec.address, Liveness({&leader_liveness, 1}));
    for (int fd : spec.inherited_fds) ::close(fd);
    PeerSide side(spec, handle);
    std::unique_ptr<Follow> part = workload.follow(side);
    if (!run_measured(control, spec, side, *part)) return kPeerOrphaned;
    handle.close();
    return kPeerDone;
  } catch (const PeerVanished&) {
    return kPeerFaultExit;
  } catch (const std::exception& error) {
    try {
      control.send({ControlKind::failed, 0, 0, {}, error.what(),
                    dynamic_cast<const PeerClosed*>(&error) != nullptr});
    } catch (const std::exception&) {
      // The harness is gone too; its own error will say why. Nothing more to tell.
    }
    return kPeerFailed;
  }
}

void run_peer_if_requested(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != kPeerRoleFlag) return;
  // Die with the harness: a peer must never outlive the run that spawned it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  try {
    PeerSpec spec = PeerSpec::from_args(std::vector<std::string>(argv + 2, argv + argc));
    if (::getppid() != spec.parent_pid) ::_exit(kPeerOrphaned);
    spec.validate_in_own_process();
    ::signal(SIGPIPE, SIG_IGN);
    std::exit(run_peer(spec, Fd(spec.control_fd)));
  } catch (const std::exception& error) {
    fmt::print(stderr, "ipcmeter peer: {}\n", error.what());
    std::exit(kPeerFailed);
  }
}

}  // namespace ipcmeter
