// Lets a watchdog wake a thread blocked in a transport call without any cost on the hot path.
#pragma once

namespace ipcmeter {

// How it works: the watchdog sets this process-wide flag, then sends a signal whose handler
// does nothing and is installed without SA_RESTART, so the blocked call returns EINTR.
// Transports retry EINTR (as they must for any stray signal) unless the flag is set, in
// which case they throw Interrupted. Nothing is checked until a call is actually interrupted.
void request_interrupt() noexcept;
void clear_interrupt() noexcept;
bool interrupt_requested() noexcept;

// Throws Interrupted if an interrupt is pending; call it after every EINTR.
void throw_if_interrupted(const char* call);

}  // namespace ipcmeter
