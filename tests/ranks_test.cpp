// Peers on MPI ranks (placement:rank): these run under mpirun, in the CTest entries that
// tests/CMakeLists.txt adds when MPI is found; without mpirun they skip.
#include "harness/ranks.hpp"

#include <unistd.h>

#include "harness/placement.hpp"
#include "harness/run.hpp"
#include "tests/test_support.hpp"

namespace ipcmeter {
namespace {

bool on_ranks() {
  const Placement* rank = find_placement_or_null("rank");
  return rank && rank->remote->unavailable().empty();
}

#define SKIP_WITHOUT_RANKS() \
  if (!on_ranks()) GTEST_SKIP() << "needs mpirun -np 2 (the mpi_* CTest entries)"

class Ranks : public testing::NoLeftovers {};

TEST_F(Ranks, NamesRecordEveryHostLeaderFirst) {
  SKIP_WITHOUT_RANKS();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  RunSpec spec = testing::spec_of("pingpong", "mpi", "rank", {{"size", 64}}, 10);
  // Both ranks of the test's mpirun are on this host.
  EXPECT_EQ(spec.name(), "pingpong/transport:mpi/placement:rank/hosts:" + std::string(host) + "," +
                             host + "/wait:block/size:64");
}

TEST_F(Ranks, TooFewRanksIsListedAsUnsupported) {
  SKIP_WITHOUT_RANKS();
  RunSpec spec = testing::spec_of("fanin", "tcp", "rank", {{"size", 64}, {"producers", 4}}, 10);
  try {
    spec.validate();
    FAIL() << "accepted 4 producers on " << launched_ranks() << " ranks";
  } catch (const Unsupported& reason) {
    EXPECT_NE(std::string(reason.what()).find("4 peers need 5 ranks"), std::string::npos)
        << reason.what();
  }
}

TEST_F(Ranks, OnlyMediaThatCrossHostsRunOnRanks) {
  SKIP_WITHOUT_RANKS();
  EXPECT_NE(testing::usage_error_of(
                testing::spec_of("pingpong", "unix-stream", "rank", {{"size", 64}}, 10))
                .find("does not cross hosts"),
            std::string::npos);
  EXPECT_EQ(
      testing::usage_error_of(testing::spec_of("dict-get", "dict-manager-tcp", "rank", {}, 10)),
      "(accepted)");
}

TEST_F(Ranks, ManagerServesOverMpi) {
  SKIP_WITHOUT_RANKS();
  // The queue manager's server threads and the leader's own client use the mpi link from
  // several threads of rank 0 at once (MPI_THREAD_MULTIPLE), the client on rank 1.
  RunResult result =
      run(testing::spec_of("pingpong", "queue-manager-mpi", "rank", {{"size", 64}}, 50));
  EXPECT_EQ(result.peer_iterations, 50u);  // rank 1's own count
  EXPECT_EQ(result.latency.count(), 50u);
}

// Run alone by the mpi_rank_death entry: rank 1 dies by SIGKILL mid-run. The leader says so
// in one line at once, and the run fails saying which rank on which host went away. mpirun
// (told to let the other ranks live) keeps the leader going: a later run that needs rank 1
// fails at its start, in one line, and one that does not still goes.
TEST_F(Ranks, DeadRankEndsTheRun) {
  SKIP_WITHOUT_RANKS();
  if (!::getenv("IPCMETER_RANK_DEATH"))
    GTEST_SKIP() << "kills a rank: run by the mpi_rank_death entry only";
  RunSpec spec = testing::spec_of("stream", "tcp", "rank", {{"size", 64}}, 1'000'000);
  spec.fault = Fault::crash;
  spec.fault_after = 100;
  std::string failure = testing::failure_of(spec);
  EXPECT_NE(failure.find(ranks::who(1) + " went away"), std::string::npos) << failure;
  EXPECT_EQ(ranks::lost(1).rfind(ranks::who(1) + " went away", 0), 0u) << ranks::lost(1);

  try {
    run(testing::spec_of("pingpong", "tcp", "rank", {{"size", 64}}, 10));
    ADD_FAILURE() << "a run on the lost rank 1 went";
  } catch (const std::exception& error) {
    EXPECT_EQ(std::string(error.what()), ranks::lost(1) + "; this run needs it");
  }
  RunResult on_thread = run(testing::spec_of("pingpong", "tcp", "thread", {{"size", 64}}, 10));
  EXPECT_EQ(on_thread.iterations, 10u);
}

}  // namespace
}  // namespace ipcmeter
