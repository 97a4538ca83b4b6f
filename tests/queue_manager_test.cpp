// The manager-served queue (queue-manager-<transport>) and a queue's depth: the manager's
// queue passes the link checks that fit it (whole, ordered, verified messages of every size,
// polling, several producers) in every placement; every queue holds exactly its depth; a
// killed or hung peer fails the run with one line and leaves nothing behind; the depth: names
// and checks.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <tuple>

#include "harness/medium.hpp"
#include "harness/message.hpp"
#include "harness/placement.hpp"
#include "harness/run.hpp"
#include "tests/test_support.hpp"
#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

void PrintTo(WaitStrategy wait, std::ostream* out);

namespace {

using testing::failure_of;
using testing::usage_error_of;

std::string test_name(const std::string& text) {
  std::string name = text;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

// ---- The link checks, over a manager's queue ----

// medium, placement, wait
using Param = std::tuple<std::string, std::string, WaitStrategy>;

class QueueManagerLinks : public testing::NoLeftovers, public ::testing::WithParamInterface<Param> {
 protected:
  RunSpec spec(const std::string& workload, std::map<std::string, std::uint64_t> params,
               std::uint64_t count) const {
    RunSpec run = testing::spec_of(workload, std::get<0>(GetParam()), std::get<1>(GetParam()),
                                   std::move(params), count);
    run.wait = std::get<2>(GetParam());
    return run;
  }
};

TEST_P(QueueManagerLinks, EchoesMessagesOfEverySizeByteExact) {
  // 1 byte to 1 MiB, across every framing and buffer boundary of the link under the queue.
  RunResult result = run(spec("exchange", {{"size", std::size_t{1} << 20}}, 50));
  EXPECT_EQ(result.peer_iterations, 50u);
}

TEST_P(QueueManagerLinks, PollsWithoutBlocking) {
  // A poll is a get with a time limit: nothing before the echo was sent, the echo once it is
  // due (by the receive that returns at once, or a poll with a timeout), nothing after.
  RunResult result = run(spec("polled-exchange", {{"size", 4096}}, 30));
  EXPECT_EQ(result.peer_iterations, 30u);
}

TEST_P(QueueManagerLinks, StreamsInOrderAtTheDefaultAndADeepDepth) {
  // Every message sequence-checked and checksummed by the leader, which gets each one from
  // the server as the producer puts it: small ones through the documents' depth of 3 and
  // through 64, large ones (a lap of every buffer) through 3.
  for (auto [size, depth, count] : {std::tuple{64u, 3u, 2000u}, std::tuple{64u, 64u, 2000u},
                                    std::tuple{1u << 20, 3u, 40u}}) {
    RunResult result = run(spec("stream", {{"size", size}, {"depth", depth}}, count));
    EXPECT_EQ(result.peer_iterations, count) << size << " " << depth;
    // Two servers (the producer's and the leader's) answered every message.
    const Counter* server = result.counters.find("server_cpu_ns_per_iter");
    ASSERT_NE(server, nullptr);
    EXPECT_GT(server->value, 0.0);
    EXPECT_NE(result.counters.find("full_puts_per_iter"), nullptr);
  }
}

TEST_P(QueueManagerLinks, PingPongVerifiesBothDirections) {
  // One queue each way, as a duplex exchange through a Manager takes two of its queues.
  RunResult result = run(spec("pingpong", {{"size", 64}}, 200));
  EXPECT_EQ(result.latency.count(), 200u);
  EXPECT_EQ(result.peer_iterations, 200u);
}

TEST_P(QueueManagerLinks, SeveralProducersShareTheQueue) {
  // Each producer talks to a server thread of its own; per-producer order is checked.
  RunResult result = run(spec("fanin", {{"producers", 3}, {"size", 64}}, 1500));
  EXPECT_EQ(result.peer_iterations, 1500u);
}

TEST_P(QueueManagerLinks, APacedLoopPollsForItsEchoes) {
  // Six 60 Hz frames: a request each, the echo polled for until the frame ends.
  RunSpec paced = spec("paced", {{"size", 64}}, 0);
  paced.duration = std::chrono::milliseconds(100);
  RunResult result = run(paced);
  EXPECT_EQ(result.iterations, 6u);
}

TEST_P(QueueManagerLinks, PeerLeavingEarlyIsAnErrorNotAHang) {
  RunSpec faulty = spec("stream", {{"size", 64}}, 1000);
  faulty.fault = Fault::exit;
  faulty.fault_after = 10;
  std::string what = failure_of(faulty);
  EXPECT_NE(what.find(faulty.describe()), std::string::npos) << what;
  EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

std::vector<Param> queue_manager_params() {
  // A queue manager over every transport, in every placement it allows on this host (Python's
  // own is over a Unix socket; ZeroMQ has no end-of-file, only liveness; REQ/REP alternates).
  std::vector<Param> params;
  for (const auto& transport : all_transports()) {
    if (transport.family == "test" || transport.ranks_only) continue;
    for (const auto& placement : all_placements()) {
      if (placement.remote || placement.peerless) continue;
      if (placement.separate_process && !transport.crosses_processes) continue;
      if (!testing::in_sanitizer_matrix(placement.name, transport.crosses_processes)) continue;
      params.emplace_back("queue-manager-" + transport.name, placement.name, WaitStrategy::block);
    }
  }
  // Clients that spin on their links while the server threads wait for room or a message.
  params.emplace_back("queue-manager-shm-spsc", "fork", WaitStrategy::spin);
  return params;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return test_name(std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" +
                   wait_name(std::get<2>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Media, QueueManagerLinks, ::testing::ValuesIn(queue_manager_params()),
                         param_name);

TEST(QueueManagerMedia, OneForEveryTransportWithItsPlacements) {
  for (const auto& transport : all_transports()) {
    if (transport.family == "test") continue;
    const MediumKind& kind = find_medium("queue-manager-" + transport.name, "link");
    EXPECT_EQ(kind.crosses_processes, transport.crosses_processes) << kind.name;
    EXPECT_EQ(kind.waits, transport.waits) << kind.name;
    ASSERT_TRUE(kind.depth.has_value()) << kind.name;
    EXPECT_EQ(kind.depth->fallback, 3u) << kind.name;
    EXPECT_FALSE(kind.alternating_only) << kind.name;  // even over REQ/REP
  }
}

// ---- Depth is honoured ----


// The medium as a run makes it, one peer: the peer's side puts, the leader's side gets.
struct OpenQueue {
  OpenQueue(const std::string& medium, std::size_t depth) : kind(find_medium(medium, "link")) {
    MediumOptions options;
    options.max_message_size = 64;
    options.capacity = depth;
    host = kind.create(options);
    int watched = liveness.watched.get();
    host->peers_started({&watched, 1});
    producer = kind.open(host->address(0), Liveness());
    consumer = host->open_leader({&watched, 1});
    host->peers_ready();
  }
  std::uint64_t full_puts() const {
    Counters counters;
    host->report(counters);
    const Counter* full = counters.find("full_puts_per_iter");
    return full ? static_cast<std::uint64_t>(full->value) : 0;
  }
  const MediumKind& kind;
  testing::LivenessPair liveness;
  std::unique_ptr<MediumHost> host;
  Handle producer;
  Handle consumer;
};

class QueueDepth : public testing::NoLeftovers {};

TEST_F(QueueDepth, AManagerPutBeyondTheDepthWaitsForAGet) {
  OpenQueue queue("queue-manager-unix-stream", 3);
  MessageWriter writer(64);
  MessageVerifier verifier(64);
  std::vector<std::byte> buffer(64);
  for (int i = 0; i < 3; ++i) queue.producer.endpoint().send(writer.next());
  EXPECT_EQ(queue.full_puts(), 0u) << "three messages fit a queue of depth 3";

  std::atomic<bool> put{false};
  std::thread fourth([&] {
    queue.producer.endpoint().send(writer.next());
    put = true;
  });
  // The server counts a put that finds the queue full before it waits for room; once it has,
  // that put can only complete after a get, and none has been made: no race, no clock.
  while (queue.full_puts() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(put.load()) << "a fourth put completed in a queue of depth 3 with no get";
  Endpoint& consumer = queue.consumer.endpoint();
  verifier.verify(consumer.recv_view(buffer));
  fourth.join();
  EXPECT_TRUE(put.load());
  for (int i = 0; i < 3; ++i) verifier.verify(consumer.recv_view(buffer));  // in order, once
  EXPECT_EQ(verifier.verified(), 4u);
  EXPECT_FALSE(consumer.poll(std::chrono::nanoseconds::zero())) << "a fifth message appeared";

  queue.producer.close();
  queue.consumer.release();
  EXPECT_EQ(queue.host->stop(), std::nullopt);
}

// Waits (up to 30 s) until `done` is set or thread `tid` of this process is asleep in the
// kernel (state S in /proc); false if neither was seen.
bool sleeps_or_sets(const std::atomic<pid_t>& tid, const std::atomic<bool>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done) return true;
    if (pid_t id = tid.load(); id != 0) {
      std::ifstream stat("/proc/self/task/" + std::to_string(id) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      std::size_t close = text.rfind(')');
      if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'S') return true;
    }
    std::this_thread::yield();
  }
  return false;
}

TEST_F(QueueDepth, QueueMutexAndQueueBoostHoldTheirDepth) {
  // These block inside the transport, where no counter can show the wait: what is checked is
  // that the queue was made with the depth asked for, and that the fourth send has not
  // completed after a while with no receive. That check cannot fail by slowness (a correct
  // queue never completes it); it could only miss a broken queue that is slow to break.
  for (const char* medium : {"queue-mutex", "queue-boost"}) {
    OpenQueue queue(medium, 3);
    EXPECT_EQ(Address::parse(queue.host->link(0).address()).field("capacity"), "3") << medium;
    // Here the leader's side is the link's side a and the "producer" the peer's, side b.
    MessageWriter writer(64);
    MessageVerifier verifier(64);
    std::vector<std::byte> buffer(64);
    for (int i = 0; i < 3; ++i) queue.producer.endpoint().send(writer.next());
    std::atomic<bool> put{false};
    std::atomic<pid_t> sender{0};
    std::thread fourth([&] {
      sender = ::gettid();
      queue.producer.endpoint().send(writer.next());
      put = true;
    });
    // The fourth send either completes (a broken queue) or puts its thread to sleep in the
    // kernel waiting for room: whichever is seen first, not after a guessed while.
    EXPECT_TRUE(sleeps_or_sets(sender, put)) << medium << ": the sender neither slept nor sent";
    EXPECT_FALSE(put.load()) << medium << ": a fourth send completed into a queue of depth 3";
    for (int i = 0; i < 4; ++i) verifier.verify(queue.consumer.endpoint().recv_view(buffer));
    fourth.join();
    EXPECT_TRUE(put.load()) << medium;
    queue.producer.release();
    queue.consumer.release();
  }
}

// ---- Faults: a killed or hung peer ----

using FaultParam = std::tuple<std::string, std::string>;  // medium, placement

class QueueManagerFaults : public testing::NoLeftovers,
                           public ::testing::WithParamInterface<FaultParam> {};

TEST_P(QueueManagerFaults, KilledProducerFailsTheRunWithOneLineAndLeavesNothing) {
  // The fixture's teardown checks for children, files, fds and /dev/shm names.
  auto [medium, placement] = GetParam();
  RunSpec killed = testing::spec_of("stream", medium, placement, {{"size", 64}}, 20000);
  killed.fault = Fault::crash;
  killed.fault_after = 500;
  std::string what = failure_of(killed);
  EXPECT_NE(what.find(killed.describe() + ": peer killed by signal 9 (SIGKILL)"), std::string::npos)
      << what;
  EXPECT_EQ(what.find("timed out"), std::string::npos) << "seen by the watchdog, not the server: " << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

TEST_P(QueueManagerFaults, HungPeerTimesOut) {
  auto [medium, placement] = GetParam();
  RunSpec hung = testing::spec_of("pingpong", medium, placement, {{"size", 64}}, 20000);
  hung.fault = Fault::hang;
  hung.fault_after = 100;
  hung.timeout = std::chrono::milliseconds(1000);
  std::string what = failure_of(hung);
  EXPECT_NE(what.find(hung.describe() + ": timed out after 1.0 s"), std::string::npos) << what;
  // The suite goes on: the same process runs the next benchmark normally.
  RunResult next = run(testing::spec_of("stream", medium, placement, {{"size", 64}}, 200));
  EXPECT_EQ(next.iterations, 200u);
}

std::string fault_name(const ::testing::TestParamInfo<FaultParam>& info) {
  return test_name(std::get<0>(info.param) + "_" + std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Media, QueueManagerFaults,
    ::testing::Values(FaultParam{"queue-manager-unix-stream", "fork"},
                      FaultParam{"queue-manager-unix-stream", "spawn"},
                      FaultParam{"queue-manager-shm-spsc", "fork"},
                      FaultParam{"queue-manager-queue-boost", "spawn"},
                      FaultParam{"queue-manager-zmq-ipc", "fork"}),
    fault_name);

TEST(QueueManagerFaultsInThreads, HungProducerTimesOutAndItsServersEnd) {
  // A thread cannot be killed: the watchdog wakes it, and the servers waiting for it.
  RunSpec hung = testing::spec_of("stream", "queue-manager-unix-stream", "thread", {{"size", 64}}, 20000);
  hung.fault = Fault::hang;
  hung.fault_after = 100;
  hung.timeout = std::chrono::milliseconds(1000);
  std::string what = failure_of(hung);
  EXPECT_NE(what.find(hung.describe() + ": timed out after 1.0 s"), std::string::npos) << what;
}

TEST(QueueManagerFaultsInThreads, VanishedProducerIsReported) {
  RunSpec vanished = testing::spec_of("stream", "queue-manager-unix-stream", "thread", {{"size", 64}}, 1000);
  vanished.fault = Fault::exit;
  vanished.fault_after = 100;
  std::string what = failure_of(vanished);
  EXPECT_NE(what.find(vanished.describe() + ": peer exited with status 3"), std::string::npos) << what;
}

// ---- depth: in names and checks ----

TEST(DepthSegment, QueuesNameTheirDepthOthersDoNot) {
  auto name = [](const std::string& workload, const std::string& medium,
                 std::map<std::string, std::uint64_t> params) {
    return testing::spec_of(workload, medium, "fork", std::move(params), 10).name();
  };
  EXPECT_EQ(name("stream", "queue-boost", {{"size", 64}}),
            "stream/transport:queue-boost/placement:fork/wait:block/size:64/depth:64");
  EXPECT_EQ(name("stream", "queue-manager-unix-stream", {{"size", 64}, {"depth", 1024}}),
            "stream/transport:queue-manager-unix-stream/placement:fork/wait:block/size:64/depth:1024");
  EXPECT_EQ(name("fanin", "queue-manager-pipe", {{"producers", 2}}),
            "fanin/transport:queue-manager-pipe/placement:fork/wait:block/producers:2/size:64/depth:3");
  RunSpec threads = testing::spec_of("pingpong", "queue-mutex", "thread", {}, 10);
  EXPECT_EQ(threads.name(), "pingpong/transport:queue-mutex/placement:thread/wait:block/size:64/depth:3");
  // Not queues of messages: a pipe, and a byte ring.
  EXPECT_EQ(name("stream", "pipe", {}), "stream/transport:pipe/placement:fork/wait:block/size:64");
  EXPECT_EQ(name("stream", "shm-spsc", {}), "stream/transport:shm-spsc/placement:fork/wait:block/size:64");
  // A workload that needs its own depth names it.
  RunSpec parallel = testing::spec_of("election/parallel", "queue-boost", "fork", {{"workers", 2}}, 1);
  EXPECT_EQ(parallel.param("depth"), 256u);
  EXPECT_NE(parallel.name().find("/batch:10000/depth:256"), std::string::npos) << parallel.name();
}

TEST(DepthSegment, BadDepthsAreOneLineErrors) {
  std::vector<std::pair<RunSpec, std::string>> cases = {
      {testing::spec_of("stream", "pipe", "fork", {{"depth", 3}}, 10),
       "pipe is not a queue that holds a count of messages: it has no depth: segment"},
      {testing::spec_of("stream", "shm-spsc", "fork", {{"depth", 3}}, 10), "shm-spsc is not a queue"},
      {testing::spec_of("stream", "queue-boost", "fork", {{"depth", 0}}, 10),
       "queue depth 0 is out of range (1 to 65536 messages)"},
      {testing::spec_of("stream", "queue-manager-unix-stream", "fork", {{"depth", 65537}}, 10),
       "queue depth 65537 is out of range"},
      {testing::spec_of("election/parallel", "queue-boost", "fork", {{"depth", 3}}, 1),
       "workload election/parallel keeps its own queue depth, 256 messages"},
      // Exists, but holds more than the suite allows a queue: listed, not measured.
      {testing::spec_of("stream", "queue-boost", "fork", {{"size", 1 << 20}, {"depth", 1024}}, 10),
       "queue-boost at depth 1024 with 1048576-byte messages would hold 1 GiB per direction; the "
       "suite keeps a queue within 64 MiB"},
  };
  for (const auto& [spec, expected] : cases) {
    std::string message = usage_error_of(spec);
    EXPECT_NE(message.find(expected), std::string::npos) << message << " / " << expected;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  try {
    testing::spec_of("stream", "queue-mutex", "thread", {{"size", 1 << 20}, {"depth", 65}}, 10).validate();
    FAIL() << "65 MiB of queue-mutex slots accepted";
  } catch (const Unsupported&) {
  }
}

}  // namespace
}  // namespace ipcmeter
