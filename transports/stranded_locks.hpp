// Locks in shared memory that are not robust (Boost.Interprocess message_queue's), watched so
// that one a dead process left held can be released: a thread blocked on such a lock waits in
// the kernel, where no signal and no liveness check can reach it, so until somebody frees the
// lock the thread never runs again.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <chrono>

namespace ipcmeter {

// Watches a process-shared pthread mutex of the default kind while this object lives. A lock
// is released only once no live process can hold it: its recorded owner's process has ended
// (exited, or a child of ours that is a zombie), or, when it records no owner (its holder
// died between taking the lock word and recording itself, or between clearing its record and
// freeing the word), every other process that could hold it has ended and the lock has stayed
// so for kUnrecordedOwnerWait. A lock some live thread holds is never touched. A table of
// fixed size, as for names: when it is full (256 locks), the lock is not watched, and a
// stranded one ends at the watchdog's hard exit instead.
class WatchedLock {
 public:
  // Throws std::logic_error for a mutex that is not of the default kind (a robust or
  // error-checking one records its owner differently; a robust one needs no watching).
  explicit WatchedLock(pthread_mutex_t& mutex);
  ~WatchedLock();
  WatchedLock(const WatchedLock&) = delete;
  WatchedLock& operator=(const WatchedLock&) = delete;

 private:
  int slot_ = -1;
};

// What release_stranded_locks returns for a lock that recorded no owner.
constexpr pid_t kUnrecordedOwner = -1;
// How long a lock must be seen held with no owner recorded, at every look, before it counts
// as stranded. A live thread records itself within a few instructions of taking the lock
// word (and clears its record a few before freeing it): to be seen in between at every look
// for this long, 5 of the watchdog's ticks, it would have to stay off every CPU while
// runnable, which a loaded 2-core machine's scheduler does not do for even a tenth of it.
constexpr std::chrono::milliseconds kUnrecordedOwnerWait{250};

// Releases every watched lock that a process which has ended left held, as if that process
// had unlocked it, and wakes its waiters; returns the pid of such an owner, kUnrecordedOwner
// for a lock that recorded none, 0 when none was released. `others_ended`: every process
// other than this one that may hold a watched lock (this process's children, the run's
// peers) has ended; without it, a lock that records no owner is left alone. This process's
// own threads hold a lock only for as long as they run, which kUnrecordedOwnerWait covers.
// Async-signal-safe: the watchdog calls it from its handler, in the thread that may be
// blocked on the lock, once per tick from the deadline on.
//
// The release writes glibc's own fields (the lock word, the owner and the user count) in
// the order its unlock does; the data the lock guards may be half-written by the dead owner,
// so whoever takes the lock next must treat what it reads as suspect (the harness's checks
// do).
pid_t release_stranded_locks(bool others_ended) noexcept;

// Whether the process has ended: gone from the process table, or a zombie child of ours (not
// yet reaped, so kill() still finds it). Async-signal-safe.
bool process_has_ended(pid_t pid) noexcept;

}  // namespace ipcmeter
