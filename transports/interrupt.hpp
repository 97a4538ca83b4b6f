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
void request_interrupt() noexcept;
void clear_interrupt() noexcept;
bool interrupt_requested() noexcept;

// Throws Interrupted if an interrupt is pending; call it after every EINTR.
void throw_if_interrupted(const char* call);

// Set by the harness when the peer has ended (its process exited, its thread returned).
// Transports whose medium has no end-of-file of its own (shared memory, ZeroMQ) check it
// while they wait, and report PeerClosed once nothing is left to receive. Cleared, with
// the interrupt flag, by clear_interrupt() at the start of every run.
void mark_peer_gone() noexcept;
bool peer_gone() noexcept;
// The flag says only that *a* peer ended. A thread serving one of several peers (a dict
// manager's server thread) must not take another's end for its own: it opts out, and then
// learns of its own peer's end from a goodbye, an end-of-file, or the host's interrupt.
void ignore_peer_gone_in_this_thread() noexcept;

}  // namespace ipcmeter
