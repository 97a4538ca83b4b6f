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
// in one line at once; mpirun then ends the job (its default), so nothing after the run
// below is reached unless mpirun lets this process live.
TEST_F(Ranks, DeadRankEndsTheRun) {
  SKIP_WITHOUT_RANKS();
  if (!::getenv("IPCMETER_RANK_DEATH"))
    GTEST_SKIP() << "kills a rank: run by the mpi_rank_death entry only";
  RunSpec spec = testing::spec_of("stream", "tcp", "rank", {{"size", 64}}, 1'000'000);
  spec.fault = Fault::crash;
  spec.fault_after = 100;
  testing::failure_of(spec);
  EXPECT_FALSE(RankSession::lost().empty());
}

}  // namespace
}  // namespace ipcmeter
