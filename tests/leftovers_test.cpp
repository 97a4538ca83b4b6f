// Leftovers of dead runs: the names a SIGKILLed run could not remove are found by the pid in
// them and removed at the next start (or by --clean), and nothing of a live run or of another
// user is touched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"
#include "transports/leftovers.hpp"

namespace ipcmeter {
namespace {

namespace fs = std::filesystem;

// A pid that no process has: a child that has exited and been reaped.
int dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

bool exists(const std::string& path) {
  struct stat status{};
  return ::lstat(path.c_str(), &status) == 0;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(Leftovers, NamesSayWhoCreatedThem) {
  EXPECT_EQ(owner_of_name("ipcm-mq-1234-0123456789abcdef-ab"), 1234);
  EXPECT_EQ(owner_of_name("ipcm-spsc-77-fedcba9876543210"), 77);
  EXPECT_EQ(owner_of_name("ipcm-4321-aB3xYz"), 4321);  // a private socket dir
  EXPECT_EQ(owner_of_name("ipcm-4321-123456"), 4321);  // mkdtemp's part may be all digits
  EXPECT_EQ(owner_of_name("ipcm-dict-0a1b-77"), 0);    // the random part is not the pid
  EXPECT_EQ(owner_of_name("ipcm-dict-1-00"), 0);       // pid 1 never created a run's name
  EXPECT_EQ(owner_of_name("ipcm-dict"), 0);
  EXPECT_EQ(owner_of_name("ipcmeter-test-123456"), 0);
  EXPECT_EQ(owner_of_name("sem.ipcm-12-ab"), 0);
}

class Sweep : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::test_temp_dir() + "/sweep-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    places_.shared_memory = root_ + "/shm";
    places_.temp = root_ + "/tmp";
    fs::create_directories(places_.shared_memory);
    fs::create_directories(places_.temp);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
  SweepPlaces places_;
};

TEST_F(Sweep, RemovesOnlyWhatDeadRunsOfThisUserLeft) {
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getppid());  // alive for the whole test
  const std::string shm = places_.shared_memory + "/";
  const std::string tmp = places_.temp + "/";
  touch(shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ab");
  touch(shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ba");
  touch(shm + "ipcm-spsc-" + live + "-00112233aabbccdd");
  touch(shm + "ipcm-spsc-" + std::to_string(::getpid()) + "-00112233aabbccdd");  // this run's
  touch(shm + "someone-else-" + dead);
  fs::create_directory(tmp + "ipcm-" + dead + "-Xy12ab");
  touch(tmp + "ipcm-" + dead + "-Xy12ab/s1");  // its socket file
  fs::create_directory(tmp + "ipcm-" + live + "-Xy12ab");
  // A link planted under a dead run's name is not a private dir: never followed, left alone.
  fs::create_directory(root_ + "/precious");
  touch(root_ + "/precious/keep");
  fs::create_directory_symlink(root_ + "/precious", tmp + "ipcm-" + dead + "-link00");
  const bool root = ::geteuid() == 0;
  if (root) {  // another user's leftover: not ours to remove, even as root
    touch(shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988");
    ASSERT_EQ(::chown((shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988").c_str(), 65534, 65534), 0);
  }

  std::vector<std::string> removed = remove_dead_owners_leftovers(places_);

  EXPECT_EQ(removed.size(), 3u);
  for (const std::string& path : {shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ab",
                                 shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ba",
                                 tmp + "ipcm-" + dead + "-Xy12ab"}) {
    EXPECT_TRUE(contains(removed, path)) << path;
    EXPECT_FALSE(exists(path)) << path;
  }
  for (const std::string& path : {shm + "ipcm-spsc-" + live + "-00112233aabbccdd",
                                 shm + "ipcm-spsc-" + std::to_string(::getpid()) + "-00112233aabbccdd",
                                 shm + "someone-else-" + dead, tmp + "ipcm-" + live + "-Xy12ab",
                                 tmp + "ipcm-" + dead + "-link00", root_ + "/precious/keep"})
    EXPECT_TRUE(exists(path)) << path;
  if (root) {
    EXPECT_TRUE(exists(shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988"));
  }
  // A second sweep finds nothing more.
  EXPECT_TRUE(remove_dead_owners_leftovers(places_).empty());
}

TEST(Leftovers, AReusedPidDoesNotKeepALeftoverAlive) {
  // Our parent lives; a name it could have made (changed just now) is its own, but a name
  // last changed in 2001 is older than the process that has the pid now: a reused pid.
  struct stat recent{};
  recent.st_mtim.tv_sec = recent.st_ctim.tv_sec = ::time(nullptr);
  EXPECT_FALSE(creator_is_dead(::getppid(), recent));
  struct stat old{};
  old.st_mtim.tv_sec = old.st_ctim.tv_sec = 1000000000;
  EXPECT_TRUE(creator_is_dead(::getppid(), old));
  // ctime too must be older: a name written recently is not swept on its old mtime alone.
  struct stat mixed = old;
  mixed.st_ctim.tv_sec = ::time(nullptr);
  EXPECT_FALSE(creator_is_dead(::getppid(), mixed));
  EXPECT_TRUE(creator_is_dead(dead_pid(), recent));
}

// The binary: --clean says what it removed and exits; every run sweeps first, and says so.
TEST_F(Sweep, CleanFlagSaysWhatItRemoved) {
  const std::string dead = std::to_string(dead_pid());
  // run_program gives the binary this test's temp dir as IPCMETER_TMPDIR: a place no other
  // test's sweep looks at.
  std::string dir = testing::test_temp_dir() + "/ipcm-" + dead + "-Clean1";
  fs::create_directory(dir);
  touch(dir + "/s1");
  testing::Outcome outcome = testing::run_program(IPCMETER_BENCH_PATH, {"--clean"}, testing::test_temp_dir());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("removed " + dir + "\n"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("ipcmeter-bench: removed "), std::string::npos) << outcome.out;
  EXPECT_FALSE(exists(dir));

  fs::create_directory(dir);
  outcome = testing::run_program(
      IPCMETER_BENCH_PATH, {"--benchmark_filter=^nothing-matches$", "--benchmark_min_time=0.01"},
      testing::test_temp_dir());
  EXPECT_NE(outcome.err.find("removed 1 leftover of dead runs: " + dir + "\n"), std::string::npos)
      << outcome.err;
  EXPECT_FALSE(exists(dir));
}

// Two suites at once, in one temp dir and one /dev/shm: each sweeps at start-up while the
// other has names live, and neither removes the other's (both runs succeed, nothing said).
TEST_F(Sweep, TwoSuitesAtOnceNeverTouchEachOther) {
  const std::vector<std::string> args = {
      "--benchmark_filter=^stream/transport:(shm-spsc|queue-boost|unix-stream)/placement:fork/"
      "wait:block/size:64/",
      "--benchmark_min_time=0.05", "--benchmark_repetitions=2"};
  testing::Outcome first, second;
  std::thread other([&] { second = testing::run_program(IPCMETER_BENCH_PATH, args, testing::test_temp_dir()); });
  ::usleep(100'000);  // the other is running (its names exist) when this one starts
  first = testing::run_program(IPCMETER_BENCH_PATH, args, testing::test_temp_dir());
  other.join();
  for (const auto* outcome : {&first, &second}) {
    EXPECT_EQ(outcome->exit_code, 0) << outcome->err;
    EXPECT_EQ(outcome->err.find("removed"), std::string::npos) << outcome->err;
  }
}

}  // namespace
}  // namespace ipcmeter
