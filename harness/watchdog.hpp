// A per-run deadline for the calling thread, enforced in three stages so that no run outlives
// it by more than a stated grace, whatever it is blocked in:
//   1. at the deadline, the expiry action runs in that thread's signal handler (so the
//      thread's blocked call returns EINTR; the run's action also kills its peers), and again
//      every 50 ms: a signal that lands just before a blocking call is lost, the next one is
//      not. From then on, each tick also releases locks that a dead process left held
//      (stranded_locks.hpp), which a signal cannot reach: one whose recorded owner has
//      ended, or one that records no owner once every child the process guard knows has
//      ended (the run's peers were killed at the deadline);
//   2. kKillGrace later, still not disarmed: every child the process guard knows is
//      SIGKILLed too (a stopped one as well), so calls blocked on them see EOF or EPIPE;
//   3. kExitGrace after that: the thread is stuck where nothing reaches it (a lock whose
//      owner lives but never lets go, a loop that never looks at the interrupt flag). The
//      handler kills the children, removes every registered name, writes one line to stderr
//      and ends the process with kWatchdogExitStatus.
//
// It is a POSIX timer aimed at the thread, not a helper thread: a process with a second
// thread makes glibc take the slower cancellation-aware path in every read and write,
// which showed up as harness overhead in the same-core pipe ping-pong.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace ipcmeter {

constexpr std::chrono::seconds kKillGrace{1};
constexpr std::chrono::seconds kExitGrace{1};
// What a run may take past its timeout before the process exits: 2 s.
constexpr std::chrono::seconds kWatchdogGrace = kKillGrace + kExitGrace;
// The exit status of stage 3, as timeout(1) uses for a command that timed out.
constexpr int kWatchdogExitStatus = 124;

class WatchdogGuard {
 public:
  // on_expire runs inside a signal handler: it may only do async-signal-safe things
  // (atomic stores, kill, pthread_kill). `what` names the run in stage 3's line:
  // "<program>: <what>: did not end within its timeout of 1.0 s + 2 s grace: exiting".
  WatchdogGuard(std::chrono::steady_clock::duration timeout, std::function<void()> on_expire,
                const std::string& what = "a run");
  ~WatchdogGuard();  // disarms
  WatchdogGuard(const WatchdogGuard&) = delete;
  WatchdogGuard& operator=(const WatchdogGuard&) = delete;

  bool fired() const;
  // The pid of a dead process whose hold on a shared lock stage 1 released: 0 if none,
  // kUnrecordedOwner (stranded_locks.hpp) for a lock that recorded no owner.
  pid_t released_lock_owner() const;
  // What the run's one line adds about such a lock ("lock owner died: ..."); empty if none.
  std::string released_lock_note() const;

 private:
  friend void on_watchdog_signal(int) noexcept;
  void expire() noexcept;  // one tick past the deadline, in the handler

  std::function<void()> on_expire_;
  std::string exit_line_;
  std::int64_t deadline_ns_ = 0;  // CLOCK_MONOTONIC
  std::atomic<bool> fired_{false};
  std::atomic<pid_t> released_lock_owner_{0};
  timer_t timer_{};
};

// The signal the watchdog's timer raises; its handler is installed by install_process_guard.
void on_watchdog_signal(int) noexcept;

// "1 ms", "1.0 s", "30.0 s": a timeout as run errors state it.
std::string timeout_text(std::chrono::milliseconds timeout);

}  // namespace ipcmeter
