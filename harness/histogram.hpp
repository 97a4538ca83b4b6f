// A log-bucketed latency histogram (HDR style): O(1) record with no allocation, percentiles
// within 1/64 (about 1.6%) relative error, exact minimum and maximum.
#pragma once

#include <array>
#include <cstdint>

namespace ipcmeter {

class Histogram {
 public:
  // 64 sub-buckets per power of two: values below 64 are exact, above that each bucket
  // spans 1/64 of its power of two. 58 powers cover every uint64 value.
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub * (64 - kSubBits + 1);

  void record(std::uint64_t value) noexcept {
    ++counts_[index(value)];
    ++total_;
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
  }
  void merge(const Histogram& other) noexcept;

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return total_ ? max_ : 0; }
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  // The value at quantile q in [0, 1]: the highest value of the bucket that holds it
  // (never below the true quantile), capped at the recorded maximum.
  std::uint64_t quantile(double q) const noexcept;

  static int index(std::uint64_t value) noexcept {
    if (value < kSub) return static_cast<int>(value);
    int exponent = 63 - __builtin_clzll(value);  // >= kSubBits
    int shift = exponent - kSubBits;
    return ((shift + 1) << kSubBits) + static_cast<int>((value >> shift) & (kSub - 1));
  }
  static std::uint64_t highest_in_bucket(int index) noexcept;

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace ipcmeter
