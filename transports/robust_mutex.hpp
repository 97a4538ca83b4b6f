// A mutex in shared memory that a process killed while holding it cannot leave held for good:
// the next process to lock it is told "lock owner died" at once, instead of waiting forever.
#pragma once

#include <pthread.h>

#include <stdexcept>

namespace ipcmeter {

// What every locker sees once a holder has died: the data the lock guards may be half-written,
// so the lock is never made consistent again and every later lock fails the same way.
class LockOwnerDied : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A process-shared robust pthread mutex (PTHREAD_MUTEX_ROBUST). Constructed in place in
// shared memory by its creator; every process that maps it may lock it. When its owner
// dies, the kernel hands the lock to the next locker (waking one that is blocked) with
// EOWNERDEAD: that locker leaves it unrecoverable and throws LockOwnerDied.
class RobustMutex {
 public:
  RobustMutex();
  ~RobustMutex();
  RobustMutex(const RobustMutex&) = delete;
  RobustMutex& operator=(const RobustMutex&) = delete;

  // Throws LockOwnerDied ("<what>: lock owner died ...") when a holder died.
  void lock(const char* what);
  void unlock() noexcept;

 private:
  pthread_mutex_t mutex_;
};

// Holds a RobustMutex for a scope.
class RobustLock {
 public:
  RobustLock(RobustMutex& mutex, const char* what) : mutex_(mutex) { mutex_.lock(what); }
  ~RobustLock() { mutex_.unlock(); }
  RobustLock(const RobustLock&) = delete;
  RobustLock& operator=(const RobustLock&) = delete;

 private:
  RobustMutex& mutex_;
};

}  // namespace ipcmeter
