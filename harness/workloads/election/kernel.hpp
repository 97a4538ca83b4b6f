// Monte Carlo kernels: simulate `sims` elections of a plan and add their vote totals to a
// tally. Three, so the reason for the speed shows in the benchmarks:
//   textbook  what one writes first: std::mt19937_64, a double per state, a branch;
//   scalar    one simulation at a time, but an xorshift128 generator and integer thresholds;
//   simd      64 simulations at once, 16 per vector in four independent groups: a generator
//             per lane, one compare per state per 16 simulations, vote totals in registers.
//             Built for AVX-512, AVX2 and plain x86-64; the best the CPU runs is chosen at
//             run time.
// Every kernel is reproducible: the same plan, count and seed give the same tally. Different
// kernels draw differently, so they agree statistically, not bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/workloads/election/model.hpp"

namespace ipcmeter::election {

enum class Kernel { textbook, scalar, simd };

const std::vector<Kernel>& all_kernels();
const char* kernel_name(Kernel kernel);
Kernel parse_kernel(const std::string& name);  // UsageError-like std::invalid_argument
// The instruction set the simd kernel runs with on this CPU: "avx512", "avx2" or "sse2".
const char* simd_isa();

// Adds `sims` simulated elections to `tally` (sized for plan.total_votes).
void simulate(Kernel kernel, const Plan& plan, std::uint64_t sims, std::uint64_t seed, Tally& tally);

// The seed of batch `index` of a projection: batches may be simulated anywhere, in any
// order, and the combined tally is the same.
std::uint64_t batch_seed(std::uint64_t seed, std::uint64_t index);

}  // namespace ipcmeter::election
