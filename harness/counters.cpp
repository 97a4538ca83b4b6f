// Named run figures, summed by name.
#include "harness/counters.hpp"

namespace ipcmeter {

void Counters::add(const std::string& name, double value, Counter::Per per) {
  for (auto& counter : counters_)
    if (counter.name == name) {
      counter.value += value;
      return;
    }
  counters_.push_back({name, value, per});
}

void Counters::add(const Counters& other) {
  for (const auto& counter : other.all()) add(counter.name, counter.value, counter.per);
}

const Counter* Counters::find(const std::string& name) const {
  for (const auto& counter : counters_)
    if (counter.name == name) return &counter;
  return nullptr;
}

}  // namespace ipcmeter
