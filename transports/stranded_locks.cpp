// The table of watched locks and their release: atomics and syscalls only, for the handler.
#include "transports/stranded_locks.hpp"

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <stdexcept>

namespace ipcmeter {
namespace {

#ifndef __GLIBC__
#error "stranded_locks reads glibc's pthread_mutex_t fields"
#endif

constexpr int kSlots = 256;
std::atomic<pthread_mutex_t*> watched[kSlots];
static_assert(std::atomic<pthread_mutex_t*>::is_always_lock_free);
// Releases under way (in a handler, in whichever thread the watchdog aims at): a lock is
// unwatched only once none is, so its mapping is never unmapped under a release.
std::atomic<int> releasing{0};

// glibc keeps the mutex's kind in __kind: the type in the low bits (0: the default, "timed"
// or normal kind), 128 for process-shared, 16 for robust.
constexpr int kKindTypeMask = 0x7f;
constexpr int kDefaultKind = 0;

// Ended: gone from the process table, or a zombie child of ours (not yet reaped, so kill()
// still finds it; WNOWAIT leaves it for its reaper).
bool has_ended(pid_t pid) noexcept {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

pid_t release_if_stranded(pthread_mutex_t& mutex) noexcept {
  auto& data = mutex.__data;
  int owner = __atomic_load_n(&data.__owner, __ATOMIC_ACQUIRE);
  // An owner is recorded only while the lock word is held; 0 is "free" (or a window above).
  if (owner <= 0 || __atomic_load_n(&data.__lock, __ATOMIC_ACQUIRE) == 0 || !has_ended(owner))
    return 0;
  // Nobody else writes these fields while the word is held, and its holder is dead: unlock
  // as glibc does (owner cleared first, as its lock asserts a free mutex has none), then
  // wake every waiter, across processes (no FUTEX_PRIVATE_FLAG).
  if (!__atomic_compare_exchange_n(&data.__owner, &owner, 0, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return 0;
  if (data.__nusers > 0) --data.__nusers;
  __atomic_store_n(&data.__lock, 0, __ATOMIC_RELEASE);
  ::syscall(SYS_futex, &data.__lock, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  return owner;
}

}  // namespace

WatchedLock::WatchedLock(pthread_mutex_t& mutex) {
  if ((mutex.__data.__kind & kKindTypeMask) != kDefaultKind)
    throw std::logic_error("a watched lock must be a pthread mutex of the default kind");
  for (int i = 0; i < kSlots; ++i) {
    pthread_mutex_t* empty = nullptr;
    if (watched[i].compare_exchange_strong(empty, &mutex, std::memory_order_acq_rel)) {
      slot_ = i;
      return;
    }
  }
}

WatchedLock::~WatchedLock() {
  if (slot_ < 0) return;
  watched[slot_].store(nullptr, std::memory_order_seq_cst);
  // A release that may have seen the lock before it left the table ends in microseconds and
  // never waits: if it runs in this very thread, it finishes before this line goes on.
  while (releasing.load(std::memory_order_seq_cst) != 0) {
  }
}

pid_t release_stranded_locks() noexcept {
  releasing.fetch_add(1, std::memory_order_seq_cst);
  pid_t released = 0;
  for (auto& slot : watched)
    if (pthread_mutex_t* mutex = slot.load(std::memory_order_seq_cst))
      if (pid_t owner = release_if_stranded(*mutex)) released = owner;
  releasing.fetch_sub(1, std::memory_order_seq_cst);
  return released;
}

}  // namespace ipcmeter
