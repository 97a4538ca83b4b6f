// The parallel projection (parallel.cpp): kProjectionSims simulations in batches over W
// workers through a shared work queue, and the same without any queue.
#pragma once

#include <cstdint>

#include "harness/pinning.hpp"
#include "harness/run.hpp"
#include "harness/workloads/election/model.hpp"

namespace ipcmeter::election {

// Simulations per projection: every batch size of the sweep (100 to 1M) divides it.
constexpr std::uint64_t kProjectionSims = 4'000'000;

// The seed of batch `index` of projection `projection`, wherever it is simulated.
std::uint64_t parallel_batch_seed(std::uint64_t projection, std::uint64_t index);

// Projection `projection` (0-based) simulated batch by batch in this thread: what the workers'
// partial tallies must add up to.
Tally sequential_projection(std::uint64_t batch, std::uint64_t projection);

// The compute-only rate: `projections` projections over `workers` threads that take batches
// from an atomic counter, with no queue and no messages. Counters as the workload's:
// sims_per_s, last_wins, last_vote_sum.
RunResult run_parallel_compute(std::uint64_t workers, std::uint64_t batch, std::uint64_t projections,
                               const Pinning& pinning);

}  // namespace ipcmeter::election
