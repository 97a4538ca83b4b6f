// The harness under faults: hung, vanished, crashed and lying peers, and bad specs.
#include <chrono>
#include <string>

#include "harness/paired_run.hpp"
#include "tests/test_support.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

using testing::failure_of;

class HarnessFaults : public testing::NoLeftovers,
                      public ::testing::WithParamInterface<std::string> {
 protected:
  RunSpec spec() const {
    RunSpec run;
    run.workload = "stream";
    run.transport = "unix-stream";
    run.placement = GetParam();
    run.size = 64;
    run.count = 1000;
    run.timeout = std::chrono::seconds(30);
    return run;
  }
};

TEST_P(HarnessFaults, HungPeerTimesOutAndTheNextRunWorks) {
  RunSpec run = spec();
  run.fault = Fault::hang;
  run.fault_after = 100;
  run.timeout = std::chrono::milliseconds(1000);
  auto start = std::chrono::steady_clock::now();
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": timed out after 1.0 s"), std::string::npos) << what;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));

  // The suite goes on: the same process runs the next benchmark normally.
  RunSpec next = spec();
  EXPECT_EQ(run_pair(next).count, next.count);
}

TEST_P(HarnessFaults, HangBeforeReadyTimesOut) {
  RunSpec run = spec();
  run.workload = "pingpong";
  run.fault = Fault::hang;
  run.fault_after = 0;  // the peer's very first transport call
  run.timeout = std::chrono::milliseconds(1000);
  std::string what = failure_of(run);
  EXPECT_NE(what.find("timed out"), std::string::npos) << what;
}

TEST_P(HarnessFaults, PeerExitingMidStreamIsReported) {
  RunSpec run = spec();
  run.fault = Fault::exit;
  run.fault_after = 500;
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": peer exited with status 3"), std::string::npos) << what;
}

TEST_P(HarnessFaults, CrashedPeerIsReportedWithItsSignal) {
  if (GetParam() == "thread") GTEST_SKIP() << "a thread cannot be SIGKILLed alone";
  RunSpec run = spec();
  run.fault = Fault::crash;
  run.fault_after = 500;
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": peer killed by signal 9 (SIGKILL)"), std::string::npos)
      << what;
}

TEST_P(HarnessFaults, SharedMemoryNamesGoWithTheCreatorWhenAPeerIsKilled) {
  // The fixture's teardown checks /dev/shm for this process's names.
  if (GetParam() == "thread") GTEST_SKIP() << "a thread cannot be SIGKILLed alone";
  for (const char* transport : {"shm-spsc", "queue-boost"}) {
    RunSpec run = spec();
    run.transport = transport;
    run.fault = Fault::crash;
    run.fault_after = 100;
    std::string what = failure_of(run);
    EXPECT_NE(what.find("peer killed by signal 9 (SIGKILL)"), std::string::npos) << what;
    // A crashed peer leaves no close marker: the peer-gone flag must end the wait quickly.
    EXPECT_EQ(what.find("timed out"), std::string::npos) << what;
  }
}

TEST_P(HarnessFaults, CorruptedMessageIsCaughtWithItsNumber) {
  RunSpec run = spec();
  run.transport = "pipe-corrupt";
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": message 5: checksum mismatch"), std::string::npos)
      << what;
}

TEST_P(HarnessFaults, DroppedMessageIsCaughtAsAGap) {
  RunSpec run = spec();
  run.transport = "pipe-drop";
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": message 5: gap"), std::string::npos) << what;
}

TEST_P(HarnessFaults, ReorderedMessagesAreCaught) {
  RunSpec run = spec();
  run.transport = "pipe-reorder";
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": message 5: gap: got sequence 6"), std::string::npos)
      << what;
}

TEST_P(HarnessFaults, PeerSideIntegrityErrorsAreReportedByThePeer) {
  // In pingpong the peer verifies first: its error must reach the report, not "peer closed".
  RunSpec run = spec();
  run.workload = "pingpong";
  run.transport = "pipe-corrupt-leader";
  std::string what = failure_of(run);
  EXPECT_NE(what.find(run.describe() + ": peer: message 5: checksum mismatch"), std::string::npos)
      << what;
}

INSTANTIATE_TEST_SUITE_P(Placements, HarnessFaults,
                         ::testing::Values("thread", "fork", "spawn"));

TEST(RunSpecValidation, RejectsBadSpecsWithOneLine) {
  RunSpec good;
  good.workload = "stream";
  good.transport = "pipe";
  good.placement = "fork";
  EXPECT_NO_THROW(good.validate());

  auto message_of = [](RunSpec run) -> std::string {
    try {
      run.validate();
    } catch (const UsageError& error) {
      return error.what();
    }
    return "(accepted)";
  };
  RunSpec bad = good;
  bad.transport = "carrier-pigeon";
  EXPECT_EQ(message_of(bad),
            "unknown transport 'carrier-pigeon' (known: " + transport_names() + ")");
  bad = good;
  bad.size = 0;
  EXPECT_NE(message_of(bad).find("message size 0 is out of range"), std::string::npos);
  bad = good;
  bad.size = (std::size_t{64} << 20) + 1;
  EXPECT_NE(message_of(bad).find("out of range"), std::string::npos);
  bad = good;
  bad.placement = "cloud";
  EXPECT_NE(message_of(bad).find("unknown placement 'cloud'"), std::string::npos);
  bad = good;
  bad.placement = "thread";
  bad.fault = Fault::crash;
  EXPECT_NE(message_of(bad).find("needs a process placement"), std::string::npos);
  for (const auto& message : {message_of(bad)}) EXPECT_EQ(message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ipcmeter
