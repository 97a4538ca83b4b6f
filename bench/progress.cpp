// Counting repetitions against what the filter selected, and showing it on stderr.
#include "bench/progress.hpp"

#include <fmt/core.h>
#include <regex.h>
#include <unistd.h>

#include <cstdio>

namespace ipcmeter {
namespace {

// Google Benchmark's own filter rules: POSIX extended regex, "all" or empty for all, a
// leading '-' for "all but".
bool selected(const std::string& filter, const std::string& name) {
  if (filter.empty() || filter == "all") return true;
  bool negative = filter[0] == '-';
  std::string pattern = negative ? filter.substr(1) : filter;
  regex_t regex;
  if (::regcomp(&regex, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return true;
  bool match = ::regexec(&regex, name.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&regex);
  return match != negative;
}

std::string clock_text(double seconds) {
  auto s = static_cast<long>(seconds + 0.5);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress& Progress::instance() {
  static Progress progress;
  return progress;
}

void Progress::expect(const std::string& full_name, int repetitions) {
  ids_[full_name] = static_cast<int>(benchmarks_.size());
  benchmarks_.push_back({full_name, repetitions});
}

int Progress::id_of(const std::string& full_name) const {
  auto it = ids_.find(full_name);
  return it == ids_.end() ? -1 : it->second;
}

void Progress::start(const std::string& filter, int default_repetitions) {
  total_ = 0;
  for (auto& benchmark : benchmarks_) {
    benchmark.selected = selected(filter, benchmark.name);
    if (benchmark.selected)
      total_ += benchmark.repetitions > 0 ? benchmark.repetitions : std::max(default_repetitions, 1);
  }
  tty_ = ::isatty(STDERR_FILENO) == 1;
  start_ = std::chrono::steady_clock::now();
}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::ran(int benchmark, std::int64_t iterations) {
  if (benchmark < 0 || benchmark >= static_cast<int>(benchmarks_.size())) return;
  Expected& expected = benchmarks_[static_cast<std::size_t>(benchmark)];
  // The first call starts a repetition; so does each call that repeats the last count.
  // A call with a larger count is the search for it still going on: the first repetition.
  if (expected.last_iterations < 0 || iterations == expected.last_iterations) ++done_;
  expected.last_iterations = iterations;
  show(false);
}

void Progress::finish() {
  if (done_ > 0) show(true);  // nothing ran (--benchmark_list_tests): nothing to say
}

void Progress::show(bool final) {
  if (total_ == 0) return;
  auto now = std::chrono::steady_clock::now();
  // A terminal is redrawn twice a second; a log (CI) gets a line every 30 s.
  auto every = tty_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(30000);
  if (!final && now - last_shown_ < every) return;
  last_shown_ = now;
  long done = std::min(done_, total_);
  double elapsed = seconds();
  std::string left = final ? "done"
                     : done > 0
                         ? fmt::format("~{} left", clock_text(elapsed / static_cast<double>(done) *
                                                              static_cast<double>(total_ - done)))
                         : "estimating";
  fmt::print(stderr, "{}[ipcmeter] {}/{} repetitions ({}%), {} elapsed, {}{}", tty_ ? "\r" : "",
             done, total_, done * 100 / total_, clock_text(elapsed), left,
             tty_ && !final ? "   " : "\n");
  std::fflush(stderr);
}

}  // namespace ipcmeter
