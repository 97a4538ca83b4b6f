// The process-wide interrupt flag behind interrupt.hpp.
#include "transports/interrupt.hpp"

#include <fmt/core.h>

#include <atomic>
#include <string>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {
// Lock-free so that it is safe to set from a signal handler (the watchdog's).
std::atomic<bool> interrupt_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free);
}  // namespace

void request_interrupt() noexcept { interrupt_flag.store(true, std::memory_order_release); }
void clear_interrupt() noexcept { interrupt_flag.store(false, std::memory_order_release); }
bool interrupt_requested() noexcept { return interrupt_flag.load(std::memory_order_acquire); }

void throw_if_interrupted(const char* call) {
  if (interrupt_requested()) throw Interrupted(fmt::format("{} interrupted by the watchdog", call));
}

}  // namespace ipcmeter
