// The conformance suite: every registered transport in every placement it supports, held to
// the same contract. A new transport is covered by adding it to the registry.
#include <string>
#include <tuple>

#include "harness/run.hpp"
#include "harness/placement.hpp"
#include "harness/ranks.hpp"
#include "tests/test_support.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

// Readable parameters in ctest's listing.
void PrintTo(WaitStrategy wait, std::ostream* out) { *out << wait_name(wait); }

namespace {

// transport, placement, wait, size
using Param = std::tuple<std::string, std::string, WaitStrategy, std::size_t>;

class Conformance : public testing::NoLeftovers, public ::testing::WithParamInterface<Param> {
 protected:
  RunSpec spec(const std::string& workload, std::uint64_t count) const {
    RunSpec run = testing::spec_of(workload, std::get<0>(GetParam()), std::get<1>(GetParam()),
                                   {{"size", std::get<3>(GetParam())}}, count);
    run.wait = std::get<2>(GetParam());
    return run;
  }
};

TEST_P(Conformance, EchoesMessagesOfEverySizeByteExact) {
  // 1 byte up to the parameter size, across framing, packet and pipe-buffer boundaries.
  RunResult result = run(spec("exchange", 50));
  // What each side counted as it went, not what it was asked for.
  EXPECT_EQ(result.peer_iterations, 50u);
}

TEST_P(Conformance, PollsWithoutBlocking) {
  // Polling does not depend on the size between the two ends of the range: 64 KiB, which
  // the other tests cover, is left out to keep the suite's time down.
  if (std::get<3>(GetParam()) == 65536) GTEST_SKIP() << "polls are checked at 64 B and 1 MiB";
  // The leader polls before every receive: nothing is there before it sends (the peer only
  // answers), the echo is seen by the receive that returns at once (even messages) or by a
  // poll with a timeout (odd ones), and nothing is left after it. The peer polls too.
  RunResult result = run(spec("polled-exchange", 30));
  EXPECT_EQ(result.peer_iterations, 30u);
}

TEST_P(Conformance, StreamsManyMessagesInOrder) {
  if (find_transport(std::get<0>(GetParam())).alternating_only)
    GTEST_SKIP() << "a strictly alternating transport cannot stream";
  // Every message is sequence-checked and checksummed by the consumer; none may be lost.
  // Many laps of every ring and buffer: 80 MiB at 1 MiB (five laps of the largest ring),
  // ~20 MiB at 64 KiB, 20,000 small messages.
  std::size_t size = std::get<3>(GetParam());
  std::uint64_t count = size >= (1u << 20) ? 80 : size >= 65536 ? 300 : 20000;
  RunResult result = run(spec("stream", count));
  EXPECT_EQ(result.peer_iterations, count);  // messages the producer sent
  EXPECT_GT(result.elapsed_ns, 0u);
}

TEST_P(Conformance, PingPongVerifiesBothDirections) {
  // 1 MiB round trips are slow under the sanitizers (ZeroMQ's, about 30 ms each): fewer.
  std::uint64_t count = std::get<3>(GetParam()) >= (1u << 20) ? 40 : 200;
  RunResult result = run(spec("pingpong", count));
  EXPECT_EQ(result.latency.count(), count);
  EXPECT_GT(result.latency.quantile(0.5), 0u);
  EXPECT_EQ(result.peer_iterations, count);  // messages the peer verified
}

TEST_P(Conformance, PeerClosingEarlyIsAnErrorNotAHang) {
  bool alternating = find_transport(std::get<0>(GetParam())).alternating_only;
  RunSpec faulty = spec(alternating ? "pingpong" : "stream", 1000);
  faulty.fault = Fault::exit;
  faulty.fault_after = 10;
  std::string what = testing::failure_of(faulty);
  EXPECT_NE(what.find(faulty.describe()), std::string::npos) << what;
  EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
  // Seen as end-of-stream (or through the peer's liveness), not by the 60 s watchdog. Said by
  // the reason, not by a clock: under two CPU hogs an MPI rank's end once took 14.5 s to see.
  EXPECT_EQ(what.find("timed out"), std::string::npos) << what;
}

std::vector<Param> every_transport_and_placement() {
  std::vector<Param> params;
  for (const auto& transport : all_transports()) {
    if (transport.family == "test") continue;
    for (const auto& placement : all_placements()) {
      if (placement.separate_process && !transport.crosses_processes) continue;
      if (!testing::in_sanitizer_matrix(placement.name, transport.crosses_processes)) continue;
      if (placement.peerless) continue;  // no peer to converse with
      // Peers on ranks only under mpirun (the mpi_conformance test), and only over media that
      // cross hosts; the mpi transport only there.
      if (placement.remote && (!placement.remote->unavailable().empty() || !transport.crosses_hosts))
        continue;
      if (transport.ranks_only && !placement.remote) continue;
      for (WaitStrategy wait : transport.waits)
        for (std::size_t size : {std::size_t{64}, std::size_t{65536}, std::size_t{1} << 20})
          if (testing::in_sanitizer_matrix(wait, size))
            params.emplace_back(transport.name, placement.name, wait, size);
    }
  }
  return params;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" +
                     wait_name(std::get<2>(info.param)) + "_" +
                     std::to_string(std::get<3>(info.param));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

// A registered transport the matrix leaves out (no wait it offers, a flag that excludes every
// placement) would be measured but never checked: each one is conversed with here, and one that
// crosses processes is conversed with from another process. The mpi transport is checked under
// mpirun (the mpi_conformance test).
TEST(ConformanceCoverage, EveryRegisteredTransportIsConversedWith) {
  auto params = every_transport_and_placement();
  for (const auto& transport : all_transports()) {
    if (transport.family == "test" || (transport.ranks_only && launched_ranks() == 0)) continue;
    bool anywhere = false, across = false;
    for (const auto& [name, placement, wait, size] : params) {
      if (name != transport.name) continue;
      anywhere = true;
      across = across || find_placement(placement).separate_process;
    }
    EXPECT_TRUE(anywhere) << transport.name << " is registered but no conformance test runs it";
    if (transport.crosses_processes) {
      EXPECT_TRUE(across) << transport.name << " crosses processes but is checked only in one";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Conformance,
                         ::testing::ValuesIn(every_transport_and_placement()), param_name);

}  // namespace
}  // namespace ipcmeter
