// "election/ui": the documents' UI loop with an Updater worker (see ui.hpp). Every frame the
// loop applies the pattern's edit, if any, and sends it to the worker; then, until the next
// frame, it polls the link for projections (never a blocking receive). The worker keeps its
// own copy of the probabilities: it applies every edit that has arrived, simulates only for
// the newest (a newer edit supersedes a stale request instead of queueing behind it), checks
// the link between chunks of simulations and abandons a projection an edit has made stale.
//
// Figures: edit-to-projection latency (from an edit until a projection that includes it is
// in the loop's hands: a superseded edit waits for the next projection), frames missed
// (frame_loop.hpp: the one definition), projections delivered per second, and the
// loop's CPU per frame (leader_cpu_ns_per_iter).
#include "harness/workloads/election/ui.hpp"

#include <fmt/core.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include "harness/clock.hpp"
#include "harness/frame_loop.hpp"
#include "harness/workloads/election/kernel.hpp"
#include "harness/workloads/election/wire.hpp"
#include "harness/placement.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter::election {
namespace {

// Simulations between two looks at the link: about 3 ms of the simd kernel here, so a stale
// projection is abandoned within a fifth of a frame.
constexpr std::uint64_t kChunk = std::uint64_t{1} << 20;

// On the wire: fixed-size little records, copied in and out.
struct EditMessage {
  std::uint64_t kind = 0;  // 0 an edit, 1 stop
  std::uint64_t seq = 0;   // edits are numbered from 1
  std::uint64_t state = 0;
  double probability = 0;
  std::uint64_t batch = 0;
};

struct ProjectionMessage {
  std::uint64_t seq = 0;  // the newest edit it includes
  std::uint64_t sims = 0;
  double win = 0, tie = 0, expected_votes = 0;
};

constexpr std::size_t kMaxMessage = 64;
static_assert(sizeof(EditMessage) <= kMaxMessage && sizeof(ProjectionMessage) <= kMaxMessage);

// The pattern's edit at frame f, if it has one: a slider dragged on one state per cycle.
std::optional<EditMessage> edit_at(std::uint64_t frame, std::uint64_t batch) {
  std::uint64_t in_cycle = frame % kCycleFrames;
  if (in_cycle >= kDragFrames) return std::nullopt;
  const std::uint64_t states = map_2008().states.size();
  EditMessage edit;
  edit.state = (frame / kCycleFrames * 7 + 3) % states;
  edit.probability = 0.2 + 0.1 * static_cast<double>(in_cycle);
  edit.batch = batch;
  return edit;
}

Projection compute(const std::vector<double>& probabilities, std::uint64_t sims, std::uint64_t seed) {
  Plan plan = make_plan(map_2008(), probabilities);
  Tally tally(plan.total_votes);
  simulate(Kernel::simd, plan, sims, seed, tally);
  return project(map_2008(), tally);
}

// Where projections come from: the frame itself, or a worker over a link.
class Projector {
 public:
  virtual ~Projector() = default;
  // Hands over the frame's edit (already numbered). An inline projector computes here.
  virtual void submit(const EditMessage& edit) = 0;
  // Takes every projection there is until `deadline` (0: only those already there), calling
  // `delivered(seq)` for each; never blocks past the deadline.
  virtual void take(std::uint64_t deadline, const std::function<void(std::uint64_t)>& delivered) = 0;
  virtual void finish() {}
  // The win probability of the last projection delivered (for the tests' cross-check).
  double last_win() const { return last_win_; }

 protected:
  double last_win_ = 0;
};

// The 60 Hz loop (frame_loop.hpp), whatever computes the projections.
class ProjectionLoop {
 public:
  ProjectionLoop(Projector& projector, std::uint64_t batch, Histogram& latency, Counters& counters)
      : projector_(projector), batch_(batch), latency_(latency), counters_(counters) {}

  // Runs `frames` frames, then waits (still polling) for the projection of the last edit.
  // Returns the frames run.
  std::uint64_t run(std::uint64_t frames) {
    const std::uint64_t begin = now_ns();
    auto delivered = [this](std::uint64_t seq) { reflect(seq); };
    std::uint64_t missed = run_frames(
        frames,
        [&](std::uint64_t f) {
          if (auto edit = edit_at(f, batch_)) {
            edit->seq = edited_at_.size() + 1;
            edited_at_.push_back(now_ns());
            projector_.submit(*edit);
          }
          projector_.take(0, delivered);
        },
        [&](std::uint64_t deadline) { projector_.take(deadline, delivered); });
    const auto frame = static_cast<std::uint64_t>(kFrame.count());
    while (reflected_ < edited_at_.size()) projector_.take(now_ns() + frame, delivered);
    projector_.finish();
    const double seconds = static_cast<double>(now_ns() - begin) * 1e-9;
    counters_.add("frames_missed", static_cast<double>(missed));
    counters_.add("missed_per_frame", static_cast<double>(missed), Counter::Per::iteration);
    counters_.add("edits", static_cast<double>(edited_at_.size()));
    counters_.add("projections", static_cast<double>(projections_));
    counters_.add("projections_per_s", static_cast<double>(projections_) / seconds);
    counters_.add("last_win", projector_.last_win());
    return frames;
  }

 private:
  // A projection that includes every edit up to `seq`: each of them is now on screen.
  void reflect(std::uint64_t seq) {
    if (seq <= reflected_ || seq > edited_at_.size())
      throw IntegrityError(fmt::format("election/ui: a projection for edit {} after edit {} of {}",
                                       seq, reflected_, edited_at_.size()));
    const std::uint64_t now = now_ns();
    for (std::uint64_t e = reflected_ + 1; e <= seq; ++e) latency_.record(now - edited_at_[e - 1]);
    reflected_ = seq;
    ++projections_;
  }

  Projector& projector_;
  std::uint64_t batch_;
  Histogram& latency_;
  Counters& counters_;
  std::vector<std::uint64_t> edited_at_;
  std::uint64_t reflected_ = 0;
  std::uint64_t projections_ = 0;
};

class InlineProjector final : public Projector {
 public:
  void submit(const EditMessage& edit) override {
    probabilities_[edit.state] = edit.probability;
    shown_ = compute(probabilities_, edit.batch, edit.seq);
    last_win_ = shown_.win;
    ready_ = edit.seq;
  }
  // The projection is ready when its frame's work ends; then the loop sleeps to the next
  // frame, as a main loop with nothing to do does.
  void take(std::uint64_t deadline, const std::function<void(std::uint64_t)>& delivered) override {
    if (ready_ != 0) delivered(std::exchange(ready_, 0));
    if (deadline == 0) return;
    timespec until{static_cast<time_t>(deadline / 1'000'000'000u), static_cast<long>(deadline % 1'000'000'000u)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) throw_if_interrupted("election/ui");
  }

 private:
  std::vector<double> probabilities_ = scenario_2008();
  Projection shown_;
  std::uint64_t ready_ = 0;
};

class LinkProjector final : public Projector {
 public:
  explicit LinkProjector(Endpoint& link) : link_(link) {}

  void submit(const EditMessage& edit) override { link_.send(bytes_of(edit)); }

  void take(std::uint64_t deadline, const std::function<void(std::uint64_t)>& delivered) override {
    for (;;) {
      std::uint64_t now = now_ns();
      auto wait = std::chrono::nanoseconds(deadline > now ? deadline - now : 0);
      if (!link_.poll(wait)) {
        if (now_ns() >= deadline) return;
        continue;
      }
      auto reply = read_message<ProjectionMessage>(link_.recv_view(buffer_), "election/ui", "projection");
      if (!(reply.win >= 0 && reply.win <= 1 + 1e-9) || reply.sims == 0)
        throw IntegrityError(fmt::format("election/ui: a projection of {} simulations with win {}",
                                         reply.sims, reply.win));
      last_win_ = reply.win;
      delivered(reply.seq);
    }
  }

  void finish() override {
    EditMessage stop;
    stop.kind = 1;
    link_.send(bytes_of(stop));
  }

 private:
  Endpoint& link_;
  std::array<std::byte, kMaxMessage> buffer_{};
};

// The UI loop: with a worker over the link, or (transport none, placement inline) computing
// each projection inside its frame.
class UiLead final : public Lead {
 public:
  UiLead(LeaderSide& side, std::unique_ptr<Projector> projector) : side_(side), projector_(std::move(projector)) {}

  void run() override {
    ProjectionLoop loop(*projector_, side_.spec.param("batch"), side_.latency, side_.counters);
    side_.completed = loop.run(side_.count);
  }

 private:
  LeaderSide& side_;
  std::unique_ptr<Projector> projector_;
};

// The Updater: applies every edit that has arrived, simulates for the newest, abandons a
// projection that a newer edit has made stale.
class Updater final : public Follow {
 public:
  explicit Updater(PeerSide& side) : side_(side) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    std::uint64_t delivered = 0, superseded = 0, sims = 0;
    EditMessage wanted{};  // the newest edit, whose projection is owed; seq 0: none
    for (;;) {
      // Block for work only when there is none; then take every edit already there.
      if (wanted.seq == 0 && !apply(link.recv_view(buffer_), wanted)) break;
      bool stop = false;
      while (!stop && link.poll(std::chrono::nanoseconds::zero())) {
        stop = !apply(link.recv_view(buffer_), wanted);
        if (!stop) ++superseded;  // the edit before it gets no projection of its own
      }
      if (stop) break;
      side_.tick();
      // Simulate in chunks, looking at the link between them.
      Plan plan = make_plan(map_2008(), probabilities_);
      Tally tally(plan.total_votes);
      bool stale = false;
      for (std::uint64_t done = 0, chunk = 0; done < wanted.batch; ++chunk) {
        std::uint64_t n = std::min(kChunk, wanted.batch - done);
        simulate(Kernel::simd, plan, n, batch_seed(wanted.seq, chunk), tally);
        done += n;
        sims += n;
        if (done < wanted.batch && link.poll(std::chrono::nanoseconds::zero())) {
          stale = true;
          break;
        }
      }
      if (stale) continue;  // the next pass takes the newer edit
      Projection projection = project(map_2008(), tally);
      ProjectionMessage reply{wanted.seq, tally.sims, projection.win, projection.tie,
                              projection.expected_votes};
      link.send(bytes_of(reply));
      ++delivered;
      wanted = EditMessage{};
    }
    side_.counters.add("superseded", static_cast<double>(superseded));
    side_.counters.add("worker_sims", static_cast<double>(sims));
    side_.completed = delivered;
  }

 private:
  // Applies an edit and makes it the wanted projection; false for the stop message.
  bool apply(std::span<const std::byte> bytes, EditMessage& wanted) {
    auto edit = read_message<EditMessage>(bytes, "election/ui", "edit");
    if (edit.kind == 1) return false;
    if (edit.kind != 0 || edit.state >= probabilities_.size() || !(edit.probability >= 0 && edit.probability <= 1) ||
        edit.batch == 0 || edit.seq <= wanted.seq)
      throw IntegrityError(fmt::format("election/ui: a malformed edit (seq {})", edit.seq));
    probabilities_[edit.state] = edit.probability;
    wanted = edit;
    return true;
  }

  PeerSide& side_;
  std::vector<double> probabilities_ = scenario_2008();
  std::array<std::byte, kMaxMessage> buffer_{};
};

Segment batch_segment() {
  Segment batch;
  batch.key = "batch";
  batch.noun = "simulations per edit";
  batch.min = 1;
  batch.max = 1'000'000'000;
  batch.fallback = 250;
  return batch;
}

Workload ui_workload() {
  Workload work;
  work.name = "election/ui";
  work.summary = "60 Hz UI loop, edits to a worker that projects the election, polled";
  work.iteration = "frame";
  work.segments = {batch_segment()};
  work.frame = kFrame;
  work.latency = "edit";
  work.max_message = kMaxMessage;
  // A sample spans whole edit cycles (a drag, then still frames). The Updater waits for
  // edits, blocking: a spinning one would take the core the UI loop needs.
  work.pattern_iterations = kCycleFrames;
  work.without_medium = true;
  work.validate = [](const RunSpec& spec, const MediumKind& kind) {
    // Computing inline is the variant with no worker and no link; a worker needs a link.
    if (kind.none != find_placement(spec.placement).peerless)
      throw UsageError("election/ui computes inline (placement inline) exactly when it has no "
                       "link (transport none)");
  };
  work.lead = [](LeaderSide& side) {
    std::unique_ptr<Projector> projector;
    if (side.handle.empty())
      projector = std::make_unique<InlineProjector>();
    else
      projector = std::make_unique<LinkProjector>(side.handle.endpoint());
    return std::make_unique<UiLead>(side, std::move(projector));
  };
  work.follow = [](PeerSide& side) { return std::make_unique<Updater>(side); };
  return work;
}

// ---- election/ui-fanout: the Updater's work split over W workers sharing a queue ----------
//
// The same loop; each edit goes out as W pieces of its batch (each with the whole set of
// probabilities, since a worker sees only the pieces it takes), the W partial tallies come back
// and are added exactly, and the projection is shown when all W are in. A worker that finds a
// newer edit in the queue between two chunks drops the piece it holds (the newer one supersedes
// it) and keeps what it took; pieces of an edit already superseded are dropped untouched.

constexpr std::size_t kMaxStates = 64;
constexpr std::uint64_t kMaxFanOut = 16;
constexpr std::size_t kVoteBins = 539;  // 0 .. 538 electoral votes
// Every piece of a drag's edits and every stop at once, with room to spare: the loop never
// waits to send.
constexpr std::size_t kFanOutDepth = 4 * 6 * kMaxFanOut;

struct PieceMessage {
  std::uint64_t kind = 0;  // 0 a piece, 1 stop
  std::uint64_t seq = 0;
  std::uint64_t index = 0;  // its place among its edit's pieces
  std::uint64_t sims = 0;
  std::array<double, kMaxStates> probabilities{};
};

struct PartMessage {
  std::uint64_t seq = 0;
  std::uint64_t index = 0;
  std::uint64_t sims = 0;
  std::array<std::uint32_t, kVoteBins> counts{};
};

constexpr std::size_t kFanOutMessage = std::max(sizeof(PieceMessage), sizeof(PartMessage));

class FanOutProjector final : public Projector {
 public:
  FanOutProjector(Endpoint& queue, std::uint64_t workers) : queue_(queue), workers_(workers) {
    if (map_2008().states.size() > kMaxStates || map_2008().total_votes + 1 != kVoteBins)
      throw std::logic_error("election/ui-fanout: the map no longer fits its messages");
  }

  void submit(const EditMessage& edit) override {
    probabilities_[edit.state] = edit.probability;
    PieceMessage piece;
    piece.seq = edit.seq;
    std::copy(probabilities_.begin(), probabilities_.end(), piece.probabilities.begin());
    for (std::uint64_t i = 0; i < workers_; ++i) {
      piece.index = i;
      piece.sims = edit.batch / workers_ + (i < edit.batch % workers_ ? 1 : 0);
      queue_.send(bytes_of(piece));
    }
    current_ = edit.seq;
    batch_ = edit.batch;
    parts_ = 0;
    tally_ = Tally(map_2008().total_votes);
  }

  void take(std::uint64_t deadline, const std::function<void(std::uint64_t)>& delivered) override {
    for (;;) {
      std::uint64_t now = now_ns();
      if (!queue_.poll(std::chrono::nanoseconds(deadline > now ? deadline - now : 0))) {
        if (now_ns() >= deadline) return;
        continue;
      }
      auto part = read_message<PartMessage>(queue_.recv_view(buffer_), "election/ui-fanout", "partial tally");
      if (part.seq > current_ || part.index >= workers_)
        throw IntegrityError(fmt::format("election/ui-fanout: a part {} of edit {} while edit {} is the newest",
                                         part.index, part.seq, current_));
      if (part.seq < current_) continue;  // a superseded edit's: its projection is not shown
      add(part);
      if (++parts_ < workers_) continue;
      if (tally_.sims != batch_)
        throw IntegrityError(fmt::format("election/ui-fanout: edit {}'s parts hold {} simulations, not {}",
                                         current_, tally_.sims, batch_));
      last_win_ = project(map_2008(), tally_).win;  // what the screen shows
      delivered(current_);
    }
  }

  void finish() override {
    PieceMessage stop;
    stop.kind = 1;
    for (std::uint64_t i = 0; i < workers_; ++i) queue_.send(bytes_of(stop));
  }

 private:
  void add(const PartMessage& part) {
    Tally piece(map_2008().total_votes);
    for (std::size_t v = 0; v < piece.counts.size(); ++v) piece.counts[v] = part.counts[v];
    piece.sims = part.sims;
    tally_.add(piece);
  }

  Endpoint& queue_;
  std::uint64_t workers_;
  std::vector<double> probabilities_ = scenario_2008();
  std::uint64_t current_ = 0, batch_ = 0, parts_ = 0;
  Tally tally_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(kFanOutMessage);
};

// One of the W workers: simulates the pieces it takes, newest edit first.
class PieceWorker final : public Follow {
 public:
  explicit PieceWorker(PeerSide& side) : side_(side) {}

  void run() override {
    Endpoint& queue = side_.handle.endpoint();
    std::uint64_t newest = 0;
    for (;;) {
      PieceMessage piece = next(queue);
      if (piece.kind == 1) break;
      if (piece.seq < newest) {
        ++superseded_;
        continue;
      }
      newest = piece.seq;
      side_.tick();
      Tally tally(map_2008().total_votes);
      if (!simulate_piece(queue, piece, tally)) {
        ++superseded_;
        continue;
      }
      PartMessage part{piece.seq, piece.index, tally.sims, {}};
      for (std::size_t v = 0; v < kVoteBins; ++v) part.counts[v] = static_cast<std::uint32_t>(tally.counts[v]);
      queue.send(bytes_of(part));
      ++delivered_;
    }
    side_.counters.add("superseded", static_cast<double>(superseded_));
    side_.counters.add("worker_sims", static_cast<double>(sims_));
    side_.completed = delivered_;
  }

 private:
  PieceMessage next(Endpoint& queue) {
    if (backlog_.empty())
      return read_message<PieceMessage>(queue.recv_view(buffer_), "election/ui-fanout", "piece");
    PieceMessage piece = backlog_.front();
    backlog_.pop_front();
    return piece;
  }

  // Simulates the piece in chunks, looking at the queue between them; false when a newer edit
  // (or the stop) was found there, which supersedes the piece.
  bool simulate_piece(Endpoint& queue, const PieceMessage& piece, Tally& tally) {
    const std::size_t states = map_2008().states.size();
    std::vector<double> probabilities(piece.probabilities.begin(), piece.probabilities.begin() + states);
    for (double p : probabilities)
      if (!(p >= 0 && p <= 1)) throw IntegrityError(fmt::format("election/ui-fanout: edit {}'s piece is malformed", piece.seq));
    Plan plan = make_plan(map_2008(), probabilities);
    for (std::uint64_t done = 0, chunk = 0; done < piece.sims; ++chunk) {
      std::uint64_t n = std::min(kChunk, piece.sims - done);
      simulate(Kernel::simd, plan, n, batch_seed(piece.seq, (piece.index << 32) | chunk), tally);
      done += n;
      sims_ += n;
      if (done < piece.sims && queue.poll(std::chrono::nanoseconds::zero())) {
        backlog_.push_back(read_message<PieceMessage>(queue.recv_view(buffer_), "election/ui-fanout", "piece"));
        if (backlog_.back().kind == 1 || backlog_.back().seq > piece.seq) return false;
      }
    }
    return true;
  }

  PeerSide& side_;
  std::deque<PieceMessage> backlog_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(kFanOutMessage);
  std::uint64_t delivered_ = 0, superseded_ = 0, sims_ = 0;
};

Workload ui_fanout_workload() {
  Workload work;
  work.name = "election/ui-fanout";
  work.summary = "the 60 Hz UI loop, each edit's projection split over W workers sharing a queue";
  work.iteration = "frame";
  Segment workers;
  workers.key = "workers";
  workers.noun = "workers";
  workers.min = 1;
  workers.max = kMaxFanOut;
  workers.fallback = 2;
  work.segments = {workers, batch_segment()};
  work.peers_key = "workers";
  work.frame = kFrame;
  work.latency = "edit";
  work.max_message = kFanOutMessage;
  work.queue_depth = kFanOutDepth;
  work.pattern_iterations = kCycleFrames;
  work.workers_use_every_cpu = true;
  work.validate = [](const RunSpec& spec, const MediumKind& kind) {
    if (!kind.many_receivers || !kind.many_senders)
      throw UsageError(fmt::format("transport {} is point-to-point: election/ui-fanout needs a queue that "
                                   "several workers share (queue-boost, queue-mutex, queue-manager-*)",
                                   kind.name));
    if (spec.param("batch") < spec.param("workers"))
      throw UsageError("election/ui-fanout: fewer simulations per edit than workers");
  };
  work.lead = [](LeaderSide& side) {
    return std::make_unique<UiLead>(side, std::make_unique<FanOutProjector>(
                                              side.handle.endpoint(), static_cast<std::uint64_t>(side.spec.peer_count())));
  };
  work.follow = [](PeerSide& side) { return std::make_unique<PieceWorker>(side); };
  return work;
}

const Registry<Workload>::Add registered{ui_workload};
const Registry<Workload>::Add fanout_registered{ui_fanout_workload};

}  // namespace

}  // namespace ipcmeter::election
