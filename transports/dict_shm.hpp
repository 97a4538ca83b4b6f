// What dict-shm's segment holds besides the map, named so that a test can play a client that
// dies while it holds the lock (the test support cannot reach into an operation to kill it).
#pragma once

namespace ipcmeter {

// The map's lock: a RobustMutex (robust_mutex.hpp), a named object of its own in the segment.
constexpr const char* kDictShmLockName = "ipcmeter-dict-lock";

}  // namespace ipcmeter
