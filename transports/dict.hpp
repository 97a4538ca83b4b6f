// The shared-dictionary family: a small Dict interface and its variants. A DictKind is to
// dictionaries what a Transport is to links: the harness creates it once (a DictHost, which
// owns the map or its server and every name), and each client opens it from an address.
//   dict-local               a plain unordered_map, used by one client with no lock
//   dict-locked              unordered_map + std::shared_mutex shared by threads
//   dict-manager-<transport> the host's server threads own the map and answer requests
//                            over any registered transport (Python's Manager mechanism)
//   dict-shm                 a Boost.Interprocess unordered map in managed shared memory
//                            behind an interprocess_sharable_mutex, used in place
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transports/transport.hpp"
#include "transports/wait.hpp"

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
  std::size_t keys = 1024;                   // how many keys the map is sized for
  WaitStrategy wait = WaitStrategy::block;   // a manager's transport waits so
};

// What create() makes, owned by the harness for the whole run.
class DictHost {
 public:
  virtual ~DictHost() = default;  // stops any server thread and removes every name
  // What client i opens: its address and the fds it inherits.
  virtual const Link& link(int client) const = 0;
  // Starts any server threads. Called once every client is started: a client forked while
  // another thread runs (one starting up, or holding a lock in libc or ZeroMQ) could
  // inherit that lock held forever.
  virtual void serve() {}
  // Called once every client has opened its side: a manager waits for each server thread
  // to hold its own end, then the originals are closed so a client's end is seen.
  virtual void clients_ready() {}
  // The map itself, as the creator reaches it: to preload it and to check the end state.
  virtual Dict& direct() = 0;
  // Wakes server threads from blocking calls (the interrupt flag is already set).
  // Async-signal-safe: the watchdog calls it.
  virtual void interrupt() noexcept {}
  // Once every client has ended: ends the server threads, if any (each ends at its client's
  // goodbye or end-of-file, or is woken), and returns the first error one of them met.
  virtual std::optional<std::string> stop() { return std::nullopt; }
  // CPU time the server threads spent, 0 when there is no server.
  virtual std::uint64_t server_cpu_ns() const { return 0; }
};

struct DictKind {
  std::string name;     // the "transport:" segment of a dict benchmark's name
  std::string summary;  // one line for --list
  bool crosses_processes = true;
  bool shared = true;   // false: one client only (dict-local has no lock)
  std::function<std::unique_ptr<DictHost>(const DictOptions&)> create;
  std::function<std::unique_ptr<Dict>(const std::string& address)> open;
  std::vector<WaitStrategy> waits = {WaitStrategy::block};
  std::string transport;  // a manager's transport, else empty
};

// dict-local, dict-locked, dict-shm, then dict-manager-<t> for every registered transport
// (tests' faulty transports excepted). Built on first use, after any test transports.
const std::vector<DictKind>& all_dicts();
const DictKind& find_dict(const std::string& name);
bool is_dict(const std::string& name);
std::string dict_names();

DictKind dict_local_kind();
DictKind dict_locked_kind();
DictKind dict_shm_kind();
DictKind dict_manager_kind(const Transport& transport);

}  // namespace ipcmeter
