// Histogram percentiles and merging.
#include "harness/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ipcmeter {

std::uint64_t Histogram::highest_in_bucket(int index) noexcept {
  if (index < kSub) return static_cast<std::uint64_t>(index);
  int shift = (index >> kSubBits) - 1;
  std::uint64_t mantissa = static_cast<std::uint64_t>(kSub + (index & (kSub - 1)));
  std::uint64_t low = mantissa << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::uint64_t Histogram::quantile(double q) const noexcept {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample that sits at q (1-based), as in HdrHistogram.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_in_bucket(i), max_);
  }
  return max_;
}

}  // namespace ipcmeter
