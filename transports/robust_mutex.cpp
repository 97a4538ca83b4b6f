// The robust process-shared mutex behind robust_mutex.hpp.
#include "transports/robust_mutex.hpp"

#include <cerrno>
#include <string>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

void check(int result, const char* call) {
  if (result != 0) throw SystemError(call, "robust mutex", result);
}

[[noreturn]] void owner_died(const char* what) {
  throw LockOwnerDied(std::string(what) +
                      ": lock owner died (a process ended while holding the lock; what it "
                      "guards may be half-written)");
}

}  // namespace

RobustMutex::RobustMutex() {
  pthread_mutexattr_t attributes;
  check(::pthread_mutexattr_init(&attributes), "pthread_mutexattr_init");
  int result = ::pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  if (result == 0) result = ::pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  if (result == 0) result = ::pthread_mutex_init(&mutex_, &attributes);
  ::pthread_mutexattr_destroy(&attributes);
  check(result, "pthread_mutex_init");
}

RobustMutex::~RobustMutex() { ::pthread_mutex_destroy(&mutex_); }

void RobustMutex::lock(const char* what) {
  int result = ::pthread_mutex_lock(&mutex_);
  if (result == 0) return;
  if (result == EOWNERDEAD) {
    // Ours now, but inconsistent. Unlocking it without pthread_mutex_consistent makes it
    // unrecoverable: every locker after us fails at once too, rather than one of them
    // reading what the dead owner left half-written.
    ::pthread_mutex_unlock(&mutex_);
    owner_died(what);
  }
  if (result == ENOTRECOVERABLE) owner_died(what);
  throw SystemError("pthread_mutex_lock", what, result);
}

void RobustMutex::unlock() noexcept { ::pthread_mutex_unlock(&mutex_); }

}  // namespace ipcmeter
