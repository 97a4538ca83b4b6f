// The watchdog's stages: a lock a dead process left held is released (and one a live process
// holds never is), and a thread stuck where no signal reaches it has its children killed one
// grace after the deadline and its process ended, names removed, one line said, a second later.
#include "harness/watchdog.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness/process_guard.hpp"
#include "tests/test_support.hpp"
#include "transports/fd.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"
#include "transports/stranded_locks.hpp"

namespace ipcmeter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Memory shared with forked children: a process-shared mutex of the default kind (what
// Boost.Interprocess makes) and a word to pass a pid back.
struct Shared {
  pthread_mutex_t mutex;
  pid_t pid;
};

class SharedPage {
 public:
  SharedPage() {
    void* page =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw SystemError("mmap", "shared page");
    shared_ = static_cast<Shared*>(page);
    pthread_mutexattr_t attributes;
    ::pthread_mutexattr_init(&attributes);
    ::pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    ::pthread_mutex_init(&shared_->mutex, &attributes);
    ::pthread_mutexattr_destroy(&attributes);
  }
  ~SharedPage() { ::munmap(shared_, sizeof(Shared)); }
  Shared* operator->() const { return shared_; }

 private:
  Shared* shared_ = nullptr;
};

// How a holder leaves its lock: unlocked, held, or held with no owner recorded (as if it died
// between taking glibc's lock word and recording itself).
enum class Leaves { unlocked, held, held_unrecorded };

// Forks a child that takes the shared lock, says so, holds it for `hold`, then ends as
// `leaves` says.
pid_t fork_holder(SharedPage& page, milliseconds hold, Leaves leaves) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) throw SystemError("pipe2", "");
  Fd read_end(ready[0]), write_end(ready[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork", "");
  if (pid == 0) {
    ::pthread_mutex_lock(&page->mutex);
    if (leaves == Leaves::held_unrecorded) page->mutex.__data.__owner = 0;
    if (::write(write_end.get(), "x", 1) != 1) ::_exit(2);
    ::usleep(static_cast<useconds_t>(hold.count() * 1000));
    if (leaves == Leaves::unlocked) ::pthread_mutex_unlock(&page->mutex);
    ::_exit(0);
  }
  write_end.reset();
  char said = 0;
  if (::read(read_end.get(), &said, 1) != 1)
    throw std::runtime_error("the holder never took the lock");
  return pid;
}

TEST(Watchdog, ReleasesALockWhoseOwnerDiedHoldingIt) {
  SharedPage page;
  WatchedLock watch(page->mutex);
  pid_t holder = fork_holder(page, milliseconds(0), Leaves::held);
  const milliseconds timeout(200);
  auto start = Clock::now();
  {
    // Without the release this lock would never return; the hard exit then fails the test.
    WatchdogGuard watchdog(
        timeout, [] { request_interrupt(); }, "Watchdog test");
    ::pthread_mutex_lock(&page->mutex);
    auto took = Clock::now() - start;
    EXPECT_GE(took, timeout);
    EXPECT_LT(took, timeout + milliseconds(500));
    EXPECT_EQ(watchdog.released_lock_owner(), holder);
  }
  // The lock works as a lock again: this thread owns it, unlocks it, and takes it at once.
  EXPECT_EQ(::pthread_mutex_unlock(&page->mutex), 0);
  EXPECT_EQ(::pthread_mutex_trylock(&page->mutex), 0);
  ::pthread_mutex_unlock(&page->mutex);
  clear_interrupt();
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
}

TEST(Watchdog, NeverReleasesALockALiveProcessHolds) {
  SharedPage page;
  WatchedLock watch(page->mutex);
  const milliseconds hold(800);
  pid_t holder = fork_holder(page, hold, Leaves::unlocked);
  auto start = Clock::now();
  {
    WatchdogGuard watchdog(
        milliseconds(100), [] { request_interrupt(); }, "Watchdog test");
    ::pthread_mutex_lock(&page->mutex);  // past the deadline, but its owner lives
    EXPECT_GE(Clock::now() - start, hold - milliseconds(100));
    EXPECT_EQ(watchdog.released_lock_owner(), 0);
  }
  ::pthread_mutex_unlock(&page->mutex);
  clear_interrupt();
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
}

TEST(Watchdog, ReleasesALockWhoseHolderDiedBeforeRecordingItself) {
  SharedPage page;
  WatchedLock watch(page->mutex);
  pid_t holder = fork_holder(page, milliseconds(0), Leaves::held_unrecorded);
  const milliseconds timeout(200);
  auto start = Clock::now();
  {
    // No owner to look at, and no child of this process alive that could hold it: released
    // once seen so for kUnrecordedOwnerWait past the deadline, before stage 2.
    WatchdogGuard watchdog(
        timeout, [] { request_interrupt(); }, "Watchdog test");
    ::pthread_mutex_lock(&page->mutex);
    auto took = Clock::now() - start;
    EXPECT_GE(took, timeout + kUnrecordedOwnerWait);
    EXPECT_LT(took, timeout + kKillGrace);
    EXPECT_EQ(watchdog.released_lock_owner(), kUnrecordedOwner);
    EXPECT_NE(watchdog.released_lock_note().find("before it recorded itself as the owner"),
              std::string::npos);
  }
  EXPECT_EQ(::pthread_mutex_unlock(&page->mutex), 0);
  EXPECT_EQ(::pthread_mutex_trylock(&page->mutex), 0);
  ::pthread_mutex_unlock(&page->mutex);
  clear_interrupt();
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
}

TEST(Watchdog, LeavesALockWithNoOwnerWhileAChildThatCouldHoldItLives) {
  SharedPage page;
  WatchedLock watch(page->mutex);
  pid_t holder = fork_holder(page, milliseconds(0), Leaves::held_unrecorded);
  // A peer of the run, alive: it could be the holder, inside glibc's window. Only stage 2,
  // which kills every registered child, ends it; the lock is released after that.
  pid_t peer = ::fork();
  ASSERT_GE(peer, 0);
  if (peer == 0)
    for (;;) ::pause();
  register_child(peer);
  const milliseconds timeout(200);
  auto start = Clock::now();
  {
    WatchdogGuard watchdog(
        timeout, [] { request_interrupt(); }, "Watchdog test");
    ::pthread_mutex_lock(&page->mutex);
    EXPECT_GE(Clock::now() - start, timeout + kKillGrace);
    EXPECT_EQ(watchdog.released_lock_owner(), kUnrecordedOwner);
  }
  ::pthread_mutex_unlock(&page->mutex);
  clear_interrupt();
  unregister_child(peer);
  int status = 0;
  ASSERT_EQ(::waitpid(peer, &status, 0), peer);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
}

TEST(Watchdog, ALockCountsAsOwnerlessOnlyIfItIsSoAtEveryLook) {
  // A live thread passes through glibc's window (word taken, no owner yet) at times; seen
  // there at two looks far apart, with its owner recorded at a look in between, the lock is
  // that thread's, not stranded.
  SharedPage page;
  WatchedLock watch(page->mutex);
  ::pthread_mutex_lock(&page->mutex);
  const int me = page->mutex.__data.__owner;
  page->mutex.__data.__owner = 0;
  EXPECT_EQ(release_stranded_locks(true), 0);  // the first look only notes the time
  page->mutex.__data.__owner = me;
  std::this_thread::sleep_for(kUnrecordedOwnerWait + milliseconds(50));
  EXPECT_EQ(release_stranded_locks(true), 0);  // owned by a live thread: left alone
  page->mutex.__data.__owner = 0;
  EXPECT_EQ(release_stranded_locks(true), 0);  // seen so just now only
  page->mutex.__data.__owner = me;
  EXPECT_EQ(::pthread_mutex_unlock(&page->mutex), 0);
}

// 'R', 'S', 'Z', ... for a process, or 0 once it is gone.
char process_state(pid_t pid) {
  std::string stat = testing::read_file("/proc/" + std::to_string(pid) + "/stat");
  auto end = stat.rfind(") ");
  return end == std::string::npos ? 0 : stat[end + 2];
}

TEST(Watchdog, AThreadStuckWhereNoSignalReachesEndsItsProcessAfterTheGrace) {
  SharedPage page;
  const milliseconds timeout(300);
  std::string name = "ipcm-test-" + std::to_string(::getpid()) + "-stuck";
  int err[2];
  ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
  Fd err_read(err[0]), err_write(err[1]);
  auto start = Clock::now();
  pid_t stuck = ::fork();
  ASSERT_GE(stuck, 0);
  if (stuck == 0) {
    ::dup2(err_write.get(), STDERR_FILENO);
    install_process_guard();
    int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) ::_exit(3);
    ::close(fd);
    register_name(NameKind::shared_memory, "/" + name);
    pid_t sleeper = ::fork();  // a peer that would outlive it, had stage 2 not killed it
    if (sleeper == 0)
      for (;;) ::pause();
    register_child(sleeper);
    page->pid = sleeper;
    // A lock whose owner is this very thread: alive, so nothing may release it, and no
    // signal gets the thread out of the kernel's wait (glibc waits again after each).
    pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
    ::pthread_mutex_lock(&held);
    WatchdogGuard watchdog(
        timeout, [] { request_interrupt(); }, "the stuck run");
    ::pthread_mutex_lock(&held);
    ::_exit(0);
  }
  err_write.reset();
  // Watch the sleeper die (stage 2) and the stuck process end (stage 3).
  int status = 0;
  Clock::time_point sleeper_died{}, ended{};
  while (ended == Clock::time_point{}) {
    pid_t sleeper = page->pid;
    if (sleeper > 0 && sleeper_died == Clock::time_point{}) {
      char state = process_state(sleeper);
      if (state == 'Z' || state == 'X' || state == 0) sleeper_died = Clock::now();
    }
    if (::waitpid(stuck, &status, WNOHANG) == stuck) ended = Clock::now();
    if (Clock::now() - start > std::chrono::seconds(10)) {
      ::kill(stuck, SIGKILL);
      ::waitpid(stuck, &status, 0);
      if (page->pid > 0) ::kill(page->pid, SIGKILL);
      FAIL() << "the stuck process was still there after 10 s";
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::string said;
  char buffer[512];
  for (ssize_t n; (n = ::read(err_read.get(), buffer, sizeof buffer)) > 0;)
    said.append(buffer, static_cast<std::size_t>(n));

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kWatchdogExitStatus) << status;
  const std::string line =
      ": the stuck run: did not end within its timeout of 0.3 s + 2 s grace: exiting\n";
  EXPECT_TRUE(said.size() > line.size() &&
              said.compare(said.size() - line.size(), line.size(), line) == 0 &&
              said.find('\n') == said.size() - 1)
      << said;
  auto lasted = ended - start;
  EXPECT_GE(lasted, timeout + kWatchdogGrace);
  EXPECT_LT(lasted, timeout + kWatchdogGrace + std::chrono::seconds(1));
  // Stage 2 killed the child a grace after the deadline, a grace before the exit.
  ASSERT_NE(sleeper_died, Clock::time_point{}) << "the stuck process's child was never killed";
  EXPECT_GE(sleeper_died - start, timeout + kKillGrace);
  EXPECT_LT(sleeper_died - start, timeout + kKillGrace + milliseconds(500));
  struct stat st {};
  EXPECT_NE(::stat(("/dev/shm/" + name).c_str(), &st), 0) << "stage 3 left /dev/shm/" << name;
  ::shm_unlink(("/" + name).c_str());
}

}  // namespace
}  // namespace ipcmeter
