// The shared dictionaries: every variant behaves as a plain map, concurrent clients lose no
// write, checks that can fail do, a manager whose server dies is an error and not a hang,
// and nothing is left behind, not even by a client that is SIGKILLed.
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>

#include <boost/interprocess/managed_shared_memory.hpp>
#include <optional>

#include "harness/medium.hpp"
#include "harness/run.hpp"
#include "harness/placement.hpp"
#include "harness/watchdog.hpp"
#include "harness/ranks.hpp"
#include "harness/workloads/dict.hpp"
#include "tests/test_support.hpp"
#include "transports/address.hpp"
#include "transports/dict.hpp"
#include "transports/dict_shm.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"
#include "transports/robust_mutex.hpp"

namespace ipcmeter {
namespace {

using testing::failure_of;

RunSpec dict_run(const std::string& workload, const std::string& kind, const std::string& placement,
                 int clients, std::uint64_t count) {
  return testing::spec_of(workload, kind, placement,
                          {{"clients", static_cast<std::uint64_t>(clients)}}, count);
}


// ---- Every variant agrees with dict-local on one random sequence of operations ----

class DictAgreement : public testing::NoLeftovers,
                      public ::testing::WithParamInterface<std::string> {};

TEST_P(DictAgreement, AgreesWithDictLocalOnARandomSequence) {
  MediumOptions options;
  options.keys = 256;
  auto reference_host = find_medium("dict-local", "dict").create(options);
  Handle reference_handle = reference_host->open_leader({});
  Dict& reference = reference_handle.dict();
  // The medium as a run makes it: created, its servers (if any) started once the client
  // exists, then the client opens it by address.
  const MediumKind& kind = find_medium(GetParam(), "dict");
  auto host = kind.create(options);
  testing::LivenessPair liveness;
  int watched = liveness.watched.get();
  host->peers_started({&watched, 1});
  Handle client_handle = kind.open(host->link(0).address(), Liveness());
  host->peers_ready();
  Handle creator = host->open_leader({&watched, 1});
  Dict* client = &client_handle.dict();

  std::mt19937_64 random(20261122);
  for (int i = 0; i < 3000; ++i) {
    // Keys 0..299 against a map sized for 256: misses, inserts, erases and growth.
    DictKey key = random() % 300;
    DictValue value = make_dict_value(key, random());
    switch (random() % 10) {
      case 0:
      case 1:
      case 2:
        reference.put(key, value);
        client->put(key, value);
        break;
      case 3:
        ASSERT_EQ(client->erase(key), reference.erase(key)) << "operation " << i << " key " << key;
        break;
      case 4:
        ASSERT_EQ(client->size(), reference.size()) << "operation " << i;
        break;
      default:
        ASSERT_EQ(client->get(key), reference.get(key)) << "operation " << i << " key " << key;
    }
  }
  for (DictKey key = 0; key < 300; ++key) ASSERT_EQ(client->get(key), reference.get(key)) << key;
  EXPECT_EQ(client->size(), reference.size());
  // The creator sees what the client wrote: one map, not two.
  EXPECT_EQ(creator.dict().size(), reference.size());
  client_handle.close();
  EXPECT_EQ(host->stop(), std::nullopt);
}

std::vector<std::string> every_dict() {
  std::vector<std::string> names;
  for (const auto& kind : all_media())
    if (kind.family == "dict" && (!kind.ranks_only || launched_ranks() > 0)) names.push_back(kind.name);
  return names;
}

std::string test_name(const std::string& text) {
  std::string name = text;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

std::string name_of_string(const ::testing::TestParamInfo<std::string>& param) {
  return test_name(param.param);
}

INSTANTIATE_TEST_SUITE_P(EveryDict, DictAgreement, ::testing::ValuesIn(every_dict()),
                         name_of_string);

// ---- Real runs: every variant in every placement it allows, with concurrent clients ----

using RunParam = std::tuple<std::string, std::string>;  // dict, placement

std::string name_of_pair(const ::testing::TestParamInfo<RunParam>& param) {
  return test_name(std::get<0>(param.param) + "_" + std::get<1>(param.param));
}

class DictRuns : public testing::NoLeftovers, public ::testing::WithParamInterface<RunParam> {
 protected:
  int clients(int wanted) const {
    return std::min(wanted, find_medium(std::get<0>(GetParam()), "dict").max_peers);
  }
};

TEST_P(DictRuns, ConcurrentClientsLoseNoWrite) {
  // Every client writes its own keys; after the run the harness replays every client's
  // writes and checks each key holds its owner's last one (verify_dict_end).
  auto [kind, placement] = GetParam();
  RunResult result = run(dict_run("dict-put", kind, placement, clients(4), 6001));
  EXPECT_EQ(result.peer_iterations, 6001u);
  EXPECT_GT(result.elapsed_ns, 0u);
}

TEST_P(DictRuns, MixedGetsAreVerifiedWhileOthersWrite) {
  auto [kind, placement] = GetParam();
  RunResult result = run(dict_run("dict-mixed", kind, placement, clients(2), 4000));
  EXPECT_EQ(result.peer_iterations, 4000u);  // the clients' own count, all together
  const Counter* server_cpu = result.counters.find("server_cpu_ns_per_iter");
  if (find_medium(kind, "dict").transport.empty()) {
    EXPECT_EQ(server_cpu, nullptr) << "a map used in place has no server";
  } else {
    ASSERT_NE(server_cpu, nullptr);
    EXPECT_GT(server_cpu->value, 0.0);
  }
}

std::vector<RunParam> every_dict_and_placement() {
  std::vector<RunParam> params;
  for (const auto& kind : all_media())
    for (const auto& placement : all_placements())
      if (kind.family == "dict" && (!placement.separate_process || kind.crosses_processes) &&
          !placement.remote && !placement.peerless && !kind.ranks_only &&
          testing::in_sanitizer_matrix(placement.name, kind.crosses_processes))
        params.emplace_back(kind.name, placement.name);
  return params;
}

INSTANTIATE_TEST_SUITE_P(EveryDict, DictRuns, ::testing::ValuesIn(every_dict_and_placement()),
                         name_of_pair);

// ---- The checks can fail ----

// Loses every 50th put: what a dictionary that drops writes looks like.
class LosingDict final : public Dict {
 public:
  explicit LosingDict(Dict& inner) : inner_(inner) {}
  std::optional<DictValue> get(DictKey key) override { return inner_.get(key); }
  void put(DictKey key, const DictValue& value) override {
    if (++puts_ % 50 != 0) inner_.put(key, value);
  }
  bool erase(DictKey key) override { return inner_.erase(key); }
  std::size_t size() override { return inner_.size(); }

 private:
  Dict& inner_;
  int puts_ = 0;
};

TEST(DictChecks, ALostWriteFailsTheEndCheck) {
  auto host = find_dict("dict-local").create({});
  preload_dict(host->direct());
  LosingDict losing(host->direct());
  const DictWorkload& puts = find_dict_workload("dict-put");
  run_dict_client(losing, puts, 0, 1, 500);  // puts only: nothing is read back
  try {
    verify_dict_end(host->direct(), puts, 1, {500});
    FAIL() << "a lost write went unnoticed";
  } catch (const IntegrityError& error) {
    EXPECT_NE(std::string(error.what()).find("a write was lost"), std::string::npos) << error.what();
  }
}

TEST(DictChecks, ALostWriteFailsTheClientsOwnRead) {
  auto host = find_dict("dict-local").create({});
  preload_dict(host->direct());
  LosingDict losing(host->direct());
  try {
    run_dict_client(losing, find_dict_workload("dict-mixed"), 0, 1, 20000);
    FAIL() << "a client read past its own lost write";
  } catch (const IntegrityError& error) {
    EXPECT_NE(std::string(error.what()).find("it last wrote"), std::string::npos) << error.what();
  }
}

TEST(DictChecks, AValueUnderTheWrongKeyFailsItsCheck) {
  auto host = find_dict("dict-local").create({});
  preload_dict(host->direct());
  host->direct().put(7, make_dict_value(8, 0));  // key 8's value, stored under 7
  const DictWorkload& gets = find_dict_workload("dict-get");
  try {
    run_dict_client(host->direct(), gets, 0, 1, 100000);
    FAIL() << "a misplaced value went unnoticed";
  } catch (const IntegrityError& error) {
    EXPECT_NE(std::string(error.what()).find("key 7: value fails its check"), std::string::npos)
        << error.what();
  }
}

// ---- Bad specs ----

TEST(DictSpecs, BadSpecsAreOneLineUsageErrors) {
  using testing::usage_error_of;
  std::vector<std::pair<RunSpec, std::string>> cases = {
      {dict_run("dict-get", "dict-local", "thread", 2, 100), "dict-local has no lock: it takes exactly 1 client"},
      {dict_run("dict-get", "dict-locked", "fork", 1, 100), "dict-locked works between threads only, not fork"},
      {dict_run("dict-get", "dict-manager-queue-mutex", "spawn", 1, 100), "threads only"},
      {dict_run("dict-get", "pipe", "thread", 1, 100), "unknown dictionary 'pipe'"},
      {dict_run("dict-get", "dict-shm", "fork", 0, 100), "clients 0 is out of range (1 to 64)"},
      {dict_run("dict-get", "dict-shm", "fork", 1, 0), "at least one iteration"},
      {dict_run("dict-get", "dict-nope", "fork", 1, 100), "unknown dictionary 'dict-nope' (known: dict-local"},
  };
  for (const auto& [spec, expected] : cases) {
    std::string message = usage_error_of(spec);
    EXPECT_NE(message.find(expected), std::string::npos) << message << " / " << expected;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_THROW(run(spec), UsageError) << spec.describe();
  }
}

// ---- Faults: a client that dies or hangs, a server that dies ----

class DictFaults : public testing::NoLeftovers,
                   public ::testing::WithParamInterface<RunParam> {};

TEST_P(DictFaults, KilledClientFailsTheRunAndLeavesNoName) {
  // The fixture's teardown checks /dev/shm for this process's names: the creator removes
  // them although a client died holding them open.
  auto [kind, placement] = GetParam();
  RunSpec killed = dict_run("dict-mixed", kind, placement, 2, 20000);
  killed.fault = Fault::crash;
  killed.fault_after = 500;
  auto start = std::chrono::steady_clock::now();
  std::string what = failure_of(killed);
  EXPECT_NE(what.find(killed.describe()), std::string::npos) << what;
  EXPECT_NE(what.find("killed by signal 9 (SIGKILL)"), std::string::npos) << what;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_P(DictFaults, HungClientTimesOut) {
  auto [kind, placement] = GetParam();
  RunSpec hung = dict_run("dict-get", kind, placement, 2, 20000);
  hung.fault = Fault::hang;
  hung.fault_after = 100;
  hung.timeout = std::chrono::milliseconds(1000);
  std::string what = failure_of(hung);
  EXPECT_NE(what.find(hung.describe() + ": timed out after 1.0 s"), std::string::npos) << what;
}

INSTANTIATE_TEST_SUITE_P(
    SharedMemoryAndSockets, DictFaults,
    ::testing::Values(RunParam{"dict-shm", "fork"}, RunParam{"dict-shm", "spawn"},
                      RunParam{"dict-manager-unix-stream", "fork"},
                      RunParam{"dict-manager-shm-spsc", "spawn"},
                      RunParam{"dict-manager-queue-boost", "fork"},
                      RunParam{"dict-manager-zmq-ipc", "spawn"}),
    name_of_pair);

// ---- dict-shm's lock: a client that dies holding it ----

// Maps dict-shm's segment `name` as a client does and takes its lock, keeping the mapping
// (the kernel finds a dead owner's robust locks through its mappings); false if the segment
// holds no lock yet. For a forked child only: it then ends holding the lock.
bool take_dict_shm_lock(const std::string& name) {
  static std::optional<boost::interprocess::managed_shared_memory> segment;
  segment.emplace(boost::interprocess::open_only, name.c_str());
  RobustMutex* lock = segment->find<RobustMutex>(kDictShmLockName).first;
  if (!lock) return false;
  lock->lock("the test's client");
  return true;
}

TEST(DictShmLock, AClientThatDiesHoldingItFailsTheNextOperationWithinASecond) {
  using std::chrono::milliseconds;
  // A lock that is not robust would block the get for good: the watchdog then ends this
  // binary at its hard exit, a failure in seconds rather than at ctest's timeout.
  WatchdogGuard watchdog(std::chrono::seconds(3), [] { request_interrupt(); }, "DictShmLock");
  // The client dies before the next operation, then while that operation waits for the lock.
  for (milliseconds held_for : {milliseconds(0), milliseconds(300)}) {
    auto host = find_dict("dict-shm").create({});
    Dict& dict = host->direct();
    dict.put(1, make_dict_value(1, 0));
    std::string name = Address::parse(host->link().address()).field("name");
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    Fd read_end(ready[0]), write_end(ready[1]);
    pid_t client = ::fork();
    ASSERT_GE(client, 0);
    if (client == 0) {
      if (!take_dict_shm_lock(name)) ::_exit(2);
      if (::write(write_end.get(), "x", 1) != 1) ::_exit(3);
      ::usleep(static_cast<useconds_t>(held_for.count() * 1000));
      ::_exit(0);  // still holding the lock
    }
    write_end.reset();
    char said = 0;
    ASSERT_EQ(::read(read_end.get(), &said, 1), 1) << "the client did not take the lock";
    int status = 0;
    if (held_for.count() == 0) {
      ASSERT_EQ(::waitpid(client, &status, 0), client);
    }

    auto start = std::chrono::steady_clock::now();
    std::string what = "(no error)";
    try {
      dict.get(1);
    } catch (const LockOwnerDied& error) {
      what = error.what();
    }
    auto took = std::chrono::steady_clock::now() - start;
    if (held_for.count() > 0) {
      ASSERT_EQ(::waitpid(client, &status, 0), client);
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_NE(what.find("dict-shm /dev/shm/" + name + ": lock owner died"), std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_LT(took, held_for + std::chrono::seconds(1)) << "held for " << held_for.count() << " ms";
    if (held_for.count() > 0) {
      EXPECT_GE(took, held_for / 2) << "the get did not wait for the lock";
    }
    // Every later operation fails the same way: nobody reads what the client left half-done.
    EXPECT_THROW(dict.put(2, make_dict_value(2, 1)), LockOwnerDied);
    EXPECT_THROW(dict.size(), LockOwnerDied);
  }
  EXPECT_FALSE(watchdog.fired());
}

class DictShmLockRuns : public testing::NoLeftovers {};

TEST_F(DictShmLockRuns, AClientDyingInsideTheLockFailsTheRunSoonNotAtTheTimeout) {
  // A process that maps the run's segment, takes the lock and dies, as a client killed
  // inside an operation does; the run's own clients then fail at their next operation.
  RunSpec run = dict_run("dict-mixed", "dict-shm", "fork", 2, 200'000'000);
  run.timeout = std::chrono::seconds(20);
  pid_t leader = ::getpid();
  pid_t taker = testing::fork_lock_taker([leader] {
    auto names = testing::shared_memory_names_of("dict", leader);
    return !names.empty() && take_dict_shm_lock(names.front());
  });
  auto start = std::chrono::steady_clock::now();
  std::string what = failure_of(run);
  auto took = std::chrono::steady_clock::now() - start;
  int status = 0;
  ASSERT_EQ(::waitpid(taker, &status, 0), taker);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the taker never took the lock";
  EXPECT_NE(what.find(run.describe() + ": "), std::string::npos) << what;
  EXPECT_NE(what.find(": lock owner died"), std::string::npos) << what;
  EXPECT_EQ(what.find("timed out"), std::string::npos) << what;
  EXPECT_LT(took, std::chrono::seconds(5)) << what;
}

// The manager's server lives in its own process here (Python's Manager() does), so that
// it can be killed while a client waits on it.
class ManagerServerDies : public testing::NoLeftovers,
                          public ::testing::WithParamInterface<std::string> {};

void remove_shared_memory_of(pid_t pid) {
  std::string mark = "-" + std::to_string(pid) + "-";
  DIR* dir = ::opendir("/dev/shm");
  if (!dir) return;
  while (dirent* entry = ::readdir(dir))
    if (std::strstr(entry->d_name, mark.c_str())) ::shm_unlink(entry->d_name);
  ::closedir(dir);
}

TEST_P(ManagerServerDies, ClientGetsAnErrorNotAHang) {
  const MediumKind& kind = find_medium("dict-manager-" + GetParam(), "dict");
  int address_pipe[2];
  ASSERT_EQ(::pipe2(address_pipe, O_CLOEXEC), 0);
  Fd read_end(address_pipe[0]), write_end(address_pipe[1]);
  // Each side's liveness, as a run's control channel gives it: `watched` hangs up when the
  // server process dies, its twin (held by the server) when this one does.
  testing::LivenessPair liveness;
  pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    read_end.reset();
    liveness.watched.reset();
    try {
      auto host = kind.create({});
      int client_liveness = liveness.held.get();
      host->peers_started({&client_liveness, 1});
      Handle map = host->open_leader({});
      preload_dict(map.dict());
      std::string address = host->link(0).address();
      if (::write(write_end.get(), address.data(), address.size()) !=
          static_cast<ssize_t>(address.size()))
        ::_exit(1);
      write_end.reset();
      for (;;) ::pause();  // serves from its threads until killed
    } catch (...) {
      ::_exit(1);
    }
  }
  write_end.reset();
  liveness.held.reset();
  std::string address;
  char buffer[512];
  for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) > 0;)
    address.append(buffer, static_cast<std::size_t>(n));
  ASSERT_FALSE(address.empty()) << "the server process did not start";

  int server_liveness = liveness.watched.get();
  Handle client = kind.open(address, Liveness({&server_liveness, 1}));
  ASSERT_EQ(client.dict().get(5), make_dict_value(5, 0));  // a live server answers
  ::kill(server, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(server, &status, 0), server);
  auto start = std::chrono::steady_clock::now();
  std::string what = "(no error)";
  try {
    for (int i = 0; i < 3; ++i) client.dict().get(5);  // a first request may still be buffered
  } catch (const std::exception& error) {
    what = error.what();
  }
  EXPECT_NE(what, "(no error)") << "a dead server still answered";
  // Said as the peer's end ("peer closed ..." or "peer gone from ..."), naming the link.
  EXPECT_NE(what.find("peer "), std::string::npos) << what;
  EXPECT_NE(what.find(GetParam() + ":"), std::string::npos) << what;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  client.release();
  // The killed creator could not remove its names; its parent does (the test's temporary
  // directory takes its socket files).
  remove_shared_memory_of(server);
  for (const auto& entry : std::filesystem::directory_iterator(testing::test_temp_dir()))
    std::filesystem::remove_all(entry.path());
}

// The transports a separate process can reach by name (pipe and socketpair pass fds,
// which only a child created after them inherits).
INSTANTIATE_TEST_SUITE_P(NamedTransports, ManagerServerDies,
                         ::testing::Values("unix-stream", "unix-seqpacket", "queue-boost",
                                           "shm-spsc", "zmq-ipc", "zmq-tcp", "zmq-reqrep"),
                         name_of_string);

}  // namespace
}  // namespace ipcmeter
