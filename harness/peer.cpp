// The peer's life: open the endpoint, say ready, wait for go, run the workload's peer side,
// report CPU time or the error, and leave.
#include "harness/peer.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "harness/clock.hpp"
#include "harness/control.hpp"
#include "harness/message.hpp"
#include "harness/pinning.hpp"
#include "harness/workloads/dict.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/address.hpp"
#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// Thrown inside a peer thread to model a peer that vanishes without a word.
struct PeerVanished {};

// Misbehaves on cue, at the fault_after-th operation; only ever present in fault tests.
class FaultTicker {
 public:
  FaultTicker(Fault fault, std::uint64_t after, bool own_process)
      : fault_(fault), after_(after), own_process_(own_process) {}

  void tick() {
    if (operations_++ != after_) return;
    switch (fault_) {
      case Fault::none: return;
      case Fault::hang:
        // Sleeps until killed; in a thread, until the watchdog's interrupt.
        for (;;) {
          timespec forever{3600, 0};
          if (::nanosleep(&forever, nullptr) != 0) throw_if_interrupted("hang");
        }
      case Fault::exit:
        if (own_process_) ::_exit(kPeerFaultExit);
        throw PeerVanished{};
      case Fault::crash:
        if (!own_process_) throw UsageError("the crash fault needs a process placement");
        ::raise(SIGKILL);
    }
  }

 private:
  Fault fault_;
  std::uint64_t after_;
  bool own_process_;
  std::uint64_t operations_ = 0;
};

// The peer's endpoint, with a fault at one send or receive.
class FaultInjectingEndpoint final : public Endpoint {
 public:
  FaultInjectingEndpoint(std::unique_ptr<Endpoint> inner, FaultTicker ticker)
      : inner_(std::move(inner)), ticker_(ticker) {}

  void send(std::span<const std::byte> message) override {
    ticker_.tick();
    inner_->send(message);
  }
  std::size_t recv(std::span<std::byte> buffer) override {
    ticker_.tick();
    return inner_->recv(buffer);
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<Endpoint> inner_;
  FaultTicker ticker_;
};

// A dict client, with a fault at one operation (never while a call holds a lock).
class FaultInjectingDict final : public Dict {
 public:
  FaultInjectingDict(std::unique_ptr<Dict> inner, FaultTicker ticker)
      : inner_(std::move(inner)), ticker_(ticker) {}

  std::optional<DictValue> get(DictKey key) override {
    ticker_.tick();
    return inner_->get(key);
  }
  void put(DictKey key, const DictValue& value) override {
    ticker_.tick();
    inner_->put(key, value);
  }
  bool erase(DictKey key) override {
    ticker_.tick();
    return inner_->erase(key);
  }
  std::size_t size() override {
    ticker_.tick();
    return inner_->size();
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<Dict> inner_;
  FaultTicker ticker_;
};

std::string join(const std::vector<int>& values) { return join_fds(values); }

std::uint64_t to_number(const std::string& key, const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw UsageError("peer argument " + key + "=" + text + " is not a number");
  return value;
}

}  // namespace

Fault parse_fault(const std::string& text) {
  for (Fault fault : {Fault::none, Fault::hang, Fault::exit, Fault::crash})
    if (text == fault_name(fault)) return fault;
  throw UsageError("unknown fault '" + text + "' (known: none, hang, exit, crash)");
}

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::none: return "none";
    case Fault::hang: return "hang";
    case Fault::exit: return "exit";
    case Fault::crash: return "crash";
  }
  return "?";
}

std::vector<std::string> PeerSpec::to_args() const {
  std::vector<std::string> args = {
      "workload=" + workload,     "transport=" + transport,
      "address=" + address,       "size=" + std::to_string(size),
      "count=" + std::to_string(count), "cpu=" + std::to_string(cpu),
      "peer-index=" + std::to_string(peer_index), "peers=" + std::to_string(peers),
      "own-process=" + std::string(own_process ? "1" : "0"),
      "control-fd=" + std::to_string(control_fd), "parent-pid=" + std::to_string(parent_pid),
      "fault=" + std::string(fault_name(fault)), "fault-after=" + std::to_string(fault_after)};
  if (!inherited_fds.empty()) args.push_back("inherited-fds=" + join(inherited_fds));
  return args;
}

PeerSpec PeerSpec::from_args(const std::vector<std::string>& args) {
  std::map<std::string, std::string> values;
  for (const auto& arg : args) {
    auto equals = arg.find('=');
    if (equals == std::string::npos) throw UsageError("bad peer argument '" + arg + "'");
    values[arg.substr(0, equals)] = arg.substr(equals + 1);
  }
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = values.find(key);
    if (it == values.end()) throw UsageError("peer argument " + key + " missing");
    return it->second;
  };
  PeerSpec spec;
  spec.workload = get("workload");
  spec.transport = get("transport");
  spec.address = get("address");
  spec.size = to_number("size", get("size"));
  spec.count = to_number("count", get("count"));
  spec.peer_index = static_cast<int>(to_number("peer-index", get("peer-index")));
  spec.peers = static_cast<int>(to_number("peers", get("peers")));
  spec.cpu = get("cpu") == "-1" ? -1 : static_cast<int>(to_number("cpu", get("cpu")));
  spec.own_process = get("own-process") == "1";
  spec.control_fd = static_cast<int>(to_number("control-fd", get("control-fd")));
  spec.parent_pid = static_cast<int>(to_number("parent-pid", get("parent-pid")));
  spec.fault = parse_fault(get("fault"));
  spec.fault_after = to_number("fault-after", get("fault-after"));
  if (values.count("inherited-fds"))
    spec.inherited_fds = Address::parse("x:fds=" + get("inherited-fds")).fds("fds");
  return spec;
}

namespace {

// Says ready, waits for go, runs `work` (its CPU time measured), says done, and stays until
// the harness lets go: a transport that drops unsent data on close (ZeroMQ with linger 0)
// must not lose messages the leader is still receiving. False if the harness went first.
template <typename Work>
bool run_measured(ControlChannel& control, const PeerSpec& spec, Work work) {
  control.send({ControlKind::ready, 0, {}});
  auto go = control.receive();
  if (!go || go->kind != ControlKind::go) return false;
  auto cpu_now = spec.own_process ? process_cpu_ns : thread_cpu_ns;
  std::uint64_t cpu_start = cpu_now();
  work();
  std::uint64_t cpu_used = cpu_now() - cpu_start;
  control.send({ControlKind::done, cpu_used, {}});
  control.receive();
  return true;
}

// What a peer holds open; it outlives a failure's report, so the other side learns why
// before it sees this side close.
struct PeerEnds {
  std::unique_ptr<Endpoint> endpoint;
  std::unique_ptr<Dict> dict;
};

int run_link_peer(const PeerSpec& spec, ControlChannel& control, PeerEnds& ends) {
  const Workload& workload = find_workload(spec.workload);
  std::unique_ptr<Endpoint>& endpoint = ends.endpoint;
  endpoint = find_transport(spec.transport).open(spec.address, Side::b);
  for (int fd : spec.inherited_fds) ::close(fd);
  if (spec.fault != Fault::none)
    endpoint = std::make_unique<FaultInjectingEndpoint>(
        std::move(endpoint), FaultTicker(spec.fault, spec.fault_after, spec.own_process));
  MessageKit kit(spec.size, workload.fan_in ? spec.peer_index : -1);
  if (!run_measured(control, spec, [&] { workload.follow(*endpoint, kit, spec.count); }))
    return kPeerOrphaned;
  endpoint->close();
  return kPeerDone;
}

int run_dict_peer(const PeerSpec& spec, ControlChannel& control, PeerEnds& ends) {
  const DictWorkload& workload = find_dict_workload(spec.workload);
  std::unique_ptr<Dict>& dict = ends.dict;
  dict = find_dict(spec.transport).open(spec.address);
  for (int fd : spec.inherited_fds) ::close(fd);
  if (spec.fault != Fault::none)
    dict = std::make_unique<FaultInjectingDict>(
        std::move(dict), FaultTicker(spec.fault, spec.fault_after, spec.own_process));
  bool went = run_measured(control, spec, [&] {
    run_dict_client(*dict, workload, spec.peer_index, spec.peers, spec.count);
    dict->close();  // a manager's server thread ends on this goodbye
  });
  return went ? kPeerDone : kPeerOrphaned;
}

}  // namespace

int run_peer(const PeerSpec& spec, Fd control_fd) {
  ControlChannel control(std::move(control_fd));
  PeerEnds ends;
  try {
    if (spec.cpu >= 0) pin_current_thread(spec.cpu);
    return is_dict_workload(spec.workload) ? run_dict_peer(spec, control, ends)
                                           : run_link_peer(spec, control, ends);
  } catch (const PeerVanished&) {
    return kPeerFaultExit;
  } catch (const std::exception& error) {
    try {
      control.send({ControlKind::failed, 0, error.what(),
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
    ::signal(SIGPIPE, SIG_IGN);
    std::exit(run_peer(spec, Fd(spec.control_fd)));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ipcmeter peer: %s\n", error.what());
    std::exit(kPeerFailed);
  }
}

}  // namespace ipcmeter
