// A per-run deadline. When it passes, the watchdog calls the run's expiry action, and keeps
// calling it every 50 ms until disarmed: a signal sent just before a thread enters a
// blocking call is lost, the next one is not.
#pragma once

#include <chrono>
#include <functional>

namespace ipcmeter {

class WatchdogGuard {
 public:
  WatchdogGuard(std::chrono::steady_clock::duration timeout, std::function<void()> on_expire);
  ~WatchdogGuard();  // disarms
  WatchdogGuard(const WatchdogGuard&) = delete;
  WatchdogGuard& operator=(const WatchdogGuard&) = delete;

  bool fired() const;
  // Moves the deadline (teardown gets its own grace period).
  void extend(std::chrono::steady_clock::duration timeout);
};

}  // namespace ipcmeter
