// One background thread per process serves the (single) armed deadline.
#include "harness/watchdog.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace ipcmeter {
namespace {

using Clock = std::chrono::steady_clock;

class Watchdog {
 public:
  static Watchdog& instance() {
    // Never destroyed: forked children and exit paths must not join it.
    static Watchdog* watchdog = new Watchdog;
    return *watchdog;
  }

  void arm(Clock::time_point deadline, std::function<void()> action) {
    std::lock_guard lock(mutex_);
    deadline_ = deadline;
    action_ = std::move(action);
    armed_ = true;
    fired_ = false;
    wake_.notify_one();
  }
  void extend(Clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    deadline_ = deadline;
    wake_.notify_one();
  }
  void disarm() {
    // Waits out an action in progress, so the caller may destroy what it refers to.
    std::unique_lock lock(mutex_);
    armed_ = false;
    action_ = nullptr;
    idle_.wait(lock, [&] { return !running_action_; });
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  Watchdog() { std::thread([this] { loop(); }).detach(); }

  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!armed_) {
        wake_.wait(lock);
        continue;
      }
      if (Clock::now() < deadline_) {
        wake_.wait_until(lock, deadline_);
        continue;
      }
      fired_ = true;
      running_action_ = true;
      auto action = action_;
      lock.unlock();
      action();
      lock.lock();
      running_action_ = false;
      idle_.notify_all();
      if (armed_) wake_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool armed_ = false;
  bool fired_ = false;
  bool running_action_ = false;
  Clock::time_point deadline_{};
  std::function<void()> action_;
};

}  // namespace

WatchdogGuard::WatchdogGuard(Clock::duration timeout, std::function<void()> on_expire) {
  Watchdog::instance().arm(Clock::now() + timeout, std::move(on_expire));
}
WatchdogGuard::~WatchdogGuard() { Watchdog::instance().disarm(); }
bool WatchdogGuard::fired() const { return Watchdog::instance().fired(); }
void WatchdogGuard::extend(Clock::duration timeout) {
  Watchdog::instance().extend(Clock::now() + timeout);
}

}  // namespace ipcmeter
