// "election/parallel": one projection of kProjectionSims simulations split into batches over
// W workers that share one work queue. The leader keeps up to 2W batches in the queue,
// combines each worker's partial tally as it comes back (exactly: the combined counts are
// the sum of the parts) and checks that every batch came back once. An iteration is a
// projection; sims_per_s is the figure. Beside it, over transport "none": the same batches
// over the W workers with no queue at all (worker w takes every W-th batch of each
// projection), the rate communication is measured against.
#include "harness/workloads/election/parallel.hpp"

#include <fmt/core.h>

#include <array>
#include <cstring>
#include <thread>
#include <vector>

#include "harness/clock.hpp"
#include "harness/workloads/election/kernel.hpp"
#include "harness/workloads/election/wire.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter::election {
namespace {

struct WorkMessage {
  std::uint64_t kind = 0;  // 0 a batch, 1 stop
  std::uint64_t projection = 0;
  std::uint64_t index = 0;  // the batch's place in its projection
  std::uint64_t sims = 0;
};

// A partial tally: the vote distribution of one batch.
struct ResultMessage {
  std::uint64_t projection = 0;
  std::uint64_t index = 0;
  std::uint64_t sims = 0;
  std::array<std::uint32_t, 539> counts{};  // 0 .. 538 votes
};

constexpr std::size_t kMaxMessage = sizeof(ResultMessage);
constexpr std::size_t kMaxWorkers = 64;
constexpr std::size_t kQueueDepth = 4 * kMaxWorkers;  // room for every stop and a full window

const Plan& the_plan() {
  static const Plan plan = make_plan(map_2008(), scenario_2008());
  return plan;
}

std::uint64_t batches_of(std::uint64_t batch) { return (kProjectionSims + batch - 1) / batch; }
std::uint64_t sims_of(std::uint64_t batch, std::uint64_t index) {
  return std::min(batch, kProjectionSims - index * batch);
}

// What the combined tally of a projection is reported as: exact integers a test can match.
void report_tally(const Tally& tally, Counters& counters) {
  std::uint64_t wins = 0, vote_sum = 0;
  for (std::size_t v = 0; v < tally.counts.size(); ++v) {
    if (v >= map_2008().majority()) wins += tally.counts[v];
    vote_sum += v * tally.counts[v];
  }
  counters.add("last_wins", static_cast<double>(wins));
  counters.add("last_vote_sum", static_cast<double>(vote_sum));
}

class Distribute final : public Lead {
 public:
  explicit Distribute(LeaderSide& side)
      : side_(side),
        batch_(side.spec.param("batch")),
        workers_(static_cast<std::uint64_t>(side.spec.peer_count())) {}

  void run() override {
    Endpoint& queue = side_.handle.endpoint();
    const std::uint64_t start = now_ns();
    Tally total;
    for (std::uint64_t p = 0; p < side_.count; ++p) {
      total = project_once(queue, p);
      ++side_.completed;
    }
    const double seconds = static_cast<double>(now_ns() - start) * 1e-9;
    WorkMessage stop;
    stop.kind = 1;
    for (std::uint64_t w = 0; w < workers_; ++w) queue.send(bytes_of(stop));
    side_.counters.add("sims_per_s", static_cast<double>(side_.completed * kProjectionSims) / seconds);
    side_.counters.add("batches", static_cast<double>(side_.completed * batches_of(batch_)));
    report_tally(total, side_.counters);
  }

 private:
  Tally project_once(Endpoint& queue, std::uint64_t projection) {
    const std::uint64_t batches = batches_of(batch_);
    const std::uint64_t window = 2 * workers_;
    std::vector<bool> back(batches, false);
    Tally total(map_2008().total_votes);
    std::uint64_t sent = 0, received = 0;
    while (received < batches) {
      for (; sent < batches && sent - received < window; ++sent) {
        WorkMessage work{0, projection, sent, sims_of(batch_, sent)};
        queue.send(bytes_of(work));
      }
      auto result = read_message<ResultMessage>(queue.recv_view(buffer_), "election/parallel", "result");
      if (result.projection != projection || result.index >= batches || back[result.index] ||
          result.sims != sims_of(batch_, result.index))
        throw IntegrityError(
            fmt::format("election/parallel: an unexpected result (projection {}, batch {})",
                        result.projection, result.index));
      back[result.index] = true;
      std::uint64_t counted = 0;
      for (std::size_t v = 0; v < result.counts.size(); ++v) {
        total.counts[v] += result.counts[v];
        counted += result.counts[v];
      }
      if (counted != result.sims)
        throw IntegrityError(
            fmt::format("election/parallel: batch {} counts {} of its {} simulations", result.index,
                        counted, result.sims));
      total.sims += result.sims;
      ++received;
    }
    if (total.sims != kProjectionSims)
      throw IntegrityError(
          fmt::format("election/parallel: a projection combined {} simulations", total.sims));
    return total;
  }

  LeaderSide& side_;
  std::uint64_t batch_;
  std::uint64_t workers_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(kMaxMessage);
};

class Work final : public Follow {
 public:
  explicit Work(PeerSide& side) : side_(side) {}

  void run() override {
    Endpoint& queue = side_.handle.endpoint();
    std::uint64_t sims = 0;
    for (;;) {
      auto work = read_message<WorkMessage>(queue.recv_view(buffer_), "election/parallel", "batch");
      if (work.kind == 1) break;
      if (work.kind != 0 || work.sims == 0 || work.sims > kProjectionSims)
        throw IntegrityError("election/parallel: a malformed batch");
      side_.tick();
      Tally tally(map_2008().total_votes);
      simulate(Kernel::simd, the_plan(), work.sims, parallel_batch_seed(work.projection, work.index), tally);
      ResultMessage result;
      result.projection = work.projection;
      result.index = work.index;
      result.sims = work.sims;
      for (std::size_t v = 0; v < result.counts.size(); ++v)
        result.counts[v] = static_cast<std::uint32_t>(tally.counts[v]);
      queue.send(bytes_of(result));
      sims += work.sims;
      ++side_.completed;
    }
    side_.counters.add("worker_sims", static_cast<double>(sims));
  }

 private:
  PeerSide& side_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(kMaxMessage);
};

// With no queue: the leader only waits for the workers, then checks that every simulation of
// every projection was done once (the sum of the workers' own counts).
class AwaitWorkers final : public Lead {
 public:
  explicit AwaitWorkers(LeaderSide& side) : side_(side) {}

  void run() override {
    const std::uint64_t start = now_ns();
    side_.await_peers();
    const double seconds = static_cast<double>(now_ns() - start) * 1e-9;
    double sims = 0;
    for (int w = 0; w < side_.spec.peer_count(); ++w)
      if (const Counter* done = side_.report(w).counters.find("worker_sims")) sims += done->value;
    if (sims != static_cast<double>(side_.count * kProjectionSims))
      throw IntegrityError(fmt::format("election/parallel compute: the workers did {} of {} simulations",
                                       sims, side_.count * kProjectionSims));
    side_.completed = side_.count;
    side_.counters.add("sims_per_s", sims / seconds);
  }

 private:
  LeaderSide& side_;
};

// Worker w of W with no queue: every W-th batch of each projection, its partial tally of the
// last one reported (the workers' parts add up to the whole, as the queue's do).
class ComputeAlone final : public Follow {
 public:
  explicit ComputeAlone(PeerSide& side) : side_(side) {}

  void run() override {
    const std::uint64_t batch = side_.run.param("batch");
    const auto workers = static_cast<std::uint64_t>(side_.run.peer_count());
    const auto me = static_cast<std::uint64_t>(side_.spec.peer_index);
    const std::uint64_t projections = side_.run.iterations();
    std::uint64_t sims = 0;
    Tally last(map_2008().total_votes);
    for (std::uint64_t p = 0; p < projections; ++p) {
      Tally part(map_2008().total_votes);
      for (std::uint64_t i = me; i < batches_of(batch); i += workers) {
        side_.tick();
        simulate(Kernel::simd, the_plan(), sims_of(batch, i), parallel_batch_seed(p, i), part);
      }
      sims += part.sims;
      last = part;
    }
    side_.counters.add("worker_sims", static_cast<double>(sims));
    report_tally(last, side_.counters);
    side_.completed = projections;
  }

 private:
  PeerSide& side_;
};

Workload parallel_workload() {
  Workload work;
  work.name = "election/parallel";
  work.summary = "a projection split into batches over W workers sharing a work queue";
  work.iteration = "projection";
  Segment workers;
  workers.key = "workers";
  workers.noun = "workers";
  workers.min = 1;
  workers.max = kMaxWorkers;
  workers.fallback = 2;
  Segment batch;
  batch.key = "batch";
  batch.noun = "simulations per batch";
  batch.min = 1;
  batch.max = kProjectionSims;
  batch.fallback = 10'000;
  work.segments = {workers, batch};
  work.peers_key = "workers";
  work.max_message = kMaxMessage;
  work.queue_depth = kQueueDepth;
  work.workers_use_every_cpu = true;
  work.validate = [](const RunSpec& spec, const MediumKind& kind) {
    // With no queue the workers are threads beside the leader (the compute-only rate).
    if (kind.none) {
      const Placement& where = find_placement(spec.placement);
      if (where.separate_process || where.peerless || where.remote)
        throw UsageError("election/parallel over transport none computes in threads beside the "
                         "leader: placement thread");
      return;
    }
    if (!kind.many_receivers || !kind.many_senders)
      throw UsageError(fmt::format(
          "transport {} is point-to-point: election/parallel needs a queue that several workers "
          "share (queue-boost, queue-mutex, queue-manager-*)",
          kind.name));
    (void)spec;
  };
  work.without_medium = true;
  work.lead = [](LeaderSide& side) -> std::unique_ptr<Lead> {
    if (side.handle.empty()) return std::make_unique<AwaitWorkers>(side);
    return std::make_unique<Distribute>(side);
  };
  work.follow = [](PeerSide& side) -> std::unique_ptr<Follow> {
    if (side.handle.empty()) return std::make_unique<ComputeAlone>(side);
    return std::make_unique<Work>(side);
  };
  return work;
}

const Registry<Workload>::Add registered{parallel_workload};

}  // namespace

std::uint64_t parallel_batch_seed(std::uint64_t projection, std::uint64_t index) {
  return batch_seed(projection + 1, index);
}

}  // namespace ipcmeter::election
