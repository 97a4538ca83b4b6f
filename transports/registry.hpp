// The lists of transports, dictionaries and workloads. Each entry adds itself from its own
// file with one line at the end of it,
//     const Registry<Transport>::Add registered{pipe_transport};
// so adding a transport (or a workload) is its own file and nothing else: no header to
// include, no list to edit, no CMake source list (the folders are globbed).
#pragma once

#include <fmt/ranges.h>

#include <algorithm>
#include <ranges>
#include <string>
#include <vector>

#include "transports/errors.hpp"
#include "transports/transport.hpp"

namespace ipcmeter {

template <typename Entry>
class Registry {
 public:
  using Factory = Entry (*)();

  // Runs while the program's static objects are initialised. The factory itself runs on
  // first use of the list, when every file has registered and main() has begun.
  struct Add {
    explicit Add(Factory make) { factories().push_back(make); }
  };

  // Every entry, sorted by name, so the order never depends on the order of linking.
  static const std::vector<Entry>& all() { return entries(); }

  // For tests only (a deliberately faulty transport, say). Call before any peer starts, in
  // every process: first thing in the test binary's main().
  static void add_for_tests(Entry entry) { entries().push_back(std::move(entry)); }

  // The entry of that name, or nullptr.
  static const Entry* find(const std::string& name) {
    for (const auto& entry : all())
      if (entry.name == name) return &entry;
    return nullptr;
  }

  // "a, b, c" for messages.
  static std::string names() {
    return fmt::format("{}", fmt::join(all() | std::views::transform(&Entry::name), ", "));
  }

 private:
  static std::vector<Factory>& factories() {
    static std::vector<Factory> list;
    return list;
  }
  static std::vector<Entry>& entries() {
    static std::vector<Entry> list = [] {
      std::vector<Entry> built;
      for (Factory make : factories()) built.push_back(make());
      std::sort(built.begin(), built.end(),
                [](const Entry& a, const Entry& b) { return a.name < b.name; });
      return built;
    }();
    return list;
  }
};

inline const std::vector<Transport>& all_transports() { return Registry<Transport>::all(); }
inline std::string transport_names() { return Registry<Transport>::names(); }
// The transport of that name; UsageError listing the known names otherwise.
const Transport& find_transport(const std::string& name);

}  // namespace ipcmeter
