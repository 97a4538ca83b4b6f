// The conformance suite: every registered transport in every placement it supports, held to
// the same contract. A new transport is covered by adding it to the registry.
#include <chrono>
#include <string>
#include <tuple>

#include "harness/paired_run.hpp"
#include "harness/placement.hpp"
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
    RunSpec run;
    run.workload = workload;
    run.transport = std::get<0>(GetParam());
    run.placement = std::get<1>(GetParam());
    run.wait = std::get<2>(GetParam());
    run.size = std::get<3>(GetParam());
    run.count = count;
    run.timeout = std::chrono::seconds(60);
    return run;
  }
};

TEST_P(Conformance, EchoesMessagesOfEverySizeByteExact) {
  // 1 byte up to the parameter size, across framing, packet and pipe-buffer boundaries.
  RunResult result = run_pair(spec("exchange", 50));
  EXPECT_EQ(result.count, 50u);
}

TEST_P(Conformance, StreamsManyMessagesInOrder) {
  if (find_transport(std::get<0>(GetParam())).alternating_only)
    GTEST_SKIP() << "a strictly alternating transport cannot stream";
  // Every message is sequence-checked and checksummed by the consumer; none may be lost.
  std::uint64_t count = std::get<3>(GetParam()) >= 65536 ? 300 : 20000;
  RunResult result = run_pair(spec("stream", count));
  EXPECT_EQ(result.count, count);
  EXPECT_GT(result.elapsed_ns, 0u);
}

TEST_P(Conformance, PingPongVerifiesBothDirections) {
  RunResult result = run_pair(spec("pingpong", 200));
  EXPECT_EQ(result.round_trips.count(), 200u);
  EXPECT_GT(result.round_trips.quantile(0.5), 0u);
}

TEST_P(Conformance, PeerClosingEarlyIsAnErrorNotAHang) {
  bool alternating = find_transport(std::get<0>(GetParam())).alternating_only;
  RunSpec run = spec(alternating ? "pingpong" : "stream", 1000);
  run.fault = Fault::exit;
  run.fault_after = 10;
  auto start = std::chrono::steady_clock::now();
  try {
    run_pair(run);
    FAIL() << "a peer that left after 10 of 1000 messages went unnoticed";
  } catch (const RunFailure& failure) {
    std::string what = failure.what();
    EXPECT_NE(what.find(run.describe()), std::string::npos) << what;
    EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
  }
  // Seen as end-of-stream at once, not by the 60 s watchdog.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

std::vector<Param> every_transport_and_placement() {
  std::vector<Param> params;
  for (const auto& transport : all_transports()) {
    if (transport.family == "test") continue;
    for (const auto& placement : all_placements()) {
      if (placement.separate_process && !transport.crosses_processes) continue;
      for (WaitStrategy wait : transport.waits)
        for (std::size_t size : {std::size_t{64}, std::size_t{65536}, std::size_t{1} << 20})
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

INSTANTIATE_TEST_SUITE_P(AllTransports, Conformance,
                         ::testing::ValuesIn(every_transport_and_placement()), param_name);

}  // namespace
}  // namespace ipcmeter
