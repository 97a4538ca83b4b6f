// The watchdog: a POSIX interval timer that signals the armed thread, and its three stages.
#include "harness/watchdog.hpp"

#include <cerrno>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "harness/clock.hpp"
#include "harness/process_guard.hpp"
#include "transports/errors.hpp"
#include "transports/named_resources.hpp"
#include "transports/stranded_locks.hpp"

namespace ipcmeter {
namespace {

// One run is measured at a time per process, so one armed guard is enough.
std::atomic<WatchdogGuard*> armed_guard{nullptr};
static_assert(std::atomic<WatchdogGuard*>::is_always_lock_free);
static_assert(std::atomic<pid_t>::is_always_lock_free);

constexpr std::int64_t kKillGraceNs = std::chrono::nanoseconds(kKillGrace).count();
constexpr std::int64_t kExitGraceNs = std::chrono::nanoseconds(kExitGrace).count();

timespec to_timespec(std::chrono::nanoseconds duration) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration);
  return {static_cast<time_t>(seconds.count()),
          static_cast<long>((duration - seconds).count())};
}

}  // namespace

std::string timeout_text(std::chrono::milliseconds timeout) {
  char text[32];
  if (timeout.count() < 100)
    std::snprintf(text, sizeof text, "%d ms", static_cast<int>(timeout.count()));
  else
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(timeout.count()) / 1000.0);
  return text;
}

void on_watchdog_signal(int) noexcept {
  const int saved_errno = errno;  // the interrupted code may be about to read it
  if (WatchdogGuard* guard = armed_guard.load(std::memory_order_acquire))
    guard->expire();  // else a late tick after disarming
  errno = saved_errno;
}

void WatchdogGuard::expire() noexcept {
  fired_.store(true, std::memory_order_release);
  on_expire_();
  if (pid_t owner = release_stranded_locks(registered_children_ended()))
    released_lock_owner_.store(owner);
  auto past = static_cast<std::int64_t>(now_ns()) - deadline_ns_;
  if (past >= kKillGraceNs) kill_registered_children();
  if (past >= kKillGraceNs + kExitGraceNs) {
    remove_all_registered_names();
    // One write of the whole line; nothing more to do if stderr is gone.
    ssize_t written = ::write(STDERR_FILENO, exit_line_.data(), exit_line_.size());
    (void)written;
    ::_exit(kWatchdogExitStatus);
  }
}

WatchdogGuard::WatchdogGuard(std::chrono::steady_clock::duration timeout,
                             std::function<void()> on_expire, const std::string& what)
    : on_expire_(std::move(on_expire)) {
  install_process_guard();
  auto wait = std::max<std::chrono::nanoseconds>(timeout, std::chrono::nanoseconds(1));
  exit_line_ = std::string(program_invocation_short_name) + ": " + what +
               ": did not end within its timeout of " +
               timeout_text(std::chrono::ceil<std::chrono::milliseconds>(wait)) + " + " +
               std::to_string(kWatchdogGrace.count()) + " s grace: exiting\n";
  deadline_ns_ = static_cast<std::int64_t>(now_ns()) + wait.count();
  armed_guard.store(this, std::memory_order_release);
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = kWatchdogSignal;
  event._sigev_un._tid = ::gettid();
  if (::timer_create(CLOCK_MONOTONIC, &event, &timer_) != 0) {
    armed_guard.store(nullptr);
    throw SystemError("timer_create", "watchdog");
  }
  itimerspec schedule{};
  schedule.it_value = to_timespec(wait);
  schedule.it_interval = to_timespec(std::chrono::milliseconds(50));
  if (::timer_settime(timer_, 0, &schedule, nullptr) != 0) {
    armed_guard.store(nullptr);
    ::timer_delete(timer_);
    throw SystemError("timer_settime", "watchdog");
  }
}

WatchdogGuard::~WatchdogGuard() {
  // Clear the guard first: a tick still pending after timer_delete then does nothing.
  armed_guard.store(nullptr, std::memory_order_release);
  ::timer_delete(timer_);
}

bool WatchdogGuard::fired() const { return fired_.load(std::memory_order_acquire); }

pid_t WatchdogGuard::released_lock_owner() const {
  return released_lock_owner_.load(std::memory_order_acquire);
}

std::string WatchdogGuard::released_lock_note() const {
  pid_t owner = released_lock_owner();
  if (owner == 0) return "";
  if (owner == kUnrecordedOwner)
    return "lock owner died: a process ended holding a shared lock before it recorded itself as "
           "the owner; the watchdog released it once no live process could hold it";
  return "lock owner died: process " + std::to_string(owner) +
         " ended holding a shared lock, which the watchdog released";
}

}  // namespace ipcmeter
