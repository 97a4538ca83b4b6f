// Wait strategy names and the hybrid spin budget.
#include "transports/wait.hpp"

#include <fmt/core.h>
#include <sched.h>

#include "transports/errors.hpp"

namespace ipcmeter {

const char* wait_name(WaitStrategy wait) {
  switch (wait) {
    case WaitStrategy::block: return "block";
    case WaitStrategy::spin: return "spin";
    case WaitStrategy::hybrid: return "hybrid";
  }
  return "?";
}

WaitStrategy parse_wait(const std::string& text) {
  for (WaitStrategy wait : {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid})
    if (text == wait_name(wait)) return wait;
  throw UsageError(fmt::format("unknown wait strategy '{}' (known: block, spin, hybrid)", text));
}

bool SpinBudget::keep_spinning() {
  if (wait_ == WaitStrategy::spin) {
    // A yield every 1024 polls costs nothing when each side has its own core (nothing else
    // is runnable), and lets the peer run when both share one; without it a spinner could
    // hold the core for a whole time slice while the message it waits for cannot be sent.
    if ((++polls_ & 1023) == 0) ::sched_yield();
    return true;
  }
  if (wait_ == WaitStrategy::block) return false;
  if ((polls_++ & 63) != 0) return true;
  auto now = std::chrono::steady_clock::now();
  if (polls_ == 1) deadline_ = now + kHybridSpin;
  return now < deadline_;
}

}  // namespace ipcmeter
