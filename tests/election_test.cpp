// The election projection: the data and its checks, the exact distribution against cases
// worked by hand, every kernel against the exact answer, the parallel projection's exact
// combination, the UI loop's edits and supersession, and ipcmeter-election as a user meets it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "harness/run.hpp"
#include "harness/workloads/election/kernel.hpp"
#include "harness/workloads/election/model.hpp"
#include "harness/workloads/election/parallel.hpp"
#include "harness/workloads/election/ui.hpp"
#include "tests/test_support.hpp"

namespace ipcmeter {
namespace {

using namespace election;
namespace fs = std::filesystem;

// The message of the ElectionInputError a call throws ("(accepted)" if none).
template <typename F>
std::string input_error_of(F&& call) {
  try {
    call();
  } catch (const ElectionInputError& error) {
    return error.what();
  }
  return "(accepted)";
}

// A three-state map of 8 votes (5 to win, a tie at 4): small enough to work by hand.
Map tiny_map() { return parse_map("A,Alpha,4\nB,Beta,2\nC,Gamma,2\n", "tiny", 0); }

// ---- the data -------------------------------------------------------------------------

TEST(ElectionData, The2008ApportionmentIs51EntriesOf538Votes) {
  const Map& map = map_2008();
  EXPECT_EQ(map.states.size(), 51u);  // 50 states and DC
  EXPECT_EQ(map.total_votes, 538u);
  EXPECT_EQ(map.majority(), 270u);
  EXPECT_TRUE(map.can_tie());
  // A few entries of the 2004/2008 apportionment (after the 2000 census), as published.
  auto votes_of = [&](const char* code) {
    int i = map.find(code);
    return i < 0 ? 0u : map.states[static_cast<std::size_t>(i)].votes;
  };
  EXPECT_EQ(votes_of("CA"), 55u);
  EXPECT_EQ(votes_of("TX"), 34u);
  EXPECT_EQ(votes_of("NY"), 31u);
  EXPECT_EQ(votes_of("FL"), 27u);
  EXPECT_EQ(votes_of("oh"), 20u);  // codes are case-insensitive
  EXPECT_EQ(votes_of("DC"), 3u);
  EXPECT_EQ(votes_of("WY"), 3u);
  EXPECT_EQ(map.find("XX"), -1);
  ASSERT_EQ(scenario_2008().size(), 51u);
  for (double p : scenario_2008()) EXPECT_TRUE(p >= 0 && p <= 1) << p;
}

TEST(ElectionData, BadMapLinesNameTheirLine) {
  EXPECT_EQ(input_error_of([] { parse_map("# votes\nA,Alpha,4\nB,Beta\n", "m.csv", 0); }),
            "m.csv:3: expected 'code,name,votes'");
  EXPECT_NE(input_error_of([] { parse_map("A,Alpha,4\nA,Again,2\n", "m.csv", 0); })
                .find("m.csv:2: state A is listed twice"),
            std::string::npos);
  EXPECT_NE(input_error_of([] { parse_map("A,Alpha,4\nB,Beta,-2\n", "m.csv", 0); }).find("m.csv:2: votes '-2'"),
            std::string::npos);
  EXPECT_NE(input_error_of([] { parse_map("A,Alpha,0\n", "m.csv", 0); }).find("m.csv:1:"), std::string::npos);
  // The total must be 538 unless the caller allows another.
  EXPECT_NE(input_error_of([] { parse_map("A,Alpha,4\nB,Beta,2\n", "m.csv"); })
                .find("m.csv:2: the votes sum to 6, not 538"),
            std::string::npos);
  EXPECT_EQ(input_error_of([] { parse_map("A,Alpha,4\nB,Beta,2\n", "m.csv", 6); }), "(accepted)");
  EXPECT_EQ(input_error_of([] { parse_map("# nothing\n", "m.csv", 0); }), "m.csv: no states");
  EXPECT_EQ(input_error_of([] { load_map("/nonexistent/votes.csv"); }), "/nonexistent/votes.csv: cannot be read");
}

TEST(ElectionData, BadProbabilityLinesNameTheirLine) {
  const Map map = tiny_map();
  EXPECT_EQ(input_error_of([&] { parse_probabilities("A,1\nB,0.5\nC,0\n", "p.csv", map); }), "(accepted)");
  EXPECT_EQ(input_error_of([&] { parse_probabilities("A,1\nZZ,0.5\nC,0\n", "p.csv", map); }),
            "p.csv:2: unknown state 'ZZ'");
  EXPECT_NE(input_error_of([&] { parse_probabilities("A,1\nB,1.5\nC,0\n", "p.csv", map); })
                .find("p.csv:2: probability '1.5' for B is not in [0, 1]"),
            std::string::npos);
  for (const char* bad : {"-0.1", "nan", "0.5x", ""})
    EXPECT_NE(input_error_of([&] {
                parse_probabilities(std::string("A,1\nB,0.5\nC,") + bad + "\n", "p.csv", map);
              }).find("p.csv:3:"),
              std::string::npos)
        << bad;
  EXPECT_NE(input_error_of([&] { parse_probabilities("A,1\nB,0.5\na,0\nC,0\n", "p.csv", map); })
                .find("p.csv:3: state A is listed twice (first on line 1)"),
            std::string::npos);
  EXPECT_NE(input_error_of([&] { parse_probabilities("A,1\nC,0\n", "p.csv", map); }).find("state B (Beta)"),
            std::string::npos);
}

// ---- the exact distribution, against hand-worked cases ------------------------------

TEST(ElectionExact, EveryStateCertainIsOnePointOfMass) {
  const Map map = tiny_map();
  const std::vector<double> p = {1, 0, 1};  // A carries Alpha and Gamma: 6 votes
  Projection exact_answer = exact(map, p);
  EXPECT_DOUBLE_EQ(exact_answer.win, 1.0);
  EXPECT_DOUBLE_EQ(exact_answer.tie, 0.0);
  EXPECT_DOUBLE_EQ(exact_answer.loss, 0.0);
  EXPECT_DOUBLE_EQ(exact_answer.expected_votes, 6.0);
  ASSERT_EQ(exact_answer.distribution.size(), 9u);
  for (std::size_t v = 0; v <= 8; ++v) EXPECT_DOUBLE_EQ(exact_answer.distribution[v], v == 6 ? 1.0 : 0.0) << v;

  // The whole map, every state certain for A, then none.
  std::vector<double> all(51, 1.0), none(51, 0.0);
  EXPECT_DOUBLE_EQ(exact(map_2008(), all).win, 1.0);
  EXPECT_DOUBLE_EQ(exact(map_2008(), all).distribution[538], 1.0);
  EXPECT_DOUBLE_EQ(exact(map_2008(), none).loss, 1.0);
  EXPECT_DOUBLE_EQ(exact(map_2008(), none).expected_votes, 0.0);
}

TEST(ElectionExact, OneCoinFlipStateSplitsTheMass) {
  const Map map = tiny_map();
  // Alpha (4) certain, Beta (2) a coin flip: 4 votes (a tie) or 6 (a win), half each.
  Projection tie_or_win = exact(map, std::vector<double>{1, 0.5, 0});
  EXPECT_DOUBLE_EQ(tie_or_win.win, 0.5);
  EXPECT_DOUBLE_EQ(tie_or_win.tie, 0.5);
  EXPECT_DOUBLE_EQ(tie_or_win.loss, 0.0);
  EXPECT_DOUBLE_EQ(tie_or_win.expected_votes, 5.0);
  // Alpha a coin flip, Beta certain: 2 votes (a loss) or 6 (a win).
  Projection win_or_loss = exact(map, std::vector<double>{0.5, 1, 0});
  EXPECT_DOUBLE_EQ(win_or_loss.win, 0.5);
  EXPECT_DOUBLE_EQ(win_or_loss.tie, 0.0);
  EXPECT_DOUBLE_EQ(win_or_loss.loss, 0.5);
  EXPECT_DOUBLE_EQ(win_or_loss.distribution[2], 0.5);
  EXPECT_DOUBLE_EQ(win_or_loss.distribution[6], 0.5);
  // Beta and Gamma both coin flips, Alpha lost: 0, 2 (twice) or 4 votes: 1/4, 1/2, 1/4.
  Projection two = exact(map, std::vector<double>{0, 0.5, 0.5});
  EXPECT_DOUBLE_EQ(two.distribution[0], 0.25);
  EXPECT_DOUBLE_EQ(two.distribution[2], 0.5);
  EXPECT_DOUBLE_EQ(two.distribution[4], 0.25);
  EXPECT_DOUBLE_EQ(two.tie, 0.25);
  EXPECT_DOUBLE_EQ(two.loss, 0.75);
}

TEST(ElectionExact, PlanTurnsProbabilitiesIntoThresholdsAndCertainVotes) {
  const Map map = tiny_map();
  Plan plan = make_plan(map, std::vector<double>{1, 0.5, 0});
  EXPECT_EQ(plan.certain_votes, 4u);          // Alpha
  ASSERT_EQ(plan.thresholds.size(), 1u);      // only Beta is uncertain; Gamma is never A's
  EXPECT_EQ(plan.thresholds[0], 1u << 31);    // half of the 32-bit draws
  EXPECT_EQ(plan.votes[0], 2u);
  Plan tiny_p = make_plan(map, std::vector<double>{1e-12, 1 - 1e-12, 0.25});
  EXPECT_EQ(tiny_p.thresholds, (std::vector<std::uint32_t>{1u, 4294967295u, 1u << 30}));
}

// ---- the kernels against the exact answer ---------------------------------------------

struct Case {
  const char* name;
  const Map* map;
  std::vector<double> p;
};

std::vector<Case> cases() {
  static const Map tiny = tiny_map();
  std::vector<Case> all;
  all.push_back({"scenario_2008", &map_2008(), scenario_2008()});
  all.push_back({"every_state_a_coin_flip", &map_2008(), std::vector<double>(51, 0.5)});
  std::vector<double> close = scenario_2008();
  for (double& p : close) p = 0.5 + (p - 0.5) * 0.15;  // a race near 50-50
  all.push_back({"close_race", &map_2008(), close});
  all.push_back({"tiny_tie_or_win", &tiny, {0.7, 0.5, 0.2}});
  return all;
}

// |simulated - exact| within 4 standard errors, for the win, the tie and the expected votes.
void expect_near_exact(const Map& map, const std::vector<double>& p, const Tally& tally, const std::string& what) {
  Projection truth = exact(map, p);
  Projection simulated = project(map, tally);
  const double n = static_cast<double>(tally.sims);
  auto se = [n](double q) { return std::sqrt(q * (1 - q) / n); };
  EXPECT_LE(std::fabs(simulated.win - truth.win), 4 * se(truth.win) + 1e-12)
      << what << ": win " << simulated.win << " vs exact " << truth.win;
  EXPECT_LE(std::fabs(simulated.tie - truth.tie), 4 * se(truth.tie) + 1e-12)
      << what << ": tie " << simulated.tie << " vs exact " << truth.tie;
  double variance = 0;
  for (std::size_t v = 0; v < truth.distribution.size(); ++v) {
    double d = static_cast<double>(v) - truth.expected_votes;
    variance += truth.distribution[v] * d * d;
  }
  EXPECT_LE(std::fabs(simulated.expected_votes - truth.expected_votes), 4 * std::sqrt(variance / n) + 1e-9)
      << what << ": expected votes " << simulated.expected_votes << " vs exact " << truth.expected_votes;
}

class Kernels : public ::testing::TestWithParam<Kernel> {};

TEST_P(Kernels, SimulatedAnswerLiesWithinFourStandardErrorsOfTheExactOne) {
  // Not a multiple of any kernel's block, so the partial blocks count too.
  const std::uint64_t sims = GetParam() == Kernel::textbook ? 200'003 : 1'000'003;
  for (const Case& c : cases()) {
    Plan plan = make_plan(*c.map, c.p);
    Tally tally(c.map->total_votes);
    simulate(GetParam(), plan, sims, 7, tally);
    ASSERT_EQ(tally.sims, sims) << c.name;
    ASSERT_EQ(std::accumulate(tally.counts.begin(), tally.counts.end(), std::uint64_t{0}), sims) << c.name;
    expect_near_exact(*c.map, c.p, tally, std::string(kernel_name(GetParam())) + " " + c.name);
  }
}

TEST_P(Kernels, TheSameSeedGivesTheSameTallyAndAnotherSeedAnother) {
  Plan plan = make_plan(map_2008(), scenario_2008());
  Tally a(538), b(538), c(538);
  simulate(GetParam(), plan, 10'000, 42, a);
  simulate(GetParam(), plan, 10'000, 42, b);
  simulate(GetParam(), plan, 10'000, 43, c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_P(Kernels, CertainStatesNeedNoDraws) {
  std::vector<double> p(51, 0.0);
  p[static_cast<std::size_t>(map_2008().find("CA"))] = 1.0;
  Plan plan = make_plan(map_2008(), p);
  Tally tally(538);
  simulate(GetParam(), plan, 1000, 1, tally);
  EXPECT_EQ(tally.counts[55], 1000u);
}

std::string kernel_param_name(const ::testing::TestParamInfo<Kernel>& param) {
  return kernel_name(param.param);
}

INSTANTIATE_TEST_SUITE_P(Election, Kernels, ::testing::ValuesIn(all_kernels()), kernel_param_name);

TEST(ElectionKernels, FastAndPlainKernelsAgreeWithEachOther) {
  // Two independent samples of the same race: the difference of their win fractions within
  // 4 standard errors of a difference.
  std::vector<double> close = scenario_2008();
  for (double& p : close) p = 0.5 + (p - 0.5) * 0.15;
  Plan plan = make_plan(map_2008(), close);
  Tally simd(538), scalar(538), textbook(538);
  simulate(Kernel::simd, plan, 2'000'000, 11, simd);
  simulate(Kernel::scalar, plan, 2'000'000, 12, scalar);
  simulate(Kernel::textbook, plan, 300'000, 13, textbook);
  auto win = [](const Tally& t) { return project(map_2008(), t).win; };
  auto agree = [&](const Tally& x, const Tally& y) {
    double p = (win(x) + win(y)) / 2;
    double se = std::sqrt(p * (1 - p) * (1.0 / static_cast<double>(x.sims) + 1.0 / static_cast<double>(y.sims)));
    return std::fabs(win(x) - win(y)) <= 4 * se;
  };
  EXPECT_TRUE(agree(simd, scalar)) << win(simd) << " vs " << win(scalar);
  EXPECT_TRUE(agree(simd, textbook)) << win(simd) << " vs " << win(textbook);
  // And the votes distribution as a whole: the two tallies' distributions are close.
  double distance = 0;  // total variation distance
  for (std::size_t v = 0; v <= 538; ++v)
    distance += std::fabs(static_cast<double>(simd.counts[v]) / 2e6 - static_cast<double>(scalar.counts[v]) / 2e6);
  EXPECT_LT(distance / 2, 0.01);
}

TEST(ElectionKernels, BatchesCombineIntoTheSameTallyWhateverTheirOrder) {
  Plan plan = make_plan(map_2008(), scenario_2008());
  Tally forward(538), backward(538);
  for (std::uint64_t i = 0; i < 4; ++i) simulate(Kernel::simd, plan, 1000, batch_seed(9, i), forward);
  std::vector<Tally> parts(4, Tally(538));
  for (std::uint64_t i = 4; i-- > 0;) simulate(Kernel::simd, plan, 1000, batch_seed(9, i), parts[i]);
  for (std::uint64_t i = 4; i-- > 0;) backward.add(parts[i]);
  EXPECT_EQ(forward, backward);
  EXPECT_EQ(backward.sims, 4000u);
}

// ---- the parallel projection: partial counts combined exactly -------------------------

// What the last projection of a run must report: the exact counts of a sequential run.
// The last projection done here, one batch after another in this thread, with none of the
// workload's own arithmetic: kProjectionSims / batch batches of `batch` simulations (every
// batch size tested divides it), each seeded as the workload says batches are.
Tally truth_of(std::uint64_t batch, std::uint64_t projection) {
  EXPECT_EQ(kProjectionSims % batch, 0u);
  const Plan plan = make_plan(map_2008(), scenario_2008());
  Tally truth(plan.total_votes);
  for (std::uint64_t i = 0; i < kProjectionSims / batch; ++i)
    simulate(Kernel::simd, plan, batch, parallel_batch_seed(projection, i), truth);
  return truth;
}

void expect_equals_sequential(const RunResult& result, std::uint64_t batch, std::uint64_t projections) {
  Tally truth = truth_of(batch, projections - 1);
  std::uint64_t wins = 0, vote_sum = 0;
  for (std::size_t v = 270; v <= 538; ++v) wins += truth.counts[v];
  for (std::size_t v = 0; v <= 538; ++v) vote_sum += v * truth.counts[v];
  ASSERT_NE(result.counters.find("last_wins"), nullptr);
  ASSERT_NE(result.counters.find("last_vote_sum"), nullptr);
  EXPECT_EQ(result.counters.find("last_wins")->value, static_cast<double>(wins));
  EXPECT_EQ(result.counters.find("last_vote_sum")->value, static_cast<double>(vote_sum));
  EXPECT_EQ(truth.sims, kProjectionSims);
  EXPECT_GT(wins, 0u);
}

using ParallelParam = std::tuple<std::string, std::string, std::uint64_t>;  // transport, placement, batch

std::string identifier(std::string name) {
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::string parallel_param_name(const ::testing::TestParamInfo<ParallelParam>& param) {
  return identifier(std::get<0>(param.param) + "_" + std::get<1>(param.param) + "_" +
                    std::to_string(std::get<2>(param.param)));
}

class ElectionParallel : public testing::NoLeftovers, public ::testing::WithParamInterface<ParallelParam> {};

TEST_P(ElectionParallel, WorkersPartialTalliesAddUpToTheSequentialProjection) {
  auto [transport, placement, batch] = GetParam();
  RunSpec spec = testing::spec_of("election/parallel", transport, placement, {{"workers", 2}, {"batch", batch}}, 2);
  RunResult result = run(spec);
  EXPECT_EQ(result.iterations, 2u);
  EXPECT_EQ(result.peer_iterations, 2 * kProjectionSims / batch);  // every batch once
  ASSERT_NE(result.counters.find("worker_sims"), nullptr);
  EXPECT_EQ(result.counters.find("worker_sims")->value, 2.0 * kProjectionSims);
  expect_equals_sequential(result, batch, 2);
}

INSTANTIATE_TEST_SUITE_P(Queues, ElectionParallel,
                         ::testing::Values(ParallelParam{"queue-mutex", "thread", 100'000},
                                           ParallelParam{"queue-boost", "thread", 1'000'000},
                                           ParallelParam{"queue-boost", "fork", 100'000},
                                           ParallelParam{"queue-boost", "spawn", 1'000'000},
                                           // Batches put into a Manager's queue, results gotten back.
                                           ParallelParam{"queue-manager-unix-stream", "fork", 100'000}),
                         parallel_param_name);

// The compute-only rate goes through run() like every other figure: transport none, the
// workers threads with no queue, each taking every second batch.
class ElectionParallelCompute : public testing::NoLeftovers {};

TEST_F(ElectionParallelCompute, ComputeOnlyGivesTheSameCountsAsTheQueue) {
  RunResult result = run(testing::spec_of("election/parallel", "none", "thread",
                                          {{"workers", 2}, {"batch", 100'000}}, 2));
  expect_equals_sequential(result, 100'000, 2);
  ASSERT_NE(result.counters.find("worker_sims"), nullptr);
  EXPECT_EQ(result.counters.find("worker_sims")->value, 2.0 * kProjectionSims);
  ASSERT_NE(result.counters.find("sims_per_s"), nullptr);
  EXPECT_GT(result.counters.find("sims_per_s")->value, 0);
}

TEST(ElectionParallelSpec, NoQueueIsForThreadsBesideTheLeader) {
  EXPECT_NE(testing::usage_error_of(testing::spec_of("election/parallel", "none", "fork",
                                                     {{"workers", 2}, {"batch", 1000}}, 1)),
            "(accepted)");
  EXPECT_NE(testing::usage_error_of(testing::spec_of("stream", "none", "thread", {{"size", 64}}, 1)),
            "(accepted)");
}

TEST(ElectionUiSpec, InlineExactlyWhenThereIsNoLink) {
  EXPECT_NE(testing::usage_error_of(testing::spec_of("election/ui", "none", "thread", {{"batch", 250}}, 1)),
            "(accepted)");
  EXPECT_NE(testing::usage_error_of(testing::spec_of("election/ui", "socketpair", "inline", {{"batch", 250}}, 1)),
            "(accepted)");
}

TEST(ElectionParallelSpec, AQueueThatOneReceiverOwnsIsRefused) {
  // A pipe has one reader: workers cannot share it as a work queue.
  std::string error = testing::usage_error_of(
      testing::spec_of("election/parallel", "pipe", "thread", {{"workers", 2}, {"batch", 1000}}, 1));
  EXPECT_NE(error, "(accepted)");
}

// ---- the UI loop -----------------------------------------------------------------------

double counter(const RunResult& result, const char* name) {
  const Counter* c = result.counters.find(name);
  return c ? c->value : -1;
}

using UiParam = std::tuple<std::string, std::string>;  // transport, placement

std::string ui_param_name(const ::testing::TestParamInfo<UiParam>& param) {
  return identifier(std::get<0>(param.param) + "_" + std::get<1>(param.param));
}

class ElectionUi : public testing::NoLeftovers, public ::testing::WithParamInterface<UiParam> {};

TEST_P(ElectionUi, EveryEditOfTheDragGetsOnScreen) {
  auto [transport, placement] = GetParam();
  // One cycle of the edit pattern: a drag of 6 edits, then still frames.
  RunResult result = run(testing::spec_of("election/ui", transport, placement, {{"batch", 1000}}, kCycleFrames));
  EXPECT_EQ(result.iterations, kCycleFrames);
  EXPECT_EQ(counter(result, "edits"), 6.0);
  EXPECT_EQ(result.latency.count(), 6u);  // every edit was reflected by some projection
  EXPECT_GE(counter(result, "projections"), 1.0);
  EXPECT_LE(counter(result, "projections"), 6.0);
  EXPECT_GE(counter(result, "frames_missed"), 0.0);
  // The worker simulated at least the last edit's batch, and no more than all of them.
  EXPECT_GE(counter(result, "worker_sims"), 1000.0);
  EXPECT_LE(counter(result, "worker_sims"), 6000.0);
}

INSTANTIATE_TEST_SUITE_P(Links, ElectionUi,
                         ::testing::Values(UiParam{"socketpair", "thread"}, UiParam{"socketpair", "fork"},
                                           UiParam{"shm-spsc", "fork"}, UiParam{"zmq-ipc", "spawn"}),
                         ui_param_name);

class ElectionUiSupersede : public testing::NoLeftovers {};

TEST_F(ElectionUiSupersede, ANewerEditSupersedesAStaleProjection) {
  // 100M simulations take far longer than the drag's six frames: the worker abandons the
  // stale ones and the last edit's projection reflects every earlier edit too.
  RunResult result = run(testing::spec_of("election/ui", "socketpair", "thread", {{"batch", 100'000'000}}, 12));
  EXPECT_EQ(counter(result, "edits"), 6.0);
  EXPECT_GE(counter(result, "superseded"), 1.0);
  EXPECT_LT(counter(result, "projections"), 6.0);
  EXPECT_EQ(result.latency.count(), 6u);
}

// ---- election/ui-fanout: each edit's projection over W workers sharing a queue ----

using FanOutParam = std::tuple<std::string, std::string, std::uint64_t>;  // transport, placement, workers

std::string fan_out_name(const ::testing::TestParamInfo<FanOutParam>& param) {
  return identifier(std::get<0>(param.param) + "_" + std::get<1>(param.param) + "_" +
                    std::to_string(std::get<2>(param.param)));
}

class ElectionUiFanOut : public testing::NoLeftovers, public ::testing::WithParamInterface<FanOutParam> {};

TEST_P(ElectionUiFanOut, EveryEditGetsOnScreenAndTheTallyMatchesOneWorkers) {
  // One cycle at 1M simulations per edit, split over W workers (a part each, summed exactly:
  // the loop fails the run unless the parts hold the whole batch); every edit is reflected.
  auto [transport, placement, workers] = GetParam();
  constexpr std::uint64_t kBatch = 1'000'000;
  RunResult fanned = run(testing::spec_of("election/ui-fanout", transport, placement,
                                          {{"batch", kBatch}, {"workers", workers}}, kCycleFrames));
  EXPECT_EQ(counter(fanned, "edits"), 6.0);
  EXPECT_EQ(fanned.latency.count(), 6u);
  EXPECT_GE(counter(fanned, "projections"), 1.0);
  EXPECT_GE(counter(fanned, "worker_sims"), counter(fanned, "projections") * kBatch);
  // The sequential projection of the same edits (election/ui's single Updater, with seeds of
  // its own) shows the same last win probability, within sampling error: at 1M simulations
  // its standard deviation is at most 0.0005.
  RunResult single = run(testing::spec_of("election/ui", "socketpair", "thread", {{"batch", kBatch}}, kCycleFrames));
  EXPECT_NEAR(counter(fanned, "last_win"), counter(single, "last_win"), 0.005);
  EXPECT_GT(counter(single, "last_win"), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Queues, ElectionUiFanOut,
                         ::testing::Values(FanOutParam{"queue-mutex", "thread", 2}, FanOutParam{"queue-boost", "fork", 3},
                                           FanOutParam{"queue-manager-unix-stream", "fork", 2}),
                         fan_out_name);

TEST(ElectionUiFanOutSpec, NeedsAQueueWorkersShare) {
  std::string why = testing::usage_error_of(
      testing::spec_of("election/ui-fanout", "socketpair", "thread", {{"batch", 1000}, {"workers", 2}}, 30));
  EXPECT_NE(why.find("point-to-point"), std::string::npos) << why;
}

// Inline: placement inline, transport none, no peer: the projection inside the frame.
RunSpec inline_spec(std::uint64_t batch, std::uint64_t frames) {
  return testing::spec_of("election/ui", "none", "inline", {{"batch", batch}}, frames);
}

class ElectionUiInline : public testing::NoLeftovers {};

TEST_F(ElectionUiInline, AFrameThatSimulatesTooLongIsMissed) {
  // Every frame of the drag carries an edit; 50M simulations take far longer than 16.7 ms
  // (about 0.15 s with the fastest kernel here, longer in a sanitizer build).
  RunResult result = run(inline_spec(50'000'000, 2));
  EXPECT_EQ(result.iterations, 2u);
  EXPECT_EQ(counter(result, "frames_missed"), 2.0);
  EXPECT_EQ(counter(result, "projections"), 2.0);  // inline, every edit gets its own
  EXPECT_EQ(result.latency.count(), 2u);
}

TEST_F(ElectionUiInline, SmallBatchesProjectEveryEdit) {
  RunResult result = run(inline_spec(250, 12));
  EXPECT_EQ(counter(result, "edits"), 6.0);
  EXPECT_EQ(counter(result, "projections"), 6.0);
  EXPECT_EQ(result.latency.count(), 6u);
}

// ---- ipcmeter-election ----------------------------------------------------------------

class ElectionCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::test_temp_dir() + "/election-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  testing::Outcome election(const std::vector<std::string>& args) {
    // Its own subdirectory, so that the captured streams are not among the inputs.
    std::string out = dir_ + "/out";
    fs::create_directories(out);
    return testing::run_program(IPCMETER_ELECTION_PATH, args, out);
  }
  std::string dir_;
};

std::string scenario_text() {
  std::string text = "# code,probability\n";
  for (std::size_t i = 0; i < 51; ++i)
    text += map_2008().states[i].code + "," + std::to_string(scenario_2008()[i]) + "\n";
  return text;
}

TEST_F(ElectionCli, ProjectsAFileWithTheExactAnswerBeside) {
  testing::Outcome outcome = election({write("p.csv", scenario_text()), "--sims=1M", "--seed=3"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  for (const char* part : {"A wins", "tie", "A loses", "expected votes", "simulated", "exact", "270 to win",
                           "1000000 simulations in", "million/s"})
    EXPECT_NE(outcome.out.find(part), std::string::npos) << part << "\n" << outcome.out;
  // The exact win percentage it prints is the one the model computes.
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.3f%%", 100 * exact(map_2008(), scenario_2008()).win);
  EXPECT_NE(outcome.out.find(expected), std::string::npos) << expected << "\n" << outcome.out;
  // The same seed, the same output (but the timing line).
  testing::Outcome again = election({dir_ + "/p.csv", "--sims=1M", "--seed=3"});
  auto body = [](const std::string& s) { return s.substr(0, s.find("1000000 simulations in")); };
  EXPECT_EQ(body(again.out), body(outcome.out));
}

TEST_F(ElectionCli, BadFilesAndFlagsGiveOneLineNamingTheLineAndExitTwo) {
  std::string good = scenario_text();
  std::string unknown = good;
  unknown.replace(unknown.find("\nOH,"), 4, "\nOX,");
  std::string outside = good;
  outside.replace(outside.find("\nTX,") + 4, 1, "7");  // "TX,0.95" becomes "TX,7.95"
  std::string missing = good.substr(0, good.rfind("WY,"));
  std::string twice = good + "ca,0.9\n";
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{write("unknown.csv", unknown)}, "unknown state 'OX'"},
      {{write("outside.csv", outside)}, "is not in [0, 1]"},
      {{write("missing.csv", missing)}, "state WY (Wyoming)"},
      {{write("twice.csv", twice)}, "state CA is listed twice"},
      {{dir_ + "/p.csv", "--votes", write("votes.csv", "A,Alpha,4\nB,Beta,2\n")}, "not 538"},
      {{dir_ + "/nonexistent.csv"}, "cannot be read"},
      // A directory reads as an empty stream: said as what it is, not as a missing state.
      {{dir_}, dir_ + ": is a directory, not a probabilities file"},
      {{dir_ + "/p.csv", "--votes", dir_}, dir_ + ": is a directory, not a votes file"},
      {{"--sims=0"}, "--sims"},
      {{"--kernel=quantum"}, "quantum"},
      {{"--frobnicate"}, "--frobnicate"},
  };
  for (const auto& [args, expected] : bad) {
    testing::Outcome outcome = election(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(outcome.exit_code, 2) << joined;
    EXPECT_EQ(outcome.out, "") << joined;
    EXPECT_NE(outcome.err.find(expected), std::string::npos) << joined << ": " << outcome.err;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << joined << ": " << outcome.err;
    EXPECT_EQ(outcome.err.rfind("ipcmeter-election: ", 0), 0u) << outcome.err;
  }
  // The line is named: after the comment line, OH is on line 2 + its index in the map.
  testing::Outcome outcome = election({dir_ + "/unknown.csv"});
  std::size_t oh_line = 2 + static_cast<std::size_t>(map_2008().find("OH"));
  EXPECT_NE(outcome.err.find("unknown.csv:" + std::to_string(oh_line) + ": "), std::string::npos) << outcome.err;
}

TEST_F(ElectionCli, AnotherMapIsAcceptedWhenItsTotalIsAllowed) {
  std::string votes = write("votes.csv", "A,Alpha,4\nB,Beta,2\nC,Gamma,2\n");
  std::string p = write("p.csv", "A,1\nB,0.5\nC,0\n");
  testing::Outcome outcome = election({p, "--votes", votes, "--any-total", "--sims=100K"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("3 states, 8 electoral votes, 5 to win"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("50.000%"), std::string::npos) << outcome.out;  // the exact tie and win
}

}  // namespace
}  // namespace ipcmeter
