// The harness under faults: hung, vanished, crashed and lying peers, a process that dies
// inside a queue's lock, and bad specs.
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/peer.hpp"
#include "harness/run.hpp"
#include "harness/watchdog.hpp"
#include "tests/test_support.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/queue_boost_lock.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

using testing::failure_of;

class HarnessFaults : public testing::NoLeftovers,
                      public ::testing::WithParamInterface<std::string> {
 protected:
  RunSpec spec() const {
    RunSpec run = testing::spec_of("stream", "unix-stream", GetParam(), {{"size", 64}}, 1000);
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
  RunResult result = ipcmeter::run(next);
  EXPECT_EQ(result.peer_iterations, next.count);
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
    // A crashed peer leaves no close marker: its liveness must end the wait quickly.
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

// queue-boost's lock (Boost's, not robust) held by a process that died: the run's leader and
// its peer block on it in the kernel. The watchdog releases it once no live process can hold
// it, and the run ends at its timeout with one line. Were it not released, the watchdog's hard
// exit would end this test binary (status 124) two seconds later, a failure all the same.
// "thread" too: once the lock is free the peer thread, which cannot be killed, would stream
// on; it looks at the watchdog's flag once per operation, so the run ends all the same.
class QueueBoostLock : public testing::NoLeftovers,
                       public ::testing::WithParamInterface<std::string> {
 protected:
  // Runs a long stream while another process takes both queues' locks (each once its header
  // is built: message_queue's open waits for that) and dies holding them, as a process killed
  // inside send or receive would; `unrecorded`: killed before it recorded itself as their
  // owner. Returns the run's failure; `took` is how long the run lasted.
  std::string failure_with_stranded_locks(bool unrecorded, std::chrono::nanoseconds& took,
                                          pid_t& taker) {
    RunSpec run = spec();
    pid_t leader = ::getpid();
    taker = testing::fork_lock_taker([leader, unrecorded] {
      static std::vector<std::unique_ptr<MessageQueueLock>> locks;  // mapped until the end
      locks.clear();
      auto names = testing::shared_memory_names_of("mq", leader);
      if (names.size() != 2) return false;
      for (const auto& name : names) {
        boost::interprocess::message_queue built(boost::interprocess::open_only, name.c_str());
        locks.push_back(std::make_unique<MessageQueueLock>(name));
      }
      for (auto& lock : locks) {
        ::pthread_mutex_lock(&lock->mutex());
        if (unrecorded) lock->mutex().__data.__owner = 0;
      }
      return true;
    });
    auto start = std::chrono::steady_clock::now();
    std::string what = testing::failure_of(run);
    took = std::chrono::steady_clock::now() - start;
    int status = 0;
    EXPECT_EQ(::waitpid(taker, &status, 0), taker);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the taker never took the locks";
    return what;
  }
  RunSpec spec() const {
    RunSpec run =
        testing::spec_of("stream", "queue-boost", GetParam(), {{"size", 64}}, 1'000'000'000);
    run.timeout = std::chrono::milliseconds(1000);
    return run;
  }
};

TEST_P(QueueBoostLock, AProcessDyingInsideTheQueuesLockEndsTheRunAtItsTimeout) {
  std::chrono::nanoseconds took{};
  pid_t taker = 0;
  std::string what = failure_with_stranded_locks(false, took, taker);
  EXPECT_NE(what.find(spec().describe() + ": timed out after 1.0 s"), std::string::npos) << what;
  EXPECT_NE(what.find("; lock owner died: process " + std::to_string(taker) + " ended holding"),
            std::string::npos)
      << what;
  // Released at stage 1, from the tick after the deadline: before stage 2 would even start.
  EXPECT_LT(took, spec().timeout + kKillGrace) << what;
}

TEST_P(QueueBoostLock, AProcessDyingBeforeItRecordedItselfAsTheOwnerEndsTheRunAtItsTimeout) {
  std::chrono::nanoseconds took{};
  pid_t taker = 0;
  std::string what = failure_with_stranded_locks(true, took, taker);
  EXPECT_NE(what.find(spec().describe() + ": timed out after 1.0 s"), std::string::npos) << what;
  EXPECT_NE(what.find("; lock owner died: a process ended holding a shared lock before it "
                      "recorded itself as the owner"),
            std::string::npos)
      << what;
  // Released once the peers, killed at the deadline, have ended: before stage 2.
  EXPECT_LT(took, spec().timeout + kKillGrace) << what;
}

INSTANTIATE_TEST_SUITE_P(Placements, QueueBoostLock, ::testing::Values("thread", "fork", "spawn"));

// A run whose peer is a thread, its messages still flowing at the deadline, ends with its one
// line. Run in a child of this test binary: were it not to end, the watchdog's hard exit would
// end that child (status 124), which this test then reports.
std::string failure_in_child(const RunSpec& run) {
  int said[2];
  if (::pipe2(said, O_CLOEXEC) != 0) throw SystemError("pipe2", "");
  Fd read_end(said[0]), write_end(said[1]);
  pid_t child = ::fork();
  if (child < 0) throw SystemError("fork", "");
  if (child == 0) {
    std::string what = testing::failure_of(run);
    ssize_t written = ::write(write_end.get(), what.data(), what.size());
    ::_exit(written == static_cast<ssize_t>(what.size()) ? 0 : 1);
  }
  write_end.reset();
  std::string what;
  char buffer[512];
  for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) > 0;)
    what.append(buffer, static_cast<std::size_t>(n));
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fmt::format("the run's process ended with status {}: {}", status, what);
  return what;
}

TEST(ThreadPeers, ARunStillFlowingAtItsDeadlineEndsWithItsOneLine) {
  for (const char* transport : {"pipe", "queue-mutex", "shm-spsc", "zmq-inproc"}) {
    RunSpec run =
        testing::spec_of("stream", transport, "thread", {{"size", 64}}, 1'000'000'000'000);
    run.timeout = std::chrono::milliseconds(300);
    std::string what = failure_in_child(run);
    EXPECT_EQ(what.rfind(run.describe() + ": timed out after 0.3 s", 0), 0u) << what;
  }
}

TEST(RunSpecValidation, RejectsBadSpecsWithOneLine) {
  using testing::usage_error_of;
  RunSpec good = testing::spec_of("stream", "pipe", "fork", {{"size", 64}}, 100);
  EXPECT_EQ(usage_error_of(good), "(accepted)");

  auto with = [&](auto change) {
    RunSpec bad = good;
    change(bad);
    return usage_error_of(bad);
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {with([](RunSpec& r) { r.transport = "carrier-pigeon"; }),
       "unknown transport 'carrier-pigeon' (known: none, " + transport_names() + ", queue-manager-"},
      {with([](RunSpec& r) { r.params["size"] = 0; }), "message size 0 is out of range"},
      {with([](RunSpec& r) { r.params["size"] = (std::size_t{64} << 20) + 1; }), "out of range"},
      {with([](RunSpec& r) { r.params["clients"] = 2; }),
       "workload stream has no clients: segment (its segments: size)"},
      {with([](RunSpec& r) { r.placement = "cloud"; }), "unknown placement 'cloud'"},
      {with([](RunSpec& r) { r.workload = "nap"; }), "unknown workload 'nap'"},
      {with([](RunSpec& r) { r.placement = "thread", r.fault = Fault::crash; }),
       "needs a process placement"},
      {with([](RunSpec& r) { r.count = 0; }), "at least one iteration"},
      {with([](RunSpec& r) { r.duration = std::chrono::seconds(1); }), "only a paced one"},
      {with([](RunSpec& r) { r.transport = "queue-mutex"; }),
       "transport queue-mutex works between threads only, not fork"},
      {with([](RunSpec& r) { r.wait = WaitStrategy::spin, r.transport = "queue-mutex", r.placement = "thread"; }),
       "transport queue-mutex has no wait strategy spin"},
      {with([](RunSpec& r) { r.transport = "zmq-reqrep"; }),
       "transport zmq-reqrep alternates send and receive; workload stream does not"},
      {with([](RunSpec& r) { r.transport = "dict-shm"; }), "unknown transport 'dict-shm'"},
  };
  for (const auto& [message, expected] : cases) {
    EXPECT_NE(message.find(expected), std::string::npos) << message << " / " << expected;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(RunSpecValidation, NamesCarryTheWorkloadsOwnSegments) {
  RunSpec fan_in = testing::spec_of("fanin", "unix-stream", "fork", {{"producers", 4}}, 10);
  EXPECT_EQ(fan_in.name(), "fanin/transport:unix-stream/placement:fork/wait:block/producers:4/size:64");
  EXPECT_EQ(fan_in.peer_count(), 4);
  RunSpec dict = testing::spec_of("dict-get", "dict-shm", "spawn", {{"clients", 2}}, 10);
  EXPECT_EQ(dict.describe(), "dict-get transport:dict-shm placement:spawn wait:block clients:2");
  RunSpec paced = testing::spec_of("paced", "pipe", "thread", {}, 0);
  paced.duration = std::chrono::milliseconds(100);
  EXPECT_EQ(testing::usage_error_of(paced), "(accepted)");
  EXPECT_EQ(paced.iterations(), 6u);  // 100 ms of 16.7 ms frames, rounded up
}

TEST(PeerSpecs, RoundTripThroughTheCommandLineAndAreCheckedLikeTheLeaders) {
  PeerSpec peer;
  peer.run = testing::spec_of("fanin", "zmq-ipc", "spawn", {{"producers", 3}, {"size", 4096}}, 77);
  peer.run.fault = Fault::exit;
  peer.run.fault_after = 5;
  peer.address = "zmq-ipc:endpoint=ipc:///x;wait=block";
  peer.count = 26;
  peer.peer_index = 2;
  peer.inherited_fds = {7, 9};
  PeerSpec back = PeerSpec::from_args(peer.to_args());
  EXPECT_EQ(back.run.name(), peer.run.name());
  EXPECT_EQ(back.run.count, 77u);
  EXPECT_EQ(back.run.fault, Fault::exit);
  EXPECT_EQ(back.run.fault_after, 5u);
  EXPECT_EQ(back.address, peer.address);
  EXPECT_EQ(back.count, 26u);
  EXPECT_EQ(back.peer_index, 2);
  EXPECT_EQ(back.inherited_fds, (std::vector<int>{7, 9}));

  // A peer asked to do what the leader would refuse fails before it opens anything.
  peer.run.params["size"] = 4;
  auto [harness_end, peer_end] = make_control_pair();
  EXPECT_EQ(run_peer(peer, std::move(peer_end)), kPeerFailed);
  ControlChannel control(std::move(harness_end));
  auto said = control.receive();
  ASSERT_TRUE(said.has_value());
  EXPECT_EQ(said->kind, ControlKind::failed);
  EXPECT_NE(said->text.find("message size 4 is out of range"), std::string::npos) << said->text;
}

}  // namespace
}  // namespace ipcmeter
