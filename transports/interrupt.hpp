// Lets a watchdog wake a thread blocked in a transport call without any cost on the hot path.
#pragma once

#include <signal.h>

namespace ipcmeter {

// The signal that wakes a blocked thread (its handler is installed by the harness).
constexpr int kInterruptSignal = SIGUSR1;

// How it works: the watchdog sets this process-wide flag, then sends a signal whose handler
// does nothing and is installed without SA_RESTART, so the blocked call returns EINTR.
// Transports retry EINTR (as they must for any stray signal) unless the flag is set, in
// which case they throw Interrupted. Nothing is checked until a call is actually interrupted.
// One run is measured at a time per process; the run clears the flag when it starts and
// when it ends, so a run that timed out leaves nothing set behind it.
void request_interrupt() noexcept;
void clear_interrupt() noexcept;
bool interrupt_requested() noexcept;

// Throws Interrupted if an interrupt is pending; call it after every EINTR.
void throw_if_interrupted(const char* call);

}  // namespace ipcmeter
