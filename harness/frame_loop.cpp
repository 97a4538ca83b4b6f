// The one 60 Hz loop (see frame_loop.hpp).
#include "harness/frame_loop.hpp"

#include "harness/clock.hpp"

namespace ipcmeter {

std::uint64_t run_frames(std::uint64_t frames, const std::function<void(std::uint64_t)>& work,
                         const std::function<void(std::uint64_t)>& idle) {
  const auto frame = static_cast<std::uint64_t>(kFrame.count());
  std::uint64_t missed = 0;
  std::uint64_t scheduled = now_ns();
  for (std::uint64_t f = 0; f < frames; ++f) {
    const std::uint64_t deadline = scheduled + frame;
    work(f);
    const std::uint64_t done = now_ns();
    if (done > deadline) {
      ++missed;
      scheduled = done;
      continue;
    }
    idle(deadline);
    scheduled = deadline;
  }
  return missed;
}

}  // namespace ipcmeter
