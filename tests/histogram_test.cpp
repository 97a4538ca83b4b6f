// The histogram against exact percentiles of the same samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "harness/histogram.hpp"

namespace ipcmeter {
namespace {

TEST(Histogram, SmallValuesAreExact) {
  Histogram histogram;
  for (std::uint64_t v = 0; v < 64; ++v) histogram.record(v);
  EXPECT_EQ(histogram.quantile(0.5), 31u);
  EXPECT_EQ(histogram.quantile(1.0), 63u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 63u);
}

TEST(Histogram, BucketBoundariesRoundTrip) {
  for (std::uint64_t v : {64ull, 65ull, 127ull, 128ull, 129ull, 1000ull, 123456789ull,
                          (1ull << 40) + 12345, ~0ull}) {
    int index = Histogram::index(v);
    ASSERT_LT(index, Histogram::kBuckets);
    EXPECT_GE(Histogram::highest_in_bucket(index), v) << v;
    if (index > 0) {
      EXPECT_LT(Histogram::highest_in_bucket(index - 1), v) << v;
    }
  }
}

TEST(Histogram, PercentilesWithinOneBucketOfExact) {
  // Log-normal like real latencies: a body near 70 us and a long tail.
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency(std::log(70000.0), 0.6);
  std::vector<std::uint64_t> samples(200000);
  Histogram histogram;
  for (auto& sample : samples) {
    sample = static_cast<std::uint64_t>(latency(random));
    histogram.record(sample);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size()))) - 1;
    double exact = static_cast<double>(samples[rank]);
    double estimate = static_cast<double>(histogram.quantile(q));
    EXPECT_GE(estimate, exact) << q;
    EXPECT_LE(estimate, exact * (1.0 + 1.0 / 64)) << q;
  }
  EXPECT_EQ(histogram.max(), samples.back());
  EXPECT_EQ(histogram.count(), samples.size());
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v < 100000; v += 7) {
    (v % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.quantile(q), all.quantile(q));
  EXPECT_EQ(a.count(), all.count());
}

}  // namespace
}  // namespace ipcmeter
