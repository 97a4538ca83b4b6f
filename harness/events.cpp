// The run's trace (see events.hpp).
#include "harness/events.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "harness/clock.hpp"

namespace ipcmeter {

void trace_event(std::string_view what) noexcept {
  const char* path = std::getenv(kEventsVariable);
  if (path == nullptr || *path == '\0') return;
  // Opened (made, if it is a plain file not yet there) per line: a forked peer, a spawned one and the leader each write their own lines,
  // and no descriptor is inherited where it is not wanted. Non-blocking: a FIFO with no reader
  // fails the open (ENXIO) rather than stalling the run.
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return;
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "{} {}\n", now_ns(), what);
  // One write of a short line: all of it, or nothing the reader could mistake for a line.
  [[maybe_unused]] ssize_t written = ::write(fd, line.data(), line.size());
  ::close(fd);
}

}  // namespace ipcmeter
