// CPU pinning of the two sides: "--pin 0,1" puts the leader on CPU 0 and the peer on CPU 1.
#pragma once

#include <sched.h>

#include <string>

namespace ipcmeter {

struct Pinning {
  int leader_cpu = -1;  // -1: wherever the scheduler likes
  int peer_cpu = -1;
  std::string describe() const;  // "none", "0,1"
  // Where worker i of several goes when the workers should use both CPUs: the peer's CPU,
  // then the leader's, alternately (the leader mostly waits for their results); -1 unpinned.
  int worker_cpu(int index) const {
    if (peer_cpu < 0 || leader_cpu < 0) return -1;
    return index % 2 == 0 ? peer_cpu : leader_cpu;
  }
};

// "none", "auto" or "L,P" with CPUs this process may run on; UsageError otherwise.
// "auto" is the first two CPUs this process may use (leader, peer), or none on one CPU:
// unpinned, the scheduler sometimes puts both sides on one core (a ~5 us round trip) and
// sometimes not (~70 us here), and a result becomes a coin toss.
Pinning parse_pinning(const std::string& text);
void pin_current_thread(int cpu);

// Pins the calling thread for a scope and restores its previous CPU set afterwards.
class ScopedPin {
 public:
  explicit ScopedPin(int cpu);
  ~ScopedPin();
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;

 private:
  bool pinned_ = false;
  cpu_set_t previous_{};
};

}  // namespace ipcmeter
