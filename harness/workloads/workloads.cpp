// The workload registry: the one place that lists workloads.
#include "harness/workloads/workload.hpp"
#include "harness/workloads/dict.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

namespace {
std::vector<Workload>& workload_list() {
  static std::vector<Workload> workloads = {stream_workload(), pingpong_workload(),
                                          fanin_workload()};
  return workloads;
}
}  // namespace

const std::vector<Workload>& all_workloads() { return workload_list(); }

void add_workload_for_tests(Workload workload) { workload_list().push_back(std::move(workload)); }

const Workload& find_workload(const std::string& name) {
  std::string known;
  for (const auto& workload : all_workloads()) {
    if (workload.name == name) return workload;
    known += (known.empty() ? "" : ", ") + workload.name;
  }
  for (const auto& workload : all_dict_workloads()) known += ", " + workload.name;
  throw UsageError("unknown workload '" + name + "' (known: " + known + ")");
}

}  // namespace ipcmeter
