// Locks in shared memory that are not robust (Boost.Interprocess message_queue's), watched so
// that one a dead process left held can be released: a thread blocked on such a lock waits in
// the kernel, where no signal and no liveness check can reach it, so until somebody frees the
// lock the thread never runs again.
#pragma once

#include <pthread.h>
#include <sys/types.h>

namespace ipcmeter {

// Watches a process-shared pthread mutex of the default kind while this object lives. Only
// the owner a lock records is ever looked at, and a lock is released only once that owner's
// process has ended (exited, or a child of ours that is a zombie): a lock some live thread
// holds is never touched. A table of fixed size, as for names: when it is full (256 locks),
// the lock is not watched, and a stranded one ends at the watchdog's hard exit instead.
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

// Releases every watched lock whose owner has ended, as if that owner had unlocked it, and
// wakes its waiters; returns the pid of such an owner (0 when none). Async-signal-safe: the
// watchdog calls it from its handler, in the thread that may be blocked on the lock.
//
// The release writes glibc's own fields (the lock word, the owner and the user count) in
// the order its unlock does; the data the lock guards may be half-written by the dead owner,
// so whoever takes the lock next must treat what it reads as suspect (the harness's checks
// do). Two windows are not covered: an owner that died between taking the lock word and
// recording itself, or between clearing its record and freeing the word.
pid_t release_stranded_locks() noexcept;

}  // namespace ipcmeter
