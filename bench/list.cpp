// --list and --list-json (list.hpp).
#include "bench/list.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/profile.hpp"
#include "harness/medium.hpp"
#include "harness/placement.hpp"
#include "harness/ranks.hpp"
#include "harness/workloads/workload.hpp"

namespace ipcmeter {
namespace {

void list_media(const char* title, const std::string& family) {
  fmt::print("{}\n", title);
  for (const auto& kind : all_media())
    if (kind.family == family) {
      std::string depth =
          kind.depth ? fmt::format(" (depth: default {})", kind.depth->fallback) : "";
      fmt::print("  {:<28} {}{}{}{}\n", kind.name, kind.summary,
                 kind.crosses_processes ? "" : " (threads only)",
                 kind.ranks_only ? " (MPI ranks only)" : "", depth);
    }
}

}  // namespace

void list_axes() {
  list_media("transports (for the link workloads):", "link");
  fmt::print("placements:\n");
  for (const auto& placement : all_placements()) {
    std::string note;
    if (placement.remote) {
      std::string why = placement.remote->unavailable();
      note = fmt::format("; over tcp, zmq-tcp, mpi and what is served over them{}",
                         why.empty() ? "" : fmt::format(" (unavailable: {})", why));
    }
    fmt::print("  {:<7} {}{}\n", placement.name, placement.summary, note);
  }
  fmt::print("mpi: {}\n", mpi_status());
  list_media("dictionaries (for the dict-* workloads):", "dict");
  fmt::print("workloads:\n");
  std::size_t width = 0;
  for (const auto& workload : all_workloads())
    width = std::max(width, workload.name.size());
  for (const auto& workload : all_workloads()) {
    std::string segments;
    for (const auto& segment : workload.segments)
      fmt::format_to(std::back_inserter(segments), "/{}:N", segment.key);
    fmt::print("  {:<{}} {} (iteration: {}; over a {}; name .../wait:W{})\n", workload.name, width,
               workload.summary, workload.iteration,
               workload.medium == "dict" ? "dictionary" : "transport", segments);
  }
  fmt::print("{}\n", profile_depth_note());
  fmt::print(
      "beside the election workloads, with no transport:\n"
      "  {:<{}} each simulation kernel alone, simulations/s (name .../kernel:K/batch:N)\n"
      "(transport none with placement inline is election/ui computing inside the frame; with "
      "placement thread, election/parallel's workers computing with no queue)\n",
      "election/kernel", width);
}

namespace {

nlohmann::json medium_json(const MediumKind& kind) {
  nlohmann::json waits = nlohmann::json::array();
  for (WaitStrategy wait : kind.waits) waits.push_back(wait_name(wait));
  return {{"name", kind.name},
          {"family", kind.family},
          {"transport", kind.transport},
          {"none", kind.none},
          {"served", kind.served},
          {"managed", kind.managed},
          {"crosses_processes", kind.crosses_processes},
          {"crosses_hosts", kind.crosses_hosts},
          {"ranks_only", kind.ranks_only},
          {"alternating_only", kind.alternating_only},
          {"many_senders", kind.many_senders},
          {"waits", waits},
          {"shm_kind", kind.shm_kind},
          {"shm_first_suffix", kind.shm_first_suffix}};
}

}  // namespace

void list_axes_json() {
  nlohmann::json media = nlohmann::json::array();
  for (const auto& kind : all_media()) media.push_back(medium_json(kind));
  nlohmann::json placements = nlohmann::json::array();
  for (const auto& placement : all_placements())
    placements.push_back({{"name", placement.name},
                          {"summary", placement.summary},
                          {"separate_process", placement.separate_process},
                          {"peerless", placement.peerless},
                          {"remote", placement.remote != nullptr}});
  nlohmann::json workloads = nlohmann::json::array();
  for (const auto& workload : all_workloads())
    workloads.push_back({{"name", workload.name},
                         {"medium", workload.medium},
                         {"alternating", workload.alternating}});
  nlohmann::json all = {{"media", media}, {"placements", placements}, {"workloads", workloads}};
  fmt::print("{}\n", all.dump(1));
}

}  // namespace ipcmeter
