// A peer in a child process (fork or spawn): killed with SIGKILL, reaped with its status.
#pragma once

#include <sys/types.h>

#include "harness/placement.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {

class ProcessPeer final : public RunningPeer {
 public:
  explicit ProcessPeer(pid_t pid);  // registers the child for signal-time clean-up
  ~ProcessPeer() override;          // kills and reaps a child still running
  void stop() noexcept override;
  int wait(std::chrono::milliseconds grace) override;

 private:
  pid_t pid_;
  Fd pidfd_;  // signals through it can never hit a recycled pid
  bool reaped_ = false;
  int code_ = 0;
};

}  // namespace ipcmeter
