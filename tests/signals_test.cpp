// The process guard on signals: a crash (SIGSEGV, SIGBUS) removes the run's names as SIGINT,
// SIGTERM and SIGABRT do, and the process still dies of that signal; a handler that returns
// (the watchdog's) leaves errno as it found it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>

#include "harness/process_guard.hpp"
#include "harness/watchdog.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

bool shm_exists(const std::string& name) {
  struct stat st {};
  return ::stat(("/dev/shm/" + name).c_str(), &st) == 0;
}

// Forks a child that creates and registers a shm name, then takes `signal_number`; returns
// the signal it died of.
int child_dies_of(int signal_number, const std::string& name) {
  pid_t pid = ::fork();
  if (pid == 0) {
    install_process_guard();
    int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) ::_exit(3);
    ::close(fd);
    register_name(NameKind::shared_memory, "/" + name);
    if (signal_number == SIGSEGV) {
      volatile int* nowhere = nullptr;
      *nowhere = 1;  // a real fault, not a raise
    }
    ::raise(signal_number);
    ::_exit(4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

TEST(Signals, ACrashRemovesTheRunsNamesAndStillDiesOfIt) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "under a sanitizer its own SIGSEGV handler reports the fault";
#endif
  for (int signal_number : {SIGSEGV, SIGBUS, SIGTERM}) {
    std::string name = "ipcm-test-" + std::to_string(::getpid()) + "-sig" + std::to_string(signal_number);
    EXPECT_EQ(child_dies_of(signal_number, name), signal_number) << strsignal(signal_number);
    EXPECT_FALSE(shm_exists(name)) << strsignal(signal_number) << " left /dev/shm/" << name;
    ::shm_unlink(("/" + name).c_str());
  }
}

TEST(Signals, TheWatchdogsHandlerKeepsErrno) {
  // Its action fails a call (a kill of a gone pid sets errno): the interrupted code must
  // still see the errno it had.
  std::atomic<int> runs{0};
  WatchdogGuard watchdog(std::chrono::milliseconds(5), [&runs] {
    ::kill(-1 - 0x7ffffff0, 0);  // no such process group: ESRCH
    runs.fetch_add(1);
  });
  errno = EDOM;
  while (runs.load() == 0) {
  }  // spin: no call of ours touches errno meanwhile
  EXPECT_EQ(errno, EDOM);
}

}  // namespace
}  // namespace ipcmeter
