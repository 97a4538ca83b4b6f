// The parallel projection (parallel.cpp): kProjectionSims simulations in batches over W
// workers through a shared work queue, and the same without any queue (transport none).
#pragma once

#include <cstdint>

#include "harness/workloads/election/model.hpp"

namespace ipcmeter::election {

// Simulations per projection: every batch size of the sweep (100 to 1M) divides it.
constexpr std::uint64_t kProjectionSims = 4'000'000;

// The seed of batch `index` of projection `projection`, wherever it is simulated.
std::uint64_t parallel_batch_seed(std::uint64_t projection, std::uint64_t index);

}  // namespace ipcmeter::election
