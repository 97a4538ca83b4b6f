// The benchmark binary as a user meets it: bad input, a tiny real run, SIGTERM mid-run, and a
// peer stopped mid-run.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"
#include "harness/medium.hpp"
#include "harness/watchdog.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

namespace fs = std::filesystem;

using testing::Outcome;
using testing::read_file;

// Runs the benchmark binary with a private temp dir and captures both streams.
Outcome run_bench(const std::vector<std::string>& args, const std::string& temp_dir) {
  return testing::run_program(IPCMETER_BENCH_PATH, args, temp_dir);
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::test_temp_dir() + "/cli-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    EXPECT_TRUE(fs::is_empty(dir_)) << "the run left files in its temp dir";
    fs::remove_all(dir_);
  }
  std::string dir_;
};

// The peer role's command line is input too: a spawned peer checks it as the leader checks
// its flags, and says why in one line before it opens anything.
TEST_F(Cli, PeerRoleRejectsWhatTheLeaderWould) {
  auto peer_args = [](const std::string& transport, const std::string& placement,
                      const std::string& size, const std::string& address) {
    return std::vector<std::string>{
        "--ipcmeter-peer", "workload=pingpong", "transport=" + transport,
        "placement=" + placement, "wait=block", "params=size:" + size, "run-count=10",
        "duration-ns=0", "fault=none", "fault-after=0", "allow-shared-writers=0",
        "address=" + address, "count=10", "peer-index=0", "cpu=-1", "own-process=1",
        "control-fd=9", "parent-pid=" + std::to_string(::getpid())};
  };
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      // 4 bytes cannot hold the header: the peer would overrun it.
      {peer_args("pipe", "spawn", "4", "pipe:a=5,6;b=7,8"), "message size 4 is out of range"},
      // A threads-only transport names an object in the leader's memory.
      {peer_args("zmq-inproc", "spawn", "64", "zmq-inproc:context=0x7f0000001000;endpoint=inproc://x"),
       "works between threads only"},
      {peer_args("zmq-inproc", "thread", "64", "zmq-inproc:context=0x7f0000001000;endpoint=inproc://x"),
       "runs in a process of its own"},
      {peer_args("pipe", "spawn", "64K", "pipe:a=5,6;b=7,8"), "is not a number"},
      {peer_args("pipe", "spawn", "18446744073709551617", "pipe:a=5,6;b=7,8"), "is not a number"},
  };
  for (const auto& test : cases) {
    Outcome outcome = run_bench(test.args, dir_);
    EXPECT_NE(outcome.exit_code, 0) << test.says;
    ASSERT_FALSE(outcome.err.empty()) << test.says;
    EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << "not one line: " << outcome.err;
    EXPECT_NE(outcome.err.find(test.says), std::string::npos) << outcome.err;
  }
}

TEST_F(Cli, BadInputGivesOneLineAndNonZeroExit) {
  const std::vector<std::vector<std::string>> bad_inputs = {
      {"--transports=carrier-pigeon"},
      {"--sizes=0"},
      {"--sizes=128M"},
      {"--sizes=12Q"},
      {"--placements=cloud"},
      {"--workloads=nap"},
      {"--pin=0,9999"},
      {"--pin=zero"},
      {"--profile=slow"},
      {"--timeout=-1"},
      {"--frobnicate"},
      {"--sizes"},
      {"--waits=sometimes"},
      {"--dicts=dict-nope"},
      {"--workloads=dict-nope"},
      {"--dicts="},
      {"--producers=0"},
      {"--clients=65"},
      {"--timeout=nan"},
      {"--timeout=inf"},
      {"--sizes=17592186044424M"},
      {"--list=yes"},
      {"--depths=0"},
      {"--depths="},
      {"--depths=3,,64"},
      {"--depths=deep"},
      {"--depths=-3"},
      {"--depths=65537"},
      {"--depths"},
      {"--transports=queue-manager-carrier-pigeon"},
      {"--inject=none:5"},
      {"--inject=announce"},
      {"--benchmark_repetitions=0"},
      {"--benchmark_repetitions=-1"},
  };
  for (const auto& args : bad_inputs) {
    Outcome outcome = run_bench(args, dir_);
    EXPECT_NE(outcome.exit_code, 0) << args[0];
    EXPECT_EQ(outcome.out, "") << args[0];
    ASSERT_FALSE(outcome.err.empty()) << args[0];
    EXPECT_EQ(outcome.err.find('\n'), outcome.err.size() - 1) << "not one line: " << outcome.err;
    EXPECT_EQ(outcome.err.rfind("ipcmeter-bench: ", 0), 0u) << outcome.err;
  }
}

TEST_F(Cli, BadDepthsSayWhatIsWrongWithExitStatus2) {
  for (const auto& [arg, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--depths=0", "bad --depths value '0' (expected a whole number above 0)"},
           {"--depths=3,,64", "empty item in --depths='3,,64'"},
           {"--depths=65537", "queue depth 65537 is out of range (1 to 65536 messages)"}}) {
    Outcome outcome = run_bench({arg}, dir_);
    EXPECT_EQ(outcome.exit_code, 2) << arg;
    EXPECT_EQ(outcome.err, "ipcmeter-bench: " + expected + "\n") << arg;
  }
}

// Input that Google Benchmark would take and run nothing with, exiting 0 as if all went well:
// one line and exit status 2 instead.
TEST_F(Cli, InputThatWouldRunNothingIsAnErrorWithExitStatus2) {
  Outcome outcome = run_bench({"--benchmark_repetitions=0"}, dir_);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(
      outcome.err,
      "ipcmeter-bench: bad --benchmark_repetitions value '0' (expected a whole number above 0)\n");
  // A filter that matches nothing, run or listed. The sweep of dead runs comes first and may
  // say what it left alone (another program's names in /dev/shm): the filter's line is last.
  const std::string line =
      "ipcmeter-bench: --benchmark_filter=zzz selects no benchmark "
      "(--benchmark_list_tests=true lists them, --list the axes)\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--benchmark_filter=zzz", "--benchmark_min_time=0.01"},
           {"--benchmark_filter=zzz", "--benchmark_list_tests=true"}}) {
    outcome = run_bench(args, dir_);
    EXPECT_EQ(outcome.exit_code, 2) << args.back();
    EXPECT_EQ(outcome.out, "") << args.back();
    ASSERT_GE(outcome.err.size(), line.size()) << outcome.err;
    EXPECT_EQ(outcome.err.substr(outcome.err.size() - line.size()), line) << outcome.err;
    EXPECT_EQ(outcome.err.find("Failed to match"), std::string::npos) << outcome.err;
  }
}

// A value named twice would register its benchmarks twice (each run twice, and a progress
// count that never completes): each is measured once, with a note.
TEST_F(Cli, ValuesNamedTwiceAreMeasuredOnceWithANote) {
  Outcome outcome =
      run_bench({"--workloads=stream,stream", "--transports=pipe,pipe", "--placements=fork,fork",
                 "--sizes=64,64B", "--waits=block,block", "--benchmark_filter=^stream/",
                 "--benchmark_min_time=0.01", "--benchmark_repetitions=1"},
                dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const char* note :
       {"--workloads names stream", "--transports names pipe", "--placements names fork",
        "--sizes names 64 bytes", "--waits names block"})
    EXPECT_NE(outcome.err.find(std::string("ipcmeter-bench: ") + note +
                               " more than once: measured once\n"),
              std::string::npos)
        << note << "\n"
        << outcome.err;
  const std::string name = "stream/transport:pipe/placement:fork/wait:block/size:64/manual_time ";
  auto first = outcome.out.find(name);
  EXPECT_NE(first, std::string::npos) << outcome.out;
  EXPECT_EQ(outcome.out.find(name, first + 1), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.err.find("[ipcmeter] 1/1 repetitions (100%)"), std::string::npos)
      << outcome.err;
}

// The names the quick profile registers (listed, never run): which queues sweep depth where.
std::string listed(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> all = args;
  all.push_back("--benchmark_list_tests=true");
  Outcome outcome = run_bench(all, dir);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  return outcome.out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST_F(Cli, QuickProfileSweepsDepthOnlyWhereItSaysAndNamesItEverywhere) {
  std::string names = listed({"--workloads=stream,pingpong,fanin"}, dir_);
  const std::string stream = "stream/transport:";
  for (const char* queue : {"queue-boost", "queue-manager-unix-stream"})
    for (const char* placement : {"thread", "fork"})
      for (int depth : {3, 64})
        EXPECT_TRUE(has_line(names, stream + queue + "/placement:" + placement +
                                        "/wait:block/size:64/depth:" + std::to_string(depth) +
                                        "/manual_time"))
            << queue << " " << placement << " " << depth;
  // Elsewhere each queue at its own default depth only.
  EXPECT_TRUE(has_line(names, stream + "queue-boost/placement:spawn/wait:block/size:64/depth:64/manual_time"));
  EXPECT_FALSE(has_line(names, stream + "queue-boost/placement:spawn/wait:block/size:64/depth:3/manual_time"));
  EXPECT_TRUE(has_line(names, stream + "queue-manager-unix-stream/placement:thread/wait:block/size:65536/depth:3/manual_time"));
  EXPECT_FALSE(has_line(names, stream + "queue-manager-unix-stream/placement:thread/wait:block/size:65536/depth:64/manual_time"));
  EXPECT_TRUE(has_line(names, stream + "queue-mutex/placement:thread/wait:block/size:64/depth:64/manual_time"));
  EXPECT_FALSE(has_line(names, "pingpong/transport:queue-manager-unix-stream/placement:spawn/wait:block/size:64/depth:3/manual_time"));
  // A link that is no queue of messages has no depth.
  EXPECT_TRUE(has_line(names, stream + "pipe/placement:fork/wait:block/size:64/manual_time"));
  EXPECT_EQ(names.find("transport:shm-spsc/placement:fork/wait:block/size:64/depth"), std::string::npos);
  // The quick profile's share of the managers: the one over a Unix socket, in stream,
  // blocking.
  EXPECT_EQ(names.find("queue-manager-pipe"), std::string::npos);
  EXPECT_EQ(names.find("fanin/transport:queue-manager"), std::string::npos);
  EXPECT_EQ(names.find("queue-manager-unix-stream/placement:fork/wait:spin"), std::string::npos);

  // Full: every manager and depth 1024, in stream (not paced), blocking.
  names = listed({"--profile=full", "--workloads=stream,paced", "--sizes=64", "--placements=fork"}, dir_);
  for (int depth : {3, 64, 1024})
    EXPECT_TRUE(has_line(names, stream + "queue-manager-zmq-ipc/placement:fork/wait:block/size:64/depth:" +
                                    std::to_string(depth) + "/manual_time"))
        << depth;
  EXPECT_TRUE(has_line(names, stream + "queue-boost/placement:fork/wait:hybrid/size:64/depth:1024/manual_time"));
  EXPECT_EQ(names.find("paced/transport:queue-manager"), std::string::npos);
  EXPECT_EQ(names.find("queue-manager-zmq-ipc/placement:fork/wait:spin"), std::string::npos);

  // --depths sets the depths of every queue benchmark; naming a manager measures it fully.
  names = listed({"--workloads=stream,fanin", "--transports=queue-manager-pipe,pipe", "--depths=5,7"}, dir_);
  EXPECT_TRUE(has_line(names, "fanin/transport:queue-manager-pipe/placement:spawn/wait:block/producers:4/size:64/depth:7/manual_time"));
  EXPECT_TRUE(has_line(names, stream + "queue-manager-pipe/placement:fork/wait:block/size:65536/depth:5/manual_time"));
  EXPECT_EQ(names.find("depth:3"), std::string::npos);
  EXPECT_TRUE(has_line(names, stream + "pipe/placement:fork/wait:block/size:65536/manual_time"));
}

// The quick profile's other economies (bench/register.cpp): a queue at its own depth holds
// at most 8 MiB a direction, and spawned peers run the message workloads at 64 B, blocking.
TEST_F(Cli, QuickProfileKeepsQueuesWithinTheirBytesAndSpawnsAtOneSize) {
  std::string names = listed({"--workloads=stream,pingpong,dict-get"}, dir_);
  const std::string boost = "stream/transport:queue-boost/placement:fork/wait:block/size:";
  EXPECT_TRUE(has_line(names, boost + "1048576/depth:8/manual_time"));
  EXPECT_FALSE(has_line(names, boost + "1048576/depth:64/manual_time"));
  EXPECT_TRUE(has_line(names, boost + "65536/depth:64/manual_time"));
  EXPECT_TRUE(has_line(names, "stream/transport:pipe/placement:spawn/wait:block/size:64/manual_time"));
  EXPECT_FALSE(has_line(names, "stream/transport:pipe/placement:spawn/wait:block/size:1048576/manual_time"));
  EXPECT_FALSE(has_line(names, "stream/transport:pipe/placement:spawn/wait:spin/size:64/manual_time"));
  EXPECT_EQ(names.find("dict-get/transport:dict-shm/placement:spawn"), std::string::npos);
  // Naming the placements measures them whole.
  names = listed({"--workloads=stream", "--placements=spawn", "--transports=pipe"}, dir_);
  EXPECT_TRUE(has_line(names, "stream/transport:pipe/placement:spawn/wait:spin/size:1048576/manual_time"));
}

TEST_F(Cli, HelpAndListStateTheDepths) {
  Outcome help = run_bench({"--help"}, dir_);
  EXPECT_NE(help.out.find("--depths=3,64,1024"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("which each profile measures: see --list"), std::string::npos) << help.out;
  Outcome list = run_bench({"--list"}, dir_);
  EXPECT_NE(list.out.find("queue-manager-unix-stream"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("(depth: default 3)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("(depth: default 64)"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("quick measures 3 and 64 for stream at 64 B on thread and fork"),
            std::string::npos) << list.out;
  // What --list says the quick profile measures is what it registers.
  Outcome names = run_bench({"--profile=quick", "--benchmark_list_tests"}, dir_);
  ASSERT_EQ(names.exit_code, 0) << names.err;
  for (const char* placement : {"thread", "fork"})
    for (const char* depth : {"3", "64"})
      EXPECT_NE(names.out.find(fmt::format("stream/transport:queue-boost/placement:{}/wait:block/"
                                           "size:64/depth:{}/manual_time", placement, depth)),
                std::string::npos) << placement << " depth " << depth;
  EXPECT_EQ(names.out.find("/depth:1024"), std::string::npos);
  EXPECT_EQ(names.out.find("stream/transport:queue-boost/placement:fork/wait:block/size:65536/depth:3"),
            std::string::npos);
}

TEST_F(Cli, TinyQueueManagerRunReportsServerCpu) {
  fs::path json = fs::path(dir_) / "queue.json";
  Outcome outcome = run_bench({"--workloads=stream", "--transports=queue-manager-unix-stream",
                               "--placements=fork", "--sizes=64", "--waits=block", "--depths=3",
                               "--benchmark_filter=^stream/", "--benchmark_min_time=0.01",
                               "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                              dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::string text = read_file(json);
  fs::remove(json);
  for (const char* expected :
       {"\"name\": \"stream/transport:queue-manager-unix-stream/placement:fork/wait:block/size:64/"
        "depth:3/manual_time\"",
        "\"server_cpu_ns_per_iter\":", "\"full_puts_per_iter\":", "\"items_per_second\":"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  EXPECT_EQ(text.find("\"error_occurred\": true"), std::string::npos) << text;
}

// Each rate curve ends at its link's closed-loop maximum: the rate:max point measures a
// stream of the same link first and offers what it carried (bench/closed_loop_max.hpp).
TEST_F(Cli, RateCurveEndsAtTheClosedLoopMaximumMeasuredInTheRun) {
  fs::path json = fs::path(dir_) / "rate.json";
  Outcome outcome = run_bench({"--workloads=rate", "--transports=pipe", "--placements=thread", "--sizes=64",
                               "--waits=block", "--benchmark_filter=^rate/", "--benchmark_min_time=0.01",
                               "--benchmark_repetitions=2", "--benchmark_out=" + json.string(),
                               "--benchmark_out_format=json"},
                              dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::string text = read_file(json);
  fs::remove(json);
  for (std::size_t at = text.find(": NaN"); at != std::string::npos; at = text.find(": NaN", at))
    text.replace(at, 5, ": null");
  std::vector<double> offered, measured, fixed_rates;
  const nlohmann::json run = nlohmann::json::parse(text);
  for (const auto& entry : run.at("benchmarks")) {
    if (entry.value("run_type", "") != "iteration") continue;
    const std::string name = entry.at("name");
    ASSERT_FALSE(entry.value("error_occurred", false)) << name;
    if (name.find("/rate:max/") == std::string::npos) {
      fixed_rates.push_back(entry.at("offered_per_s").get<double>());
      EXPECT_EQ(entry.count("closed_loop_per_s"), 0u) << name;
      continue;
    }
    EXPECT_EQ(name, "rate/transport:pipe/placement:thread/wait:block/rate:max/size:64/manual_time");
    offered.push_back(entry.at("offered_per_s").get<double>());
    measured.push_back(entry.at("closed_loop_per_s").get<double>());
    EXPECT_GE(entry.at("latency_samples").get<double>(), 100.0) << name;
  }
  ASSERT_EQ(offered.size(), 2u);  // both samples, one measurement: the same offered rate
  EXPECT_EQ(offered[0], offered[1]);
  EXPECT_EQ(offered[0], measured[0]);  // the schedule ran at the rate the stream measured
  // A pipe between threads carries far more than a thousand messages a second, even here.
  EXPECT_GT(measured[0], 1000.0);
  EXPECT_EQ(fixed_rates.size(), 6u);  // the quick sweep's three rates, two samples each
}

TEST_F(Cli, UnknownTransportNamesTheKnownOnes) {
  Outcome outcome = run_bench({"--transports=carrier-pigeon"}, dir_);
  // The test binary registers test-only transports; the benchmark binary lists only its own
  // links: every transport, then a queue manager over each.
  std::string known;
  for (const auto& kind : all_media())
    if (kind.family == "link" && (kind.none || find_transport(kind.transport).family != "test"))
      known += (known.empty() ? "" : ", ") + kind.name;
  EXPECT_EQ(outcome.err,
            "ipcmeter-bench: unknown transport 'carrier-pigeon' (known: " + known + ")\n");
}

TEST_F(Cli, TinyRunWritesGoogleBenchmarkJsonWithContextAndParseableNames) {
  fs::path json = fs::path(dir_) / "out.json";
  Outcome outcome = run_bench({"--workloads=pingpong", "--transports=socketpair",
                               "--placements=spawn", "--sizes=64", "--pin=0,1",
                               "--waits=block",
                               "--benchmark_min_time=0.01",
                               "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                              dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::string text = read_file(json);
  fs::remove(json);
  for (const char* expected :
       {"\"name\": \"pingpong/transport:socketpair/placement:spawn/wait:block/size:64/manual_time\"",
        "\"cpu_model\":", "\"kernel\":", "\"compiler\":", "\"ipcmeter_pinning\": \"0,1\"",
        "\"ipcmeter_profile\": \"quick\"", "\"rtt_p50_ns\":", "\"rtt_p999_ns\":",
        "\"leader_cpu_ns_per_iter\":", "\"peer_cpu_ns_per_iter\":", "\"items_per_second\":"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  EXPECT_EQ(text.find("\"error_occurred\": true"), std::string::npos) << text;
}

TEST_F(Cli, TinyDictRunReportsOperationsClientsAndServerCpu) {
  fs::path json = fs::path(dir_) / "dict.json";
  Outcome outcome = run_bench({"--workloads=dict-get", "--dicts=dict-manager-unix-stream,dict-shm",
                               "--placements=fork", "--benchmark_min_time=0.01",
                               "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                              dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::string text = read_file(json);
  fs::remove(json);
  for (int clients : {1, 4})  // the quick profile's client counts
    for (const char* dict : {"dict-manager-unix-stream", "dict-shm"})
      EXPECT_NE(text.find(std::string("\"name\": \"dict-get/transport:") + dict +
                          "/placement:fork/wait:block/clients:" + std::to_string(clients) +
                          "/manual_time\""),
                std::string::npos)
          << dict << " " << clients;
  for (const char* expected :
       {"\"items_per_second\":", "\"peer_cpu_ns_per_iter\":", "\"server_cpu_ns_per_iter\":"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  EXPECT_EQ(text.find("\"error_occurred\": true"), std::string::npos) << text;
}

// The run's trace (IPCMETER_EVENTS), which the fault campaign strikes by: each process peer
// writes when its part starts, when it reaches the announced operation, and when it is done,
// in that order, and the run itself is not changed by it.
TEST_F(Cli, AnnounceTracesEachPeersPartInOrderAndChangesNothing) {
  fs::path trace = fs::path(testing::test_temp_dir()) / fmt::format("events-{}", ::getpid());
  ::setenv("IPCMETER_EVENTS", trace.c_str(), 1);
  Outcome outcome = run_bench({"--workloads=stream", "--transports=pipe", "--placements=fork,spawn",
                               "--sizes=64", "--waits=block", "--benchmark_filter=^stream/",
                               "--benchmark_min_time=0.01", "--inject=announce:3"},
                              dir_);
  ::unsetenv("IPCMETER_EVENTS");
  std::string text = read_file(trace);
  fs::remove(trace);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  struct Part {
    std::uint64_t go = 0, struck = 0, done = 0;
  };
  std::map<std::string, Part> parts;  // by pid: each batch's peer is a process of its own
  std::istringstream lines(text);
  std::uint64_t stamp = 0;
  std::string what;
  while (lines >> stamp >> what) {
    std::string rest;
    std::getline(lines, rest);
    auto pid_at = rest.find(" pid=");
    ASSERT_NE(pid_at, std::string::npos) << rest;
    std::string pid = rest.substr(pid_at + 5, rest.find(' ', pid_at + 5) - pid_at - 5);
    EXPECT_NE(pid, std::to_string(::getpid()));
    if (what == "go") parts[pid].go = stamp;
    else if (what == "done") parts[pid].done = stamp;
    else {
      ASSERT_EQ(what, "struck") << rest;
      EXPECT_NE(rest.find(" fault=announce "), std::string::npos) << rest;
      EXPECT_NE(rest.find(" op=3 "), std::string::npos) << rest;
      parts[pid].struck = stamp;
    }
  }
  int struck = 0;
  for (const auto& [pid, part] : parts) {
    EXPECT_GT(part.go, 0u) << pid;
    EXPECT_GT(part.done, part.go) << pid;
    if (part.struck == 0) continue;  // a batch of 3 or fewer messages never reaches it
    ++struck;
    EXPECT_GT(part.struck, part.go) << pid;
    EXPECT_LT(part.struck, part.done) << pid;
  }
  EXPECT_GE(struck, 2) << text;  // at least one batch of each placement
}

// A sample is never a handful (bench/sample.hpp): asked for a few iterations (a 1 ms
// min_time, 1 MiB messages), each sample of a suite figure and of its raw floor still rests
// on at least 100 messages, and its rate is what those messages took, whatever batch Google
// Benchmark asked for.
TEST_F(Cli, EverySampleRestsOnTheSampleFloorAndItsRateOnIt) {
  fs::path json = fs::path(dir_) / "floor.json";
  Outcome outcome = run_bench({"--workloads=stream", "--transports=pipe", "--placements=fork",
                               "--sizes=1M", "--waits=block", "--benchmark_filter=^(floor/)?stream/",
                               "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
                               "--benchmark_out=" + json.string(), "--benchmark_out_format=json"},
                              dir_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  // Google Benchmark writes NaN (not JSON) for the spread of a counter that did not vary.
  std::string text = read_file(json);
  for (std::size_t at = text.find(": NaN"); at != std::string::npos; at = text.find(": NaN", at))
    text.replace(at, 5, ": null");
  nlohmann::json run = nlohmann::json::parse(text);
  fs::remove(json);
  int samples = 0;
  for (const auto& entry : run.at("benchmarks")) {
    if (entry.value("run_type", "") != "iteration") continue;
    ++samples;
    double iterations = entry.at("sample_iterations").get<double>();
    double seconds = entry.at("sample_s").get<double>();
    EXPECT_GE(iterations, 100.0) << entry.at("name");
    // Google Benchmark asked for fewer than the sample's messages ...
    EXPECT_LT(entry.at("iterations").get<double>(), iterations) << entry.at("name");
    // ... and its rate is the sample's: messages over the time they took.
    EXPECT_NEAR(entry.at("items_per_second").get<double>(), iterations / seconds,
                1e-3 * iterations / seconds)
        << entry.at("name");
  }
  EXPECT_EQ(samples, 4);  // the suite's figure and its floor, two samples each
}

// Busy processes, one per CPU, for as long as the object lives: a loaded machine.
class CpuHog {
 public:
  CpuHog() {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < std::max(cpus, 1L); ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test, even a killed one
        volatile unsigned spin = 0;
        for (;;) spin = spin + 1;
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~CpuHog() {
    for (pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (pid_t pid : pids_) ::waitpid(pid, nullptr, 0);
  }
  CpuHog(const CpuHog&) = delete;
  CpuHog& operator=(const CpuHog&) = delete;

 private:
  std::vector<pid_t> pids_;
};

// Every raw floor completes (under AddressSanitizer too, where the zmq-tcp floor once hung:
// its parent made a ZeroMQ context, threads and all, before the fork).
TEST_F(Cli, RawFloorsAllComplete) {
  Outcome all = run_bench({"--sizes=64", "--benchmark_filter=^floor/", "--benchmark_min_time=0.001"}, dir_);
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("floor/stream/transport:zmq-ipc/"), std::string::npos) << all.out;
}

// The ZeroMQ floors keep every message on a loaded machine: their child used to close and
// exit after its last send, and under a CPU hog on both cores about one short run in five
// lost the last messages still on their way (the parent then failed with "the child ended
// early"). Ten runs catch that nearly every time. (Not in the asan stage: a question of
// timing, not memory, and twice as slow there.)
TEST_F(Cli, ZeroMqFloorsKeepEveryMessageOnALoadedMachine) {
  CpuHog hog;
  for (int run = 0; run < 10; ++run) {
    Outcome outcome = run_bench({"--sizes=64", "--benchmark_filter=^floor/stream/transport:zmq-",
                                 "--benchmark_min_time=0.01", "--benchmark_repetitions=2"},
                                dir_);
    ASSERT_EQ(outcome.exit_code, 0) << "run " << run << ": " << outcome.out << outcome.err;
  }
}

TEST_F(Cli, AFailedBenchmarkFailsTheRunAfterEverythingIsWritten) {
  // A 1 ms watchdog: a spawned peer cannot even start in time, so the benchmark fails.
  fs::path json = fs::path(dir_) / "failed.json";
  Outcome outcome = run_bench({"--workloads=stream", "--transports=pipe", "--placements=spawn",
                               "--sizes=64", "--waits=block", "--timeout=0.001",
                               "--benchmark_min_time=0.01", "--benchmark_out=" + json.string(),
                               "--benchmark_out_format=json"},
                              dir_);
  std::string text = read_file(json);
  fs::remove(json);
  EXPECT_EQ(outcome.exit_code, 1) << outcome.err;
  // Each failed benchmark named once (with how many samples failed), the start-up too.
  EXPECT_NE(outcome.err.find("ipcmeter-bench: 2 benchmark(s) failed:\n  "), std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("\n  stream/transport:pipe/placement:spawn/wait:block/size:64/"
                             "manual_time: stream transport:pipe placement:spawn wait:block size:64: "
                             "timed out after 1 ms (peer hung or too slow) (3 samples)\n"),
            std::string::npos)
      << outcome.err;
  EXPECT_NE(text.find("\"error_occurred\": true"), std::string::npos) << "the JSON was not written";
  // The baselines and start-ups still ran and were written.
  EXPECT_NE(text.find("baseline/cacheline"), std::string::npos);
}

TEST_F(Cli, UnsupportedByDesignIsListedNotFailedAndProgressGoesToStderr) {
  Outcome outcome = run_bench({"--workloads=fanin", "--transports=pipe", "--placements=fork",
                               "--sizes=64K", "--producers=4", "--waits=block",
                               "--benchmark_filter=fanin", "--benchmark_min_time=0.01"},
                              dir_);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("unsupported: transport pipe cannot take 4 writers"), std::string::npos)
      << outcome.out;
  // Three repetitions of the one benchmark the filter keeps, counted as they ran.
  EXPECT_NE(outcome.err.find("[ipcmeter] 3/3 repetitions (100%)"), std::string::npos) << outcome.err;
}

std::vector<pid_t> processes_with_env(const std::string& entry) {
  std::vector<pid_t> found;
  for (const auto& process : fs::directory_iterator("/proc")) {
    std::string name = process.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string environ = read_file(process.path() / "environ");
    std::string state = read_file(process.path() / "stat");
    bool zombie = state.find(") Z ") != std::string::npos;
    if (!zombie && environ.find(entry) != std::string::npos)
      found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

TEST_F(Cli, SigtermMidRunLeavesNoChildSocketOrFile) {
  for (const char* placement : {"fork", "spawn"}) {
    pid_t suite = ::fork();
    if (suite == 0) {
      std::FILE* quiet = std::freopen("/dev/null", "w", stdout);
      (void)quiet;
      ::setenv("IPCMETER_TMPDIR", dir_.c_str(), 1);
      std::string placements = std::string("--placements=") + placement;
      ::execl(IPCMETER_BENCH_PATH, IPCMETER_BENCH_PATH, "--workloads=stream",
              "--transports=unix-stream", placements.c_str(), "--sizes=64",
              "--benchmark_filter=^stream/", "--benchmark_min_time=60",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait until the run is under way: a peer exists and the socket file is in place.
    std::string marker = "IPCMETER_TMPDIR=" + dir_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (processes_with_env(marker).size() < 2 || fs::is_empty(dir_)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(suite, SIGKILL);  // never leave a 60 s run behind a failed test
        ::waitpid(suite, nullptr, 0);
        FAIL() << placement << ": the run never started";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(suite, SIGTERM);
    int status = 0;
    ::waitpid(suite, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << placement;
    // The peer was SIGKILLed by the handler; give the kernel a moment to reap the orphan.
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!processes_with_env(marker).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(processes_with_env(marker).empty()) << placement << ": a peer survived";
    EXPECT_TRUE(fs::is_empty(dir_)) << placement << ": socket files survived";
  }
}

// The parent pid in /proc/<pid>/stat, and its state letter ('T' when stopped); 0 if gone.
std::pair<pid_t, char> parent_and_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto end = stat.rfind(") ");
  if (end == std::string::npos) return {0, 0};
  std::istringstream rest(stat.substr(end + 2));
  char state = 0;
  pid_t parent = 0;
  rest >> state >> parent;
  return {parent, state};
}

TEST_F(Cli, StoppedPeerEndsTheRunWithinTheTimeoutAndGraceLeavingNothing) {
  // A forked peer over queue-boost (shared memory, and a lock the peer may hold as it stops)
  // stopped with SIGSTOP mid-run: neither dead nor answering. The run must fail at its
  // timeout with one line, the suite exit 1, and no process or /dev/shm name remain. Google
  // Benchmark's rounds stay within 0.5 s x 1.4, so none times out of its own accord.
  const auto timeout = std::chrono::seconds(2);
  fs::path err = fs::path(testing::test_temp_dir()) / ("sigstop-" + std::to_string(::getpid()) + ".txt");
  pid_t suite = ::fork();
  ASSERT_GE(suite, 0);
  if (suite == 0) {
    std::FILE* quiet = std::freopen("/dev/null", "w", stdout);
    std::FILE* said = std::freopen(err.c_str(), "w", stderr);
    (void)quiet, (void)said;
    ::setenv("IPCMETER_TMPDIR", dir_.c_str(), 1);
    ::execl(IPCMETER_BENCH_PATH, IPCMETER_BENCH_PATH, "--workloads=stream",
            "--transports=queue-boost", "--placements=fork", "--sizes=64", "--waits=block",
            "--depths=64", "--timeout=2", "--benchmark_filter=^stream/",
            "--benchmark_min_time=0.5", "--benchmark_repetitions=1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Stop the suite's peer as soon as one is seen. One that ends before the signal lands (a
  // short round) leaves a zombie: the next round's peer is stopped instead.
  std::string marker = "IPCMETER_TMPDIR=" + dir_;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  pid_t stopped = 0;
  std::chrono::steady_clock::time_point stopped_at;
  int status = 0;
  bool ended = false;
  while (stopped == 0 && !ended && std::chrono::steady_clock::now() < give_up) {
    for (pid_t pid : processes_with_env(marker)) {
      if (parent_and_state(pid).first != suite) continue;
      ::kill(pid, SIGSTOP);
      stopped_at = std::chrono::steady_clock::now();
      for (int i = 0; i < 50 && parent_and_state(pid).second != 'T'; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (parent_and_state(pid).second == 'T') stopped = pid;
    }
    ended = ::waitpid(suite, &status, WNOHANG) == suite;
    if (stopped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // The suite must end by itself; it is killed only so that a failed test leaves nothing.
  auto must_end_by = stopped_at + timeout + kWatchdogGrace + std::chrono::seconds(1);
  while (!ended && ::waitpid(suite, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > std::max(must_end_by, give_up)) {
      ::kill(suite, SIGKILL);
      ::waitpid(suite, &status, 0);
      ADD_FAILURE() << "the suite did not end";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto ended_at = std::chrono::steady_clock::now();
  std::string said = read_file(err);
  fs::remove(err);
  ASSERT_NE(stopped, 0) << "no peer was ever seen to stop\n" << said;
  // Within the timeout and the grace of the moment the peer stopped (the run's timeout began
  // before that), with a second for the suite to write its results and exit.
  EXPECT_LT(ended_at - stopped_at, timeout + kWatchdogGrace + std::chrono::seconds(1));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status << "\n" << said;
  // One line for the failed benchmark. A peer stopped mid-run times the run out; one stopped
  // in the instant between reporting done and exiting is killed by the tear-down instead.
  const std::string failure =
      "ipcmeter-bench: 1 benchmark(s) failed:\n  stream/transport:queue-boost/placement:fork/"
      "wait:block/size:64/depth:64/manual_time: stream transport:queue-boost placement:fork "
      "wait:block size:64 depth:64: ";
  auto at = said.find(failure);
  ASSERT_NE(at, std::string::npos) << said;
  std::string line = said.substr(at + failure.size(), said.find('\n', at + failure.size()) - at - failure.size());
  EXPECT_TRUE(line.rfind("timed out after 2.0 s (peer hung or too slow)", 0) == 0 ||
              line.rfind("peer killed by signal 9 (SIGKILL)", 0) == 0)
      << line;
  // No process of the run (the stopped peer included) and no shared-memory name of the suite's.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!processes_with_env(marker).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(processes_with_env(marker).empty()) << "a peer survived";
  EXPECT_EQ(testing::shared_memory_names_of("mq", suite), std::vector<std::string>{});
}

}  // namespace
}  // namespace ipcmeter
