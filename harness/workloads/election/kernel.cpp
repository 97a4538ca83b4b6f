#include "harness/workloads/election/kernel.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <random>
#include <stdexcept>

namespace ipcmeter::election {
namespace {

// splitmix64: turns a seed into well-mixed generator states.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void check_tally(const Plan& plan, const Tally& tally) {
  if (tally.counts.size() != plan.total_votes + 1)
    throw std::invalid_argument(
        fmt::format("election: the tally is not sized for {} votes", plan.total_votes));
}

void textbook(const Plan& plan, std::uint64_t sims, std::uint64_t seed, Tally& tally) {
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (std::uint64_t i = 0; i < sims; ++i) {
    unsigned votes = plan.certain_votes;
    for (std::size_t s = 0; s < plan.probabilities.size(); ++s)
      if (uniform(generator) < plan.probabilities[s]) votes += plan.votes[s];
    ++tally.counts[votes];
  }
  tally.sims += sims;
}

// Marsaglia's xorshift128: 32-bit draws, period 2^128 - 1, four shifts and xors per draw.
struct Xorshift128 {
  std::uint32_t x, y, z, w;
  explicit Xorshift128(std::uint64_t seed) {
    std::uint64_t a = splitmix64(seed), b = splitmix64(seed);
    x = static_cast<std::uint32_t>(a), y = static_cast<std::uint32_t>(a >> 32);
    z = static_cast<std::uint32_t>(b), w = static_cast<std::uint32_t>(b >> 32) | 1u;
  }
  std::uint32_t next() {
    std::uint32_t t = x ^ (x << 11);
    x = y, y = z, z = w;
    w = w ^ (w >> 19) ^ t ^ (t >> 8);
    return w;
  }
};

void scalar(const Plan& plan, std::uint64_t sims, std::uint64_t seed, Tally& tally) {
  Xorshift128 generator(seed);
  const std::size_t states = plan.thresholds.size();
  for (std::uint64_t i = 0; i < sims; ++i) {
    std::uint32_t votes = plan.certain_votes;
    for (std::size_t s = 0; s < states; ++s)
      votes += generator.next() < plan.thresholds[s] ? plan.votes[s] : 0u;
    ++tally.counts[votes];
  }
  tally.sims += sims;
}

// 16 lanes of 32 bits: one zmm register with AVX-512, two ymm with AVX2, four xmm with SSE2.
typedef std::uint32_t Lanes __attribute__((vector_size(64)));
constexpr int kLanes = 16;
constexpr int kGroups = 4;  // independent generators in flight, to hide each step's latency
constexpr int kBlock = kLanes * kGroups;

// The simd kernel's body, inlined into one function per instruction set: per lane an
// xorshift128 generator; per state a broadcast threshold and vote count; a compare gives a
// mask of the lanes where A carries the state, and the mask picks the votes to add.
template <int = 0>
[[gnu::always_inline]] inline void simd_body(const Plan& plan, std::uint64_t sims,
                                             std::uint64_t seed, Tally& tally) {
  Lanes x[kGroups], y[kGroups], z[kGroups], w[kGroups];
  std::uint64_t mix = seed;
  for (int g = 0; g < kGroups; ++g)
    for (int lane = 0; lane < kLanes; ++lane) {
      std::uint64_t a = splitmix64(mix), b = splitmix64(mix);
      x[g][lane] = static_cast<std::uint32_t>(a), y[g][lane] = static_cast<std::uint32_t>(a >> 32);
      z[g][lane] = static_cast<std::uint32_t>(b);
      w[g][lane] = static_cast<std::uint32_t>(b >> 32) | 1u;
    }
  const std::size_t states = plan.thresholds.size();
  const std::uint32_t* thresholds = plan.thresholds.data();
  const std::uint32_t* votes = plan.votes.data();
  std::uint64_t* counts = tally.counts.data();
  alignas(64) std::uint32_t totals[kBlock];
  const Lanes zero = {};
  for (std::uint64_t done = 0; done < sims; done += kBlock) {
    const Lanes base = zero + plan.certain_votes;
    static_assert(kGroups == 4);
    Lanes sum[kGroups] = {base, base, base, base};
    for (std::size_t s = 0; s < states; ++s) {
      const Lanes threshold = zero + thresholds[s];
      const Lanes carried = zero + votes[s];
#pragma GCC unroll 4
      for (int g = 0; g < kGroups; ++g) {
        Lanes t = x[g] ^ (x[g] << 11);
        x[g] = y[g], y[g] = z[g], z[g] = w[g];
        w[g] = w[g] ^ (w[g] >> 19) ^ t ^ (t >> 8);
        sum[g] += carried & reinterpret_cast<Lanes>(w[g] < threshold);
      }
    }
    for (int g = 0; g < kGroups; ++g)
      __builtin_memcpy(totals + g * kLanes, &sum[g], sizeof(Lanes));
    // The last block may be partial: its extra lanes are drawn but not counted.
    const auto take = static_cast<int>(std::min<std::uint64_t>(kBlock, sims - done));
    for (int i = 0; i < take; ++i) ++counts[totals[i]];
  }
  tally.sims += sims;
}

[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq")]] void simd_avx512(
    const Plan& plan, std::uint64_t sims, std::uint64_t seed, Tally& tally) {
  simd_body(plan, sims, seed, tally);
}

[[gnu::target("avx2")]] void simd_avx2(const Plan& plan, std::uint64_t sims, std::uint64_t seed,
                                       Tally& tally) {
  simd_body(plan, sims, seed, tally);
}

void simd_sse2(const Plan& plan, std::uint64_t sims, std::uint64_t seed, Tally& tally) {
  simd_body(plan, sims, seed, tally);
}

using SimdFunction = void (*)(const Plan&, std::uint64_t, std::uint64_t, Tally&);

struct SimdChoice {
  const char* isa;
  SimdFunction function;
};

SimdChoice choose_simd() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return {"avx512", simd_avx512};
  if (__builtin_cpu_supports("avx2")) return {"avx2", simd_avx2};
  return {"sse2", simd_sse2};
}

const SimdChoice& simd_choice() {
  static const SimdChoice choice = choose_simd();
  return choice;
}

}  // namespace

const std::vector<Kernel>& all_kernels() {
  static const std::vector<Kernel> kernels = {Kernel::textbook, Kernel::scalar, Kernel::simd};
  return kernels;
}

const char* kernel_name(Kernel kernel) {
  switch (kernel) {
    case Kernel::textbook: return "textbook";
    case Kernel::scalar: return "scalar";
    case Kernel::simd: return "simd";
  }
  return "?";
}

Kernel parse_kernel(const std::string& name) {
  for (Kernel kernel : all_kernels())
    if (name == kernel_name(kernel)) return kernel;
  throw std::invalid_argument(
      fmt::format("unknown kernel '{}' (known: textbook, scalar, simd)", name));
}

const char* simd_isa() { return simd_choice().isa; }

void simulate(Kernel kernel, const Plan& plan, std::uint64_t sims, std::uint64_t seed,
              Tally& tally) {
  check_tally(plan, tally);
  switch (kernel) {
    case Kernel::textbook: return textbook(plan, sims, seed, tally);
    case Kernel::scalar: return scalar(plan, sims, seed, tally);
    case Kernel::simd: return simd_choice().function(plan, sims, seed, tally);
  }
}

std::uint64_t batch_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t state = seed ^ (index * 0xd1b54a32d192ed03ULL);
  splitmix64(state);
  return splitmix64(state);
}

}  // namespace ipcmeter::election
