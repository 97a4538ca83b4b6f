// The table of watched locks and their release: atomics and syscalls only, for the handler.
#include "transports/stranded_locks.hpp"

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <stdexcept>

namespace ipcmeter {
namespace {

#ifndef __GLIBC__
#error "stranded_locks reads glibc's pthread_mutex_t fields"
#endif

constexpr int kSlots = 256;
std::atomic<pthread_mutex_t*> watched[kSlots];
static_assert(std::atomic<pthread_mutex_t*>::is_always_lock_free);
// When each slot's lock was first seen held with no owner recorded, at every look since
// (CLOCK_MONOTONIC, ns); 0 while it is not.
std::atomic<std::int64_t> unrecorded_since[kSlots];
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
// Releases under way (in a handler, in whichever thread the watchdog aims at): a lock is
// unwatched only once none is, so its mapping is never unmapped under a release.
std::atomic<int> releasing{0};

// glibc keeps the mutex's kind in __kind: the type in the low bits (0: the default, "timed"
// or normal kind), 128 for process-shared, 16 for robust.
constexpr int kKindTypeMask = 0x7f;
constexpr int kDefaultKind = 0;

std::int64_t monotonic_ns() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Frees the lock word (from `word`, as last seen) and wakes every waiter, across processes
// (no FUTEX_PRIVATE_FLAG). False if the word changed meanwhile: nothing done.
bool free_word(pthread_mutex_t& mutex, int word) noexcept {
  if (!__atomic_compare_exchange_n(&mutex.__data.__lock, &word, 0, false, __ATOMIC_RELEASE,
                                   __ATOMIC_RELAXED))
    return false;
  ::syscall(SYS_futex, &mutex.__data.__lock, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  return true;
}

// A lock whose recorded owner has ended: unlocked as glibc does (owner cleared first, as its
// lock asserts a free mutex has none, then the user count, then the word).
pid_t release_if_owner_ended(pthread_mutex_t& mutex, int owner) noexcept {
  auto& data = mutex.__data;
  if (!process_has_ended(owner)) return 0;
  // Nobody else writes these fields while the word is held, and its holder is dead.
  if (!__atomic_compare_exchange_n(&data.__owner, &owner, 0, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return 0;
  if (data.__nusers > 0) --data.__nusers;
  __atomic_store_n(&data.__lock, 0, __ATOMIC_RELEASE);
  ::syscall(SYS_futex, &data.__lock, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  return owner;
}

pid_t release_if_stranded(int slot, pthread_mutex_t& mutex, bool others_ended) noexcept {
  auto& data = mutex.__data;
  int word = __atomic_load_n(&data.__lock, __ATOMIC_ACQUIRE);
  int owner = __atomic_load_n(&data.__owner, __ATOMIC_ACQUIRE);
  std::atomic<std::int64_t>& since = unrecorded_since[slot];
  if (word == 0 || owner > 0) {
    since.store(0, std::memory_order_relaxed);
    return word == 0 ? 0 : release_if_owner_ended(mutex, owner);
  }
  // Held, and no owner recorded: a holder inside glibc's window, or one that died there.
  std::int64_t now = monotonic_ns();
  std::int64_t first = since.load(std::memory_order_relaxed);
  if (first == 0) since.store(now, std::memory_order_relaxed);
  if (first == 0 || !others_ended ||
      now - first < std::chrono::nanoseconds(kUnrecordedOwnerWait).count())
    return 0;
  // The user count was never raised (it is, after the owner is recorded) or is down already
  // (it is lowered before the record is cleared): only the word is left to free.
  if (!free_word(mutex, word)) return 0;
  since.store(0, std::memory_order_relaxed);
  return kUnrecordedOwner;
}

}  // namespace

bool process_has_ended(pid_t pid) noexcept {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  siginfo_t info{};
  // WNOWAIT leaves a zombie child for its reaper.
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

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
  // Only now, with no release looking at it: a free slot's record says nothing.
  unrecorded_since[slot_].store(0, std::memory_order_relaxed);
}

pid_t release_stranded_locks(bool others_ended) noexcept {
  releasing.fetch_add(1, std::memory_order_seq_cst);
  pid_t released = 0;
  for (int i = 0; i < kSlots; ++i)
    if (pthread_mutex_t* mutex = watched[i].load(std::memory_order_seq_cst))
      if (pid_t owner = release_if_stranded(i, *mutex, others_ended)) released = owner;
  releasing.fetch_sub(1, std::memory_order_seq_cst);
  return released;
}

}  // namespace ipcmeter
