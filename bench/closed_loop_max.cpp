#include "bench/closed_loop_max.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace ipcmeter {
namespace {

// Runs grow tenfold at most, up to this many tries, until one lasts kClosedLoopMinSeconds.
constexpr int kTries = 6;
constexpr std::uint64_t kFirstCount = 2000;

std::uint64_t measure(const RunSpec& rate_spec) {
  RunSpec stream = rate_spec;
  stream.workload = "stream";
  stream.params.erase("rate");
  stream.count = kFirstCount;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    RunResult result = run(stream);
    double seconds = static_cast<double>(result.elapsed_ns) * 1e-9;
    if (result.iterations > 0 && seconds >= kClosedLoopMinSeconds)
      return static_cast<std::uint64_t>(std::llround(static_cast<double>(result.iterations) / seconds));
    double pace = result.iterations > 0 && seconds > 0 ? seconds / static_cast<double>(result.iterations) : 0;
    std::uint64_t enough = pace > 0 ? static_cast<std::uint64_t>(std::ceil(1.2 * kClosedLoopMinSeconds / pace)) : 0;
    stream.count = std::clamp<std::uint64_t>(enough, stream.count + 1, stream.count * 10);
  }
  throw std::runtime_error(fmt::format("the closed-loop maximum: no stream run of {} lasted {} s", stream.name(),
                                       kClosedLoopMinSeconds));
}

}  // namespace

std::uint64_t closed_loop_max_rate(const RunSpec& rate_spec) {
  // Only the benchmark thread runs benchmarks: no lock.
  static std::map<std::string, std::uint64_t> measured;
  std::string name = rate_at_max_name(rate_spec);
  auto found = measured.find(name);
  if (found == measured.end()) found = measured.emplace(name, std::max<std::uint64_t>(measure(rate_spec), 1)).first;
  return found->second;
}

std::string rate_at_max_name(const RunSpec& rate_spec) {
  std::string name = rate_spec.name() + "/";
  std::string number = fmt::format("/rate:{}/", rate_spec.param("rate"));
  std::size_t at = name.find(number);
  if (at == std::string::npos) throw std::logic_error("rate_at_max_name: no rate: segment in " + name);
  name.replace(at, number.size(), fmt::format("/rate:{}/", kRateAtMax));
  name.pop_back();
  return name;
}

}  // namespace ipcmeter
