// The one measurement sequence, for every workload, medium and placement.
#include "harness/run.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <ranges>

#include "harness/clock.hpp"
#include "harness/medium.hpp"
#include "harness/peer_group.hpp"
#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/watchdog.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

Fault parse_fault(const std::string& text) {
  for (Fault fault : {Fault::none, Fault::hang, Fault::exit, Fault::crash, Fault::corrupt,
                      Fault::announce})
    if (text == fault_name(fault)) return fault;
  throw UsageError(fmt::format(
      "unknown fault '{}' (known: none, hang, exit, crash, corrupt, announce)", text));
}

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::none: return "none";
    case Fault::hang: return "hang";
    case Fault::exit: return "exit";
    case Fault::crash: return "crash";
    case Fault::corrupt: return "corrupt";
    case Fault::announce: return "announce";
  }
  return "?";
}

namespace {

// The medium's own "depth:" segment, when the spec's workload and medium are known and the
// medium is a queue that counts messages.
const Segment* depth_of(const RunSpec& spec) {
  const Workload* work = Registry<Workload>::find(spec.workload);
  const MediumKind* kind = work ? find_medium_or_null(spec.transport, work->medium) : nullptr;
  return kind && kind->depth ? &*kind->depth : nullptr;
}

}  // namespace

std::uint64_t RunSpec::param(const std::string& key) const {
  if (auto it = params.find(key); it != params.end()) return it->second;
  const Workload& work = find_workload(workload);
  if (const Segment* segment = work.segment(key)) return segment->fallback;
  // A workload that needs a queue of its own depth gets it; the rest, the queue's default.
  if (const Segment* depth = depth_of(*this); depth && key == depth->key)
    return work.queue_depth > 0 ? work.queue_depth : depth->fallback;
  throw UsageError(fmt::format("workload {} has no {}: segment", workload, key));
}

std::size_t RunSpec::max_message() const {
  const Workload& work = find_workload(workload);
  if (work.segment("size")) return static_cast<std::size_t>(param("size"));
  return work.max_message > 0 ? work.max_message : MediumOptions{}.max_message_size;
}

int RunSpec::peer_count() const {
  const Placement* where = find_placement_or_null(placement);
  if (where && where->peerless) return 0;
  const Workload& work = find_workload(workload);
  return work.peers_key.empty() ? 1 : static_cast<int>(param(work.peers_key));
}

std::uint64_t RunSpec::iterations() const {
  const Workload& work = find_workload(workload);
  if (duration.count() > 0 && work.frame.count() > 0)
    return static_cast<std::uint64_t>((duration.count() + work.frame.count() - 1) / work.frame.count());
  return count;
}

namespace {

// "transport:pipe placement:fork wait:block size:64", joined by `separator`.
std::string segments_text(const RunSpec& spec, char separator) {
  std::string text = fmt::format("transport:{}{}placement:{}", spec.transport, separator,
                                 spec.placement);
  const Workload* work = Registry<Workload>::find(spec.workload);
  // Peers that may be on other hosts: which hosts, the leader's first ("hosts:a,b").
  const Placement* where = find_placement_or_null(spec.placement);
  if (where && where->remote && work && where->remote->unavailable().empty())
    text += fmt::format("{}hosts:{}", separator, where->remote->hosts(spec.peer_count()));
  // Without a medium there is nothing to wait on: no wait: segment.
  const MediumKind* kind = work ? find_medium_or_null(spec.transport, work->medium) : nullptr;
  if (!kind || !kind->none) text += fmt::format("{}wait:{}", separator, wait_name(spec.wait));
  auto out = std::back_inserter(text);
  if (work)
    for (const auto& segment : work->segments)
      fmt::format_to(out, "{}{}:{}", separator, segment.key, spec.param(segment.key));
  // A queue's depth, the medium's own segment, follows the workload's.
  if (const Segment* depth = depth_of(spec))
    fmt::format_to(out, "{}{}:{}", separator, depth->key, spec.param(depth->key));
  return text;
}

void check_range(const Segment& segment, std::uint64_t value) {
  if (value < segment.min || value > segment.max)
    throw UsageError(fmt::format("{} {} is out of range ({} to {}{})", segment.noun, value,
                                 segment.min, segment.max, segment.note));
}

std::string bytes_text(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30) && bytes % (std::uint64_t{1} << 30) == 0)
    return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (std::uint64_t{1} << 20) && bytes % (std::uint64_t{1} << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

void validate_segments(const RunSpec& spec, const Workload& work, const MediumKind& kind) {
  const Segment* depth = kind.depth ? &*kind.depth : nullptr;
  for (const auto& [key, value] : spec.params) {
    if (work.segment(key) || (depth && key == depth->key)) continue;
    if (key == "depth")
      throw UsageError(fmt::format(
          "{} is not a queue that holds a count of messages: it has no depth: segment", kind.name));
    std::string known =
        fmt::format("{}", fmt::join(work.segments | std::views::transform(&Segment::key), ", "));
    throw UsageError(fmt::format("workload {} has no {}: segment (its segments: {})", work.name,
                                 key, known.empty() ? "none" : known));
  }
  for (const auto& segment : work.segments) check_range(segment, spec.param(segment.key));
  if (!depth) return;
  std::uint64_t messages = spec.param(depth->key);
  check_range(*depth, messages);
  // A workload that needs its own depth (room for every worker's stop) keeps it: its depth
  // is not an axis, and asking for another is an error rather than a deadlock.
  if (work.queue_depth > 0 && messages != work.queue_depth)
    throw UsageError(fmt::format("workload {} keeps its own queue depth, {} messages", work.name,
                                 work.queue_depth));
}

// Last of the checks: a deep queue of large messages is a combination that exists but is not
// measured here (listed with the reason).
void check_queue_bytes(const RunSpec& spec, const MediumKind& kind) {
  if (!kind.depth) return;
  std::uint64_t messages = spec.param(kind.depth->key);
  std::uint64_t bytes = messages * spec.max_message();
  if (bytes > kMaxQueueBytes)
    throw Unsupported(fmt::format(
        "{} at depth {} with {}-byte messages would hold {} per direction; the suite keeps a queue "
        "within {}",
        kind.name, messages, spec.max_message(), bytes_text(bytes), bytes_text(kMaxQueueBytes)));
}

void validate_fit(const RunSpec& spec, const Workload& work, const MediumKind& kind,
                  const Placement& where) {
  std::string medium = fmt::format("{}{}", kind.family == "link" ? "transport " : "", kind.name);
  if (kind.none && !work.without_medium)
    throw UsageError(fmt::format("workload {} needs a medium: transport none has none", work.name));
  if (where.peerless && !kind.none)
    throw UsageError(fmt::format("placement {} runs the workload alone in the leader's thread: "
                                 "it takes transport none, not {}",
                                 spec.placement, kind.name));
  if (where.separate_process && !kind.crosses_processes)
    throw UsageError(fmt::format("{} works between threads only, not {}", medium, spec.placement));
  if (kind.ranks_only && !where.remote)
    throw UsageError(fmt::format(
        "{} works between MPI ranks only (placement rank, under mpirun), not {}", medium,
        spec.placement));
  if (where.remote && !kind.crosses_hosts)
    throw UsageError(fmt::format("{} does not cross hosts: placement {} takes tcp, zmq-tcp, mpi "
                                 "and what is served over them", medium, spec.placement));
  if (std::find(kind.waits.begin(), kind.waits.end(), spec.wait) == kind.waits.end())
    throw UsageError(fmt::format("{} has no wait strategy {}", medium, wait_name(spec.wait)));
  if (spec.peer_count() > kind.max_peers) throw UsageError(kind.max_peers_reason);
  if (kind.family == "link" && kind.alternating_only && !work.alternating)
    throw UsageError(
        fmt::format("{} alternates send and receive; workload {} does not", medium, work.name));
}

}  // namespace

std::string RunSpec::describe() const {
  return fmt::format("{} {}", workload, segments_text(*this, ' '));
}

std::string RunSpec::name() const {
  return fmt::format("{}/{}", workload, segments_text(*this, '/'));
}

void RunSpec::validate() const {
  const Placement& where = find_placement(placement);
  if (where.remote)
    if (std::string why = where.remote->unavailable(); !why.empty())
      throw UsageError("placement " + placement + ": " + why);
  if (count == 0 && duration.count() <= 0) throw UsageError("a run needs at least one iteration");
  if (timeout.count() <= 0) throw UsageError("the timeout must be positive");
  if (fault == Fault::crash && !where.separate_process)
    throw UsageError("the crash fault needs a process placement");
  const Workload& work = find_workload(workload);
  if (fault == Fault::corrupt && !work.peers_send_checked_messages)
    throw UsageError(fmt::format("the corrupt fault is for workloads whose peers send messages the "
                                 "other side verifies (stream, fanin, pingpong), not {}",
                                 workload));
  if (duration.count() < 0 || (duration.count() > 0 && work.frame.count() == 0))
    throw UsageError(fmt::format(
        "workload {} counts iterations; only a paced one runs for a duration", workload));
  const MediumKind& kind = find_medium(transport, work.medium);
  validate_segments(*this, work, kind);
  validate_fit(*this, work, kind, where);
  if (work.validate) work.validate(*this, kind);
  check_queue_bytes(*this, kind);
  // Well-formed, but this launch has too few ranks for it: listed, with the reason.
  if (where.remote && peer_count() > where.remote->capacity())
    throw Unsupported(std::to_string(peer_count()) + " peers need " + std::to_string(peer_count() + 1) +
                      " ranks; mpirun started " + std::to_string(where.remote->capacity() + 1));
}

namespace {

// One run at a time per process: the interrupt flag a watchdog may set belongs to this run,
// so it is cleared when the run starts and when it ends.
struct InterruptScope {
  InterruptScope() { clear_interrupt(); }
  ~InterruptScope() { clear_interrupt(); }
};

class Measurement {
 public:
  explicit Measurement(const RunSpec& spec)
      : spec_(spec),
        workload_(find_workload(spec.workload)),
        kind_(find_medium(spec.transport, workload_.medium)),
        where_(find_placement(spec.placement)),
        host_(kind_.create(medium_options())),
        group_(where_, spec.peer_count()) {}

  RunResult go(const TimedSectionHooks& hooks) {
    start_peers();
    // Only now, with every peer forked, may the host start threads.
    host_->peers_started(group_.liveness_fds());
    // Runs in this thread's signal handler, so this thread's blocked call is already
    // interrupted; the peers are killed (processes) or woken (threads), and so are the
    // host's server threads.
    WatchdogGuard watchdog(
        spec_.timeout,
        [this] {
          request_interrupt();
          group_.stop_all();
          host_->interrupt();
        },
        spec_.describe());
    lead(hooks);
    if (auto reason = tear_down(watchdog.fired())) {
      // A lock the watchdog had to release explains the timeout better than the peer's end.
      if (std::string note = watchdog.released_lock_note(); !note.empty()) *reason += "; " + note;
      throw RunFailure(fmt::format("{}: {}", spec_.describe(), *reason));
    }
    return std::move(result_);
  }

 private:
  MediumOptions medium_options() const {
    MediumOptions options;
    options.peers = spec_.peer_count();
    options.max_message_size = spec_.max_message();
    if (kind_.depth) options.capacity = spec_.param(kind_.depth->key);
    else if (workload_.queue_depth > 0) options.capacity = workload_.queue_depth;
    options.wait = spec_.wait;
    // Peers on other hosts reach the leader's address, not its loopback.
    if (where_.remote) options.host = where_.remote->leader_address();
    return options;
  }

  void start_peers() {
    const int peers = group_.size();
    const std::uint64_t iterations = spec_.iterations();
    for (int i = 0; i < peers; ++i) {
      PeerSpec peer;
      peer.run = spec_;
      peer.address = host_->address(i);
      // The iterations are shared out; the first peers take one more when they do not divide.
      peer.count = iterations / peers + (static_cast<std::uint64_t>(i) < iterations % peers);
      peer.peer_index = i;
      peer.cpu = workload_.workers_use_every_cpu ? spec_.pinning.worker_cpu(i) : spec_.pinning.peer_cpu;
      group_.start(i, std::move(peer), host_->link(i), fds_of_other_links(i));
    }
  }

  // A forked peer keeps only its own link's fds: another's would hide that one's end.
  std::vector<int> fds_of_other_links(int i) const {
    std::vector<int> fds;
    for (int j = 0; j < group_.size(); ++j)
      if (&host_->link(j) != &host_->link(i))
        for (int fd : host_->link(j).all_fds()) fds.push_back(fd);
    return fds;
  }

  // Ready, warm (warm_up.hpp), go, the leader's part timed, then every peer's report. An
  // error is kept for the tear-down, which decides whose it was.
  void lead(const TimedSectionHooks& hooks) {
    try {
      handle_ = host_->open_leader(group_.liveness_fds());
      side_.emplace(spec_, handle_, group_, result_.latency, result_.counters);
      part_ = workload_.lead(*side_);  // buffers, preloads: before timing starts
      group_.expect_from_all(ControlKind::ready);
      host_->peers_ready();
      group_.send_to_all(ControlKind::warm);
      warm_up_leader(workload_.warm_up, *side_);
      group_.expect_from_all(ControlKind::warm);

      if (hooks.on_start) hooks.on_start();
      std::uint64_t cpu_start = thread_cpu_ns();
      std::uint64_t start = now_ns();
      group_.go();
      part_->run();
      result_.elapsed_ns = now_ns() - start;
      result_.leader_cpu_ns = thread_cpu_ns() - cpu_start;
      if (hooks.on_end) hooks.on_end();

      side_->await_peers();
      collect_reports();
    } catch (const PeerClosed& error) {
      leader_error_ = error.what();
      leader_error_is_echo_ = true;  // the leader only saw a peer go away
    } catch (const std::exception& error) {
      leader_error_ = error.what();
    }
  }

  void collect_reports() {
    result_.iterations = side_->completed;
    for (int i = 0; i < group_.size(); ++i) {
      const ControlMessage& report = side_->report(i);
      result_.peer_iterations += report.completed;
      result_.peer_cpu_ns += report.cpu_ns;
      result_.counters.add(report.counters);
    }
    if (result_.iterations != side_->count)
      leader_error_ =
          fmt::format("the leader completed {} of {} iterations", result_.iterations, side_->count);
  }

  // Whatever happened: closing the leader's hold tells a waiting peer to finish; then the
  // peers end, the host's servers end, and the end state is checked.
  std::optional<std::string> tear_down(bool timed_out) {
    handle_.release();
    auto reason = group_.end(leader_error_, leader_error_is_echo_, timed_out, spec_.timeout);
    std::optional<std::string> host_error = host_->stop();
    if (!reason && host_error) reason = host_error;
    if (!reason && part_) {
      try {
        part_->check();
      } catch (const IntegrityError& error) {
        reason = error.what();
      }
    }
    host_->report(result_.counters);
    return reason;
  }

  const RunSpec& spec_;
  const Workload& workload_;
  const MediumKind& kind_;
  const Placement& where_;
  std::unique_ptr<MediumHost> host_;
  PeerGroup group_;
  Handle handle_;
  RunResult result_;
  std::optional<LeaderSide> side_;
  std::unique_ptr<Lead> part_;
  std::optional<std::string> leader_error_;
  bool leader_error_is_echo_ = false;
};

}  // namespace

RunResult run(const RunSpec& spec, const TimedSectionHooks& hooks) {
  spec.validate();
  install_process_guard();
  InterruptScope interrupts;
  ScopedPin leader_pin(spec.pinning.leader_cpu);
  // Destroyed (every name removed, every peer reaped) before anyone hears of the outcome.
  Measurement measurement(spec);
  return measurement.go(hooks);
}

}  // namespace ipcmeter
