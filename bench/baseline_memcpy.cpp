// The copy-bandwidth reference for large messages.
#include <cstring>
#include <vector>

#include "bench/baselines.hpp"

namespace ipcmeter {

void baseline_memcpy(benchmark::State& state, std::size_t size) {
  std::vector<std::byte> source(size, std::byte{1});
  std::vector<std::byte> destination(size);
  for (auto _ : state) {
    std::memcpy(destination.data(), source.data(), size);
    benchmark::DoNotOptimize(destination.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

}  // namespace ipcmeter
