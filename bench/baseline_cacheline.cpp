// The shared-memory round-trip floor: two processes pass a counter through one cache line.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "bench/baselines.hpp"
#include "transports/wait.hpp"

namespace ipcmeter {

void baseline_cacheline(benchmark::State& state, Pinning pinning) {
  // One line: the leader writes odd values, the peer answers with the next even one.
  void* memory = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* line = new (memory) std::atomic<std::uint64_t>(0);
  constexpr std::uint64_t kStop = ~std::uint64_t{0};
  ScopedPin leader_pin(pinning.leader_cpu);
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pinning.peer_cpu >= 0) pin_current_thread(pinning.peer_cpu);
    for (std::uint64_t seen = 0;;) {
      std::uint64_t value;
      while ((value = line->load(std::memory_order_acquire)) == seen) cpu_relax();
      if (value == kStop) ::_exit(0);
      seen = value + 1;
      line->store(seen, std::memory_order_release);
    }
  }
  std::uint64_t value = 0;
  for (auto _ : state) {
    line->store(++value, std::memory_order_release);
    ++value;
    while (line->load(std::memory_order_acquire) != value) cpu_relax();
  }
  line->store(kStop, std::memory_order_release);
  if (child > 0) {
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    state.SkipWithError("fork failed");
  }
  ::munmap(memory, 4096);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace ipcmeter
