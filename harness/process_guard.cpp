// The child table and signal handlers; everything the handler touches is async-signal-safe.
#include "harness/process_guard.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "harness/watchdog.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"
#include "transports/stranded_locks.hpp"

namespace ipcmeter {
namespace {

constexpr int kMaxChildren = 64;
std::atomic<pid_t> children[kMaxChildren];

void on_terminating_signal(int signal_number) {
  const int saved_errno = errno;  // the process dies below, but a handler keeps errno as found
  kill_registered_children();
  remove_all_registered_names();
  // Die of the same signal, so the caller's shell sees what happened.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
  errno = saved_errno;  // reached for a fault signal: it strikes again on return, now fatal
}

void on_interrupt_signal(int) {}

void set_handler(int signal_number, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocked calls must return EINTR
  if (::sigaction(signal_number, &action, nullptr) != 0) throw SystemError("sigaction", "");
}

}  // namespace

void kill_registered_children() noexcept {
  for (auto& child : children) {
    pid_t pid = child.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
}

bool registered_children_ended() noexcept {
  for (auto& child : children) {
    pid_t pid = child.load();
    if (pid > 0 && !process_has_ended(pid)) return false;
  }
  return true;
}

void install_process_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::signal(SIGPIPE, SIG_IGN);
    set_handler(kInterruptSignal, on_interrupt_signal);
    set_handler(kWatchdogSignal, on_watchdog_signal);
    // SIGABRT too: an assertion or a sanitizer report must not strand a peer or a name.
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGABRT})
      set_handler(signal_number, on_terminating_signal);
    // A crash too: SIGSEGV and SIGBUS (a mapping cut short) clean up, then the default action
    // (a core) happens when the faulting instruction runs again. Not under a sanitizer,
    // whose own handler reports where the fault was.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    for (int signal_number : {SIGSEGV, SIGBUS}) set_handler(signal_number, on_terminating_signal);
#endif
  });
}

void reset_signals_in_child() noexcept {
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGCHLD, SIGSEGV, SIGBUS})
    ::signal(signal_number, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void register_child(pid_t pid) noexcept {
  for (auto& child : children) {
    pid_t empty = 0;
    if (child.compare_exchange_strong(empty, pid)) return;
  }
  // More than 64 live peers means a leak; the peer still dies with us (PR_SET_PDEATHSIG).
}

void unregister_child(pid_t pid) noexcept {
  for (auto& child : children) {
    pid_t expected = pid;
    if (child.compare_exchange_strong(expected, 0)) return;
  }
}

}  // namespace ipcmeter
