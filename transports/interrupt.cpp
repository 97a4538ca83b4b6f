// The process-wide interrupt flag behind interrupt.hpp.
#include "transports/interrupt.hpp"

#include <atomic>
#include <string>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {
// Lock-free so that it is safe to read from a signal handler, should one ever need it.
std::atomic<bool> interrupt_flag{false};
std::atomic<bool> peer_gone_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free);
thread_local bool ignores_peer_gone = false;
}  // namespace

void request_interrupt() noexcept { interrupt_flag.store(true, std::memory_order_release); }
void clear_interrupt() noexcept {
  interrupt_flag.store(false, std::memory_order_release);
  peer_gone_flag.store(false, std::memory_order_release);
}
void mark_peer_gone() noexcept { peer_gone_flag.store(true, std::memory_order_release); }
bool peer_gone() noexcept {
  return !ignores_peer_gone && peer_gone_flag.load(std::memory_order_acquire);
}
void ignore_peer_gone_in_this_thread() noexcept { ignores_peer_gone = true; }
bool interrupt_requested() noexcept { return interrupt_flag.load(std::memory_order_acquire); }

void throw_if_interrupted(const char* call) {
  if (interrupt_requested()) throw Interrupted(std::string(call) + " interrupted by the watchdog");
}

}  // namespace ipcmeter
