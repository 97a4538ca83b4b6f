// Wait strategies, the fourth axis: how a side waits for its peer. Blocking sleeps in the
// kernel (cheap on CPU, a ~70 us cross-core wake-up here); spinning polls without sleeping
// (fast, burns a core); hybrid spins for a bounded time, then blocks.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ipcmeter {

enum class WaitStrategy { block, spin, hybrid };

const char* wait_name(WaitStrategy wait);
WaitStrategy parse_wait(const std::string& text);  // UsageError for an unknown name

// How long hybrid spins before it blocks: longer than a same-core or spinning round trip
// (1-10 us here), shorter than the 65-70 us a cross-core wake-up costs, so a prompt reply
// is caught without a sleep and an idle peer costs at most this much CPU per wait.
constexpr std::chrono::microseconds kHybridSpin{50};

// Counts spin iterations and says when hybrid's budget is spent; the clock is read only
// every 64 polls so the spin loop stays tight.
class SpinBudget {
 public:
  explicit SpinBudget(WaitStrategy wait) : wait_(wait) {}
  // True while the caller should poll again rather than block.
  bool keep_spinning();

 private:
  WaitStrategy wait_;
  unsigned polls_ = 0;
  std::chrono::steady_clock::time_point deadline_{};
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// The shape of every Endpoint::poll: `look()` checks without waiting; `sleep(left)` waits at
// most `left` for something to change (a ppoll, a futex, a timed receive) and may return
// early. Spinning looks again and again until the deadline, blocking sleeps, hybrid spins
// for kHybridSpin first. A zero timeout looks once.
template <typename Look, typename Sleep>
bool poll_until(WaitStrategy wait, std::chrono::nanoseconds timeout, Look look, Sleep sleep) {
  if (look()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SpinBudget budget(wait);
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    if (budget.keep_spinning())
      cpu_relax();
    else
      sleep(std::chrono::duration_cast<std::chrono::nanoseconds>(left));
    if (look()) return true;
  }
}

}  // namespace ipcmeter
