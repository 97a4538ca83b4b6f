// Where a long run is: repetitions done of those the filter selected, time spent, time
// left, on stderr (the JSON and the console table are untouched). With random
// interleaving Google Benchmark reports every result at the end, so progress is counted
// from inside the benchmark functions: each calls ran() when it returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ipcmeter {

class Progress {
 public:
  static Progress& instance();

  // At registration: a benchmark's full name (as the filter sees it) and its repetitions
  // (0: the --benchmark_repetitions flag's).
  void expect(const std::string& full_name, int repetitions);
  // Before the run: counts what the filter selects, and starts the clock.
  void start(const std::string& filter, int default_repetitions);
  // After start(): the repetitions the filter selected (0: it matches no benchmark).
  long selected_repetitions() const { return total_; }
  // After each call of a benchmark function. A call with the same iteration count as the
  // benchmark's previous one is a new repetition (Google Benchmark only grows the count
  // while it searches for it, then repeats it); a larger one continues the search.
  void ran(int benchmark, std::int64_t iterations);
  void finish();
  // Seconds since start(): stamped on every sample, so a figure can be placed in time.
  double seconds() const;
  int id_of(const std::string& full_name) const;

 private:
  void show(bool final);

  struct Expected {
    std::string name;
    int repetitions;
    bool selected = false;
    std::int64_t last_iterations = -1;
  };
  std::vector<Expected> benchmarks_;
  std::map<std::string, int> ids_;
  long total_ = 0;
  long done_ = 0;
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_shown_{};
};

}  // namespace ipcmeter
