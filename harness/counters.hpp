// Figures a run reports beside its time, named by whoever measured them (the workload on
// either side, the medium's host): each says whether a benchmark shows it as it is or per
// iteration of the run.
#pragma once

#include <string>
#include <vector>

namespace ipcmeter {

struct Counter {
  enum class Per { run, iteration };
  std::string name;  // the benchmark counter's name, e.g. "server_cpu_ns_per_iter"
  double value = 0;  // the run's total
  Per per = Per::run;
};

class Counters {
 public:
  // Adds to the counter of that name (summing the peers' reports), or starts it.
  void add(const std::string& name, double value, Counter::Per per = Counter::Per::run);
  void add(const Counters& other);
  const std::vector<Counter>& all() const { return counters_; }
  // The counter's total, or nullptr when nobody reported it.
  const Counter* find(const std::string& name) const;

 private:
  std::vector<Counter> counters_;
};

}  // namespace ipcmeter
