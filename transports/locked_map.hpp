// A map behind a reader-writer lock, and the Dict that uses it: dict-locked's whole
// implementation, and the map a dict-manager's server threads share.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "transports/dict.hpp"

namespace ipcmeter {

struct LockedMap {
  std::unordered_map<DictKey, DictValue> map;
  std::shared_mutex mutex;
};

// Readers share the lock, a writer holds it alone.
class LockedDict final : public Dict {
 public:
  explicit LockedDict(LockedMap& shared) : shared_(shared) {}
  std::optional<DictValue> get(DictKey key) override {
    std::shared_lock lock(shared_.mutex);
    auto it = shared_.map.find(key);
    if (it == shared_.map.end()) return std::nullopt;
    return it->second;
  }
  void put(DictKey key, const DictValue& value) override {
    std::unique_lock lock(shared_.mutex);
    shared_.map[key] = value;
  }
  bool erase(DictKey key) override {
    std::unique_lock lock(shared_.mutex);
    return shared_.map.erase(key) > 0;
  }
  std::size_t size() override {
    std::shared_lock lock(shared_.mutex);
    return shared_.map.size();
  }

 private:
  LockedMap& shared_;
};

}  // namespace ipcmeter
