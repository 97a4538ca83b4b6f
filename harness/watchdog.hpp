// A per-run deadline for the calling thread. When it passes, the watchdog's expiry action
// runs in that thread's signal handler (so the thread's blocked call returns EINTR), and
// runs again every 50 ms until disarmed: a signal that lands just before a blocking call is
// lost, the next one is not.
//
// It is a POSIX timer aimed at the thread, not a helper thread: a process with a second
// thread makes glibc take the slower cancellation-aware path in every read and write,
// which showed up as harness overhead in the same-core pipe ping-pong.
#pragma once

#include <chrono>
#include <functional>

#include <time.h>

namespace ipcmeter {

class WatchdogGuard {
 public:
  // on_expire runs inside a signal handler: it may only do async-signal-safe things
  // (atomic stores, kill, pthread_kill).
  WatchdogGuard(std::chrono::steady_clock::duration timeout, std::function<void()> on_expire);
  ~WatchdogGuard();  // disarms
  WatchdogGuard(const WatchdogGuard&) = delete;
  WatchdogGuard& operator=(const WatchdogGuard&) = delete;

  bool fired() const;

 private:
  std::function<void()> on_expire_;
  timer_t timer_{};
};

// The signal the watchdog's timer raises; its handler is installed by install_process_guard.
void on_watchdog_signal(int) noexcept;

}  // namespace ipcmeter
