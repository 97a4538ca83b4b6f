// Leftovers of dead runs: the names a SIGKILLed run could not remove are found by the creator's
// stamp in them (pid, pid namespace, start time) and removed at the next start (or by --clean);
// nothing of a live run, of another pid namespace or of another user is touched, and what the
// sweep cannot judge is said.
#include "transports/leftovers.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

namespace fs = std::filesystem;

// The stamp of a process that has ended: a child that has exited and been reaped.
CreatorStamp dead_creator() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  CreatorStamp stamp = own_creator_stamp();
  stamp.pid = child;
  stamp.start_ticks = start_ticks_of(child).value_or(0);  // a zombie still shows it
  int status = 0;
  ::waitpid(child, &status, 0);
  return stamp;
}

// Our parent's stamp: alive for the whole test.
CreatorStamp live_creator() {
  CreatorStamp stamp = own_creator_stamp();
  stamp.pid = ::getppid();
  stamp.start_ticks = start_ticks_of(stamp.pid).value();
  return stamp;
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

bool exists(const std::string& path) {
  struct stat status{};
  return ::lstat(path.c_str(), &status) == 0;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string kept_why(const SweepResult& sweep, const std::string& path) {
  for (const auto& name : sweep.kept)
    if (name.path == path) return name.why;
  return "(not kept)";
}

TEST(Leftovers, NamesSayWhoCreatedThem) {
  using Form = NameOwner::Form;
  auto stamped = [](const std::string& name, CreatorStamp expected) {
    NameOwner owner = owner_of_name(name);
    EXPECT_EQ(owner.form, Form::stamped) << name;
    EXPECT_EQ(owner.creator, expected) << name;
  };
  stamped("ipcm-mq-1234-ns4026531836-t5678-0123456789abcdef-ab", {1234, 4026531836, 5678});
  stamped("ipcm-4321-ns77-t99-aB3xYz", {4321, 77, 99});  // a private socket dir
  stamped("ipcm-4321-ns77-t99-123456", {4321, 77, 99});  // mkdtemp's part may be all digits
  stamped(unique_shared_memory_name("spsc"), own_creator_stamp());
  // An older suite's form: the pid alone.
  for (const char* name : {"ipcm-mq-1234-0123456789abcdef-ab", "ipcm-4321-aB3xYz"}) {
    EXPECT_EQ(owner_of_name(name).form, Form::unstamped) << name;
    EXPECT_EQ(owner_of_name(name).creator.pid,
              std::string(name).find("1234") != std::string::npos ? 1234 : 4321);
  }
  for (const char* name :
       {"ipcm-dict-0a1b-77",  // the random part is not the pid
        "ipcm-dict-1-00",     // pid 1 never created a run's name
        "ipcm-dict", "ipcm-py-12345678", "ipcmeter-test-123456", "sem.ipcm-12-ab"})
    EXPECT_EQ(owner_of_name(name).form, Form::not_ours) << name;
}

TEST(Leftovers, ACreatorIsJudgedByItsPidNamespaceAndStartNotByItsPidAlone) {
  EXPECT_EQ(creator_state(own_creator_stamp()), CreatorState::alive);
  EXPECT_EQ(creator_state(live_creator()), CreatorState::alive);
  CreatorStamp reused = live_creator();  // the pid is in use, by a process started at another time
  reused.start_ticks += 1;
  EXPECT_EQ(creator_state(reused), CreatorState::dead);
  EXPECT_EQ(creator_state(dead_creator()), CreatorState::dead);
  // A zombie (ended, not yet reaped) keeps its pid and start, but makes and holds nothing.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  CreatorStamp zombie = own_creator_stamp();
  zombie.pid = child;
  zombie.start_ticks = start_ticks_of(child).value();
  EXPECT_EQ(creator_state(zombie), CreatorState::dead);
  ::waitpid(child, nullptr, 0);
  CreatorStamp elsewhere = dead_creator();  // its pid is free here, which says nothing there
  elsewhere.pid_namespace += 1;
  EXPECT_EQ(creator_state(elsewhere), CreatorState::other_namespace);
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

// Names of every kind the sweep meets, planted under a Sweep fixture's places: the paths it
// must remove, those it must leave and say, and those it must leave silently.
struct Planted {
  std::vector<std::string> dead, judged_elsewhere, unstamped, silent;
};

Planted plant_names(const SweepPlaces& places, const std::string& root) {
  const std::string dead = stamp_text(dead_creator());
  CreatorStamp reused = live_creator();  // its pid lives on, in a process started later
  reused.start_ticks += 1;
  CreatorStamp elsewhere = dead_creator();
  elsewhere.pid_namespace += 1;
  const std::string live = stamp_text(live_creator());
  const std::string shm = places.shared_memory + "/";
  const std::string tmp = places.temp + "/";
  Planted planted;
  planted.dead = {shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ab",
                  shm + "ipcm-mq-" + dead + "-00112233aabbccdd-ba",
                  shm + "ipcm-spsc-" + stamp_text(reused) + "-00112233aabbccdd",
                  tmp + "ipcm-" + dead + "-Xy12ab"};
  planted.judged_elsewhere = {shm + "ipcm-dict-" + stamp_text(elsewhere) + "-00112233aabbccdd"};
  planted.unstamped = {shm + "ipcm-dict-" + std::to_string(dead_creator().pid) +
                       "-0011223344556677"};
  planted.silent = {shm + "ipcm-spsc-" + live + "-00112233aabbccdd",
                    shm + "ipcm-spsc-" + stamp_text(own_creator_stamp()) + "-00112233aabbccdd",
                    shm + "someone-else-" + dead, tmp + "ipcm-" + live + "-Xy12ab"};
  for (const auto& list :
       {planted.dead, planted.judged_elsewhere, planted.unstamped, planted.silent})
    for (const auto& path : list)
      if (path.rfind(tmp, 0) == 0)
        fs::create_directory(path);
      else
        touch(path);
  touch(tmp + "ipcm-" + dead + "-Xy12ab/s1");  // a dead run's socket file
  // A clock step: a live run's name whose times say 1970 is as live as ever.
  timespec epoch[2] = {{1, 0}, {1, 0}};
  EXPECT_EQ(::utimensat(AT_FDCWD, planted.silent[0].c_str(), epoch, 0), 0);
  // A link planted under a dead run's name is not a private dir: never followed, left alone.
  fs::create_directory(root + "/precious");
  touch(root + "/precious/keep");
  fs::create_directory_symlink(root + "/precious", tmp + "ipcm-" + dead + "-link00");
  planted.silent.push_back(tmp + "ipcm-" + dead + "-link00");
  planted.silent.push_back(root + "/precious/keep");
  if (::geteuid() == 0) {  // another user's leftover: not ours to remove, even as root
    touch(shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988");
    EXPECT_EQ(::chown((shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988").c_str(), 65534, 65534), 0);
    planted.silent.push_back(shm + "ipcm-dict-" + dead + "-ffeeddccbbaa9988");
  }
  return planted;
}

TEST_F(Sweep, RemovesOnlyWhatItProvesDeadAndSaysWhatItCannotJudge) {
  Planted planted = plant_names(places_, root_);
  SweepResult sweep = remove_dead_owners_leftovers(places_);
  EXPECT_EQ(sweep.removed.size(), planted.dead.size());
  for (const std::string& path : planted.dead) {
    EXPECT_TRUE(contains(sweep.removed, path)) << path;
    EXPECT_FALSE(exists(path)) << path;
  }
  // What it cannot judge stays, with the reason said; the rest stays, unsaid.
  EXPECT_EQ(sweep.kept.size(), 2u);
  EXPECT_NE(kept_why(sweep, planted.judged_elsewhere[0]).find("another pid namespace"),
            std::string::npos);
  EXPECT_NE(kept_why(sweep, planted.unstamped[0]).find("older ipcmeter"), std::string::npos);
  for (const auto& list : {planted.judged_elsewhere, planted.unstamped, planted.silent})
    for (const std::string& path : list) EXPECT_TRUE(exists(path)) << path;
  // A second sweep removes nothing more, and says the same of what it cannot judge.
  SweepResult again = remove_dead_owners_leftovers(places_);
  EXPECT_TRUE(again.removed.empty());
  EXPECT_EQ(again.kept.size(), 2u);
}

// The binary: --clean says what it removed and what it left alone, and exits; every run sweeps
// first, and says so.
TEST_F(Sweep, CleanFlagSaysWhatItRemovedAndWhatItLeft) {
  // run_program gives the binary this test's temp dir as IPCMETER_TMPDIR: a place no other
  // test's sweep looks at.
  std::string dir = testing::test_temp_dir() + "/ipcm-" + stamp_text(dead_creator()) + "-Clean1";
  CreatorStamp elsewhere = dead_creator();
  elsewhere.pid_namespace += 1;
  std::string other = testing::test_temp_dir() + "/ipcm-" + stamp_text(elsewhere) + "-Other1";
  fs::create_directory(dir);
  fs::create_directory(other);
  touch(dir + "/s1");
  testing::Outcome outcome = testing::run_program(IPCMETER_BENCH_PATH, {"--clean"}, testing::test_temp_dir());
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("removed " + dir + "\n"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("left " + other + ": made in another pid namespace"),
            std::string::npos)
      << outcome.out;
  EXPECT_NE(outcome.out.find("ipcmeter-bench: removed "), std::string::npos) << outcome.out;
  EXPECT_FALSE(exists(dir));
  EXPECT_TRUE(exists(other));

  fs::create_directory(dir);
  outcome = testing::run_program(
      IPCMETER_BENCH_PATH, {"--benchmark_filter=^nothing-matches$", "--benchmark_min_time=0.01"},
      testing::test_temp_dir());
  EXPECT_NE(outcome.err.find("removed 1 leftover of dead runs: " + dir + "\n"), std::string::npos)
      << outcome.err;
  EXPECT_NE(outcome.err.find("left 1 name alone whose creator cannot be proved dead: " + other +
                             " (made in another pid namespace"),
            std::string::npos)
      << outcome.err;
  EXPECT_FALSE(exists(dir));
  fs::remove(other);
}

// Two suites at once, in one temp dir and one /dev/shm: each sweeps at start-up while the
// other has names live, and neither removes the other's (both runs succeed, nothing said).
TEST_F(Sweep, TwoSuitesAtOnceNeverTouchEachOther) {
  const std::vector<std::string> args = {
      "--benchmark_filter=^stream/transport:(shm-spsc|queue-boost|unix-stream)/placement:fork/"
      "wait:block/size:64/",
      "--benchmark_min_time=0.05", "--benchmark_repetitions=2"};
  testing::Outcome first, second;
  auto names = [] {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator("/dev/shm"))
      if (entry.path().filename().string().rfind("ipcm-", 0) == 0) found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    return found;
  };
  const std::vector<std::string> before = names();
  std::atomic<bool> other_done{false};
  std::thread other([&] {
    second = testing::run_program(IPCMETER_BENCH_PATH, args, testing::test_temp_dir());
    other_done = true;
  });
  // This one starts once the other is running with names of its own in /dev/shm.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (names() == before && !other_done && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_FALSE(other_done.load()) << "the other suite ended before any name of it was seen";
  first = testing::run_program(IPCMETER_BENCH_PATH, args, testing::test_temp_dir());
  other.join();
  for (const auto* outcome : {&first, &second}) {
    EXPECT_EQ(outcome->exit_code, 0) << outcome->err;
    EXPECT_EQ(outcome->err.find("removed"), std::string::npos) << outcome->err;
  }
}

}  // namespace
}  // namespace ipcmeter
