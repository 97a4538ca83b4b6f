// The shared-dictionary family: a small Dict interface and the maps clients use in place. A
// DictKind is to dictionaries what a Transport is to links: the harness creates it once (a
// DictHost, which owns the map and every name), and each client opens it from an address.
//   dict-local   a plain unordered_map, used by one client with no lock
//   dict-locked  unordered_map + std::shared_mutex shared by threads
//   dict-shm     a Boost.Interprocess unordered map in managed shared memory behind a
//                robust process-shared mutex, used in place
// The fourth variant, dict-manager-<transport> (a server owns the map and answers requests
// over any transport, Python's Manager mechanism), runs server threads, so it lives in the
// harness (harness/dict_manager.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "transports/transport.hpp"

namespace ipcmeter {

using DictKey = std::uint64_t;

// A value: who wrote it and when (the stamp), and a check that binds it to its key, so a
// reader can tell a value from a torn, misplaced or invented one (see dict_check).
struct DictValue {
  std::uint64_t stamp = 0;
  std::uint64_t check = 0;
  friend bool operator==(const DictValue&, const DictValue&) = default;
};

// The check a well-formed value for `key` carries.
std::uint64_t dict_check(DictKey key, std::uint64_t stamp) noexcept;
inline DictValue make_dict_value(DictKey key, std::uint64_t stamp) noexcept {
  return {stamp, dict_check(key, stamp)};
}

class Dict {
 public:
  virtual ~Dict() = default;
  virtual std::optional<DictValue> get(DictKey key) = 0;
  virtual void put(DictKey key, const DictValue& value) = 0;  // inserts or replaces
  virtual bool erase(DictKey key) = 0;                        // true if the key was there
  virtual std::size_t size() = 0;
  // Ends this client's use and reports errors (a manager client says goodbye, so its
  // server thread ends); the destructor cannot report.
  virtual void close() {}
};

struct DictOptions {
  int clients = 1;
  std::size_t keys = 1024;  // how many keys the map is sized for
};

// What create() makes, owned by the harness for the whole run: the map and every name.
class DictHost {
 public:
  virtual ~DictHost() = default;
  // What every client opens: the address (and no fds: every variant is reached by name or,
  // between threads, by pointer).
  virtual const Link& link() const = 0;
  // The map itself, as its creator reaches it: to preload it and to check the end state.
  virtual Dict& direct() = 0;
};

struct DictKind {
  std::string name;     // the "transport:" segment of a dict benchmark's name
  std::string summary;  // one line for --list
  bool crosses_processes = true;
  bool shared = true;   // false: one client only (dict-local has no lock)
  std::string shm_kind;  // as Transport::shm_kind: its /dev/shm names, or empty
  std::function<std::unique_ptr<DictHost>(const DictOptions&)> create;
  std::function<std::unique_ptr<Dict>(const std::string& address)> open;
};

// The dictionary of that name (dict-local, dict-locked, dict-shm); UsageError otherwise.
const DictKind& find_dict(const std::string& name);

}  // namespace ipcmeter
