// Process-wide safety: the children a run started and the signals that must not leave them
// (or any socket file or shm name) behind.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "transports/interrupt.hpp"

namespace ipcmeter {

// The signal the watchdog's timer raises in the thread it guards (see watchdog.hpp).
constexpr int kWatchdogSignal = SIGUSR2;

// Installs, once per process: SIGPIPE ignored (a dead peer is an error, not a death); the
// interrupt signal's no-op handler and the watchdog's handler, both without SA_RESTART;
// and SIGINT/SIGTERM/SIGHUP/SIGABRT handlers that kill registered children, remove
// registered names, then die of the same signal.
void install_process_guard();

// Puts a forked child's signal dispositions back to default before it runs a peer.
void reset_signals_in_child() noexcept;

// The child table: a child is in it from its start until just before it is reaped, so a pid
// in it is always an unreaped child of ours, never a pid the kernel has given to another
// process since (unregister first, then waitpid).
void register_child(pid_t pid) noexcept;
void unregister_child(pid_t pid) noexcept;
// SIGKILLs every registered child (a stopped one too). Async-signal-safe.
void kill_registered_children() noexcept;
// Whether every registered child has ended (exited, or a zombie). Async-signal-safe.
bool registered_children_ended() noexcept;

}  // namespace ipcmeter
