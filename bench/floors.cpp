// The floors' table: each floor file adds its mechanism at start-up.
#include "bench/floors.hpp"

#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include "bench/sample.hpp"

namespace ipcmeter::floors {
namespace {

std::vector<Floor>& table() {
  static std::vector<Floor> floors;
  return floors;
}

}  // namespace

const std::vector<Floor>& all_floors() { return table(); }

AddFloor::AddFloor(Floor floor) { table().push_back(std::move(floor)); }

void run_floor(benchmark::State& state, const Floor& floor, FloorRun run, const std::string& name) {
  SampleSizer sample(name, static_cast<std::uint64_t>(state.max_iterations),
                     run.shape == Shape::round_trip ? kSampleFloorRoundTrips : kSampleFloorMessages);
  while (state.KeepRunningBatch(state.max_iterations)) {
    try {
      std::uint64_t elapsed = 0;
      do {
        run.count = sample.count();
        elapsed = floor.measure(run);
      } while (!sample.accept(run.count, elapsed));
      sample.report(state, run.count, elapsed, run.size * (run.shape == Shape::round_trip ? 2 : 1));
    } catch (const std::exception& error) {
      state.SkipWithError(fmt::format("floor: {}", error.what()).c_str());
      break;
    }
  }
  state.SetLabel(fmt::format("pin:{} wait:{} raw floor", run.pinning.describe(),
                             wait_name(run.wait)));
}

}  // namespace ipcmeter::floors
