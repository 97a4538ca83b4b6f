// The workload registry: the one place that lists workloads.
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> workloads = {stream_workload(), pingpong_workload()};
  return workloads;
}

const Workload& find_workload(const std::string& name) {
  std::string known;
  for (const auto& workload : all_workloads()) {
    if (workload.name == name) return workload;
    known += (known.empty() ? "" : ", ") + workload.name;
  }
  throw UsageError("unknown workload '" + name + "' (known: " + known + ")");
}

}  // namespace ipcmeter
