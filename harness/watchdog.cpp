// The watchdog: a POSIX interval timer that signals the armed thread.
#include "harness/watchdog.hpp"

#include <cerrno>
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "harness/process_guard.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

// One run is measured at a time per process, so one armed action is enough.
std::atomic<const std::function<void()>*> armed_action{nullptr};
std::atomic<bool> fired_flag{false};
static_assert(std::atomic<const std::function<void()>*>::is_always_lock_free);

timespec to_timespec(std::chrono::nanoseconds duration) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration);
  return {static_cast<time_t>(seconds.count()),
          static_cast<long>((duration - seconds).count())};
}

}  // namespace

void on_watchdog_signal(int) noexcept {
  const int saved_errno = errno;  // the interrupted code may be about to read it
  const std::function<void()>* action = armed_action.load(std::memory_order_acquire);
  if (action != nullptr) {  // else a late tick after disarming
    fired_flag.store(true, std::memory_order_release);
    (*action)();
  }
  errno = saved_errno;
}

WatchdogGuard::WatchdogGuard(std::chrono::steady_clock::duration timeout,
                             std::function<void()> on_expire)
    : on_expire_(std::move(on_expire)) {
  install_process_guard();
  fired_flag.store(false);
  armed_action.store(&on_expire_, std::memory_order_release);
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = kWatchdogSignal;
  event._sigev_un._tid = ::gettid();
  if (::timer_create(CLOCK_MONOTONIC, &event, &timer_) != 0) {
    armed_action.store(nullptr);
    throw SystemError("timer_create", "watchdog");
  }
  itimerspec schedule{};
  schedule.it_value = to_timespec(std::max<std::chrono::nanoseconds>(timeout, std::chrono::nanoseconds(1)));
  schedule.it_interval = to_timespec(std::chrono::milliseconds(50));
  if (::timer_settime(timer_, 0, &schedule, nullptr) != 0) {
    armed_action.store(nullptr);
    ::timer_delete(timer_);
    throw SystemError("timer_settime", "watchdog");
  }
}

WatchdogGuard::~WatchdogGuard() {
  // Clear the action first: a tick still pending after timer_delete then does nothing.
  armed_action.store(nullptr, std::memory_order_release);
  ::timer_delete(timer_);
}

bool WatchdogGuard::fired() const { return fired_flag.load(std::memory_order_acquire); }

}  // namespace ipcmeter
