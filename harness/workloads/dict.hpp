// The dictionary workloads: clients reading and writing one shared Dict, the figure the
// documents give for a Manager dict (gets/s) against a plain dict.
//   dict-get    every operation a get of a present small int key (a hit)
//   dict-put    every operation a put, replacing a present key
//   dict-mixed  90 % gets, 10 % puts
// The map holds kDictKeys keys, 0..kDictKeys-1, preloaded before timing. Each client writes
// only the keys it owns (key % clients == client), so after the run the harness knows the
// exact final value of every key: a lost, misplaced or torn write fails the run. Every get
// is verified on the spot: the value's check matches its key, its writer owns the key, and
// a client reads back exactly what it last wrote to its own keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "transports/dict.hpp"

namespace ipcmeter {

constexpr std::size_t kDictKeys = 1024;

struct DictWorkload {
  std::string name;
  std::string summary;
  unsigned put_percent;  // of the operations
};

const std::vector<DictWorkload>& all_dict_workloads();
const DictWorkload& find_dict_workload(const std::string& name);

// One client's operations, the same sequence each time for the same arguments, so the
// harness can replay what every client wrote.
class DictPlan {
 public:
  struct Op {
    bool put;
    DictKey key;
    std::uint64_t stamp;  // of the value a put writes: its writer and operation number
  };
  DictPlan(const DictWorkload& workload, int client, int clients, std::size_t keys = kDictKeys);
  Op next() noexcept;

 private:
  std::uint64_t state_;
  unsigned put_percent_;
  std::uint64_t client_;
  std::uint64_t clients_;
  std::uint64_t keys_;
  std::uint64_t owned_;
  std::uint64_t done_ = 0;
};

// Fills the map with keys 0..keys-1, each with its preload value (stamp 0).
void preload_dict(Dict& dict, std::size_t keys = kDictKeys);

// A client: its plan's operations one at a time, every get verified on the spot.
class DictClient {
 public:
  DictClient(const DictWorkload& workload, int client, int clients, std::size_t keys = kDictKeys);
  // The next operation. IntegrityError names the client, operation number and key on a
  // mismatch.
  void step(Dict& dict);
  std::uint64_t done() const { return done_; }

 private:
  DictPlan plan_;
  int client_;
  std::uint64_t clients_;
  std::vector<std::uint64_t> written_;  // what it last wrote to each key it owns (key / clients)
  std::uint64_t done_ = 0;
};

// A client's part in one call: `count` operations of its plan.
void run_dict_client(Dict& dict, const DictWorkload& workload, int client, int clients,
                     std::uint64_t count, std::size_t keys = kDictKeys);

// After every client finished: the map holds exactly the keys, each with the value its owner
// wrote last (replayed from the plans). IntegrityError otherwise.
void verify_dict_end(Dict& dict, const DictWorkload& workload, int clients,
                     const std::vector<std::uint64_t>& counts, std::size_t keys = kDictKeys);

}  // namespace ipcmeter
