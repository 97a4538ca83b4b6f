// Wall and CPU clocks in nanoseconds.
#pragma once

#include <time.h>

#include <cstdint>

namespace ipcmeter {

inline std::uint64_t clock_ns(clockid_t clock) noexcept {
  timespec t;
  ::clock_gettime(clock, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(t.tv_nsec);
}
// CLOCK_MONOTONIC is read through the vDSO: about 20 ns, no syscall on the hot path.
inline std::uint64_t now_ns() noexcept { return clock_ns(CLOCK_MONOTONIC); }
inline std::uint64_t thread_cpu_ns() noexcept { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
// The whole process: a peer's helper threads (ZeroMQ's I/O thread) count too, as rusage would.
inline std::uint64_t process_cpu_ns() noexcept { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace ipcmeter
