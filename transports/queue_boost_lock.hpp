// The lock inside a Boost.Interprocess message_queue, reached by the queue's name.
//
// Boost 1.74 guards each queue with a process-shared pthread mutex of the default kind, not a
// robust one: a process killed inside send or receive leaves it held, and the others then
// block in the kernel for good (a receiver waiting for a message blocks there too, when its
// condition wait takes the lock back). A robust mutex cannot simply be put in its place:
// Boost's condition wait asserts on EOWNERDEAD and, built without asserts, loops on the error
// without end. BOOST_INTERPROCESS_ENABLE_TIMEOUT_WHEN_LOCKING does not help either: it times
// out interprocess_mutex::lock() only, not the lock a condition wait takes back, and it reads
// the calendar clock (gmtime) on every lock: +110-140 ns per uncontended lock here.
// So the queue's lock is watched instead (stranded_locks.hpp): once its owner has died, the
// watchdog releases it.
#pragma once

#include <pthread.h>

#include <boost/interprocess/mapped_region.hpp>
#include <string>

namespace ipcmeter {

class MessageQueueLock {
 public:
  // Maps the header of the queue named `name` (its shared-memory object), read-write: a
  // mapping of its own, since message_queue keeps its mapping private. Throws
  // std::runtime_error if the header does not hold a lock as Boost 1.74 lays it out.
  explicit MessageQueueLock(const std::string& name);
  pthread_mutex_t& mutex() const { return *mutex_; }

 private:
  boost::interprocess::mapped_region region_;
  pthread_mutex_t* mutex_ = nullptr;
};

}  // namespace ipcmeter
