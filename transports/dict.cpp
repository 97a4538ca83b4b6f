// The two in-process dictionaries, dict-local and dict-locked, and the value check.
#include "transports/dict.hpp"

#include <fmt/core.h>

#include <unordered_map>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/locked_map.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

std::uint64_t dict_check(DictKey key, std::uint64_t stamp) noexcept {
  // A 64-bit mix (murmur3's finaliser) of both words: any changed bit changes the check.
  std::uint64_t x = key * 0x9E3779B97F4A7C15ull ^ (stamp + 0x632BE59BD9B4E019ull);
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

namespace {

using Map = std::unordered_map<DictKey, DictValue>;

// The caller's own map, used with no lock at all: the "normal dictionary" baseline.
class LocalDict final : public Dict {
 public:
  explicit LocalDict(Map& map) : map_(map) {}
  std::optional<DictValue> get(DictKey key) override {
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(DictKey key, const DictValue& value) override { map_[key] = value; }
  bool erase(DictKey key) override { return map_.erase(key) > 0; }
  std::size_t size() override { return map_.size(); }

 private:
  Map& map_;
};

// The host of an in-process map: a Link that carries only the map's address.
template <typename Shared, typename View>
class InProcessHost final : public DictHost {
 public:
  InProcessHost(const std::string& scheme, const DictOptions& options)
      : link_(format_address(scheme, {{"map", pointer_text(&shared_)}}), {}, {}),
        view_(shared_) {
    reserve(options.keys);
  }
  const Link& link() const override { return link_; }
  Dict& direct() override { return view_; }

 private:
  void reserve(std::size_t keys) {
    if constexpr (std::is_same_v<Shared, Map>)
      shared_.reserve(keys);
    else
      shared_.map.reserve(keys);
  }
  Shared shared_;
  Link link_;
  View view_;
};

DictKind dict_local_kind() {
  DictKind kind;
  kind.name = "dict-local";
  kind.summary = "plain unordered_map in the caller, no lock, one client (the baseline)";
  kind.crosses_processes = false;
  kind.shared = false;
  kind.create = [](const DictOptions& options) -> std::unique_ptr<DictHost> {
    if (options.clients != 1)
      throw UsageError("dict-local is a plain map with no lock: it takes exactly 1 client");
    return std::make_unique<InProcessHost<Map, LocalDict>>("dict-local", options);
  };
  kind.open = [](const std::string& address) -> std::unique_ptr<Dict> {
    return std::make_unique<LocalDict>(*static_cast<Map*>(Address::parse(address).pointer("map")));
  };
  return kind;
}

DictKind dict_locked_kind() {
  DictKind kind;
  kind.name = "dict-locked";
  kind.summary = "unordered_map + std::shared_mutex shared by threads";
  kind.crosses_processes = false;
  kind.create = [](const DictOptions& options) -> std::unique_ptr<DictHost> {
    return std::make_unique<InProcessHost<LockedMap, LockedDict>>("dict-locked", options);
  };
  kind.open = [](const std::string& address) -> std::unique_ptr<Dict> {
    return std::make_unique<LockedDict>(*static_cast<LockedMap*>(Address::parse(address).pointer("map")));
  };
  return kind;
}

const Registry<DictKind>::Add local_registered{dict_local_kind};
const Registry<DictKind>::Add locked_registered{dict_locked_kind};

}  // namespace

const DictKind& find_dict(const std::string& name) {
  if (const DictKind* kind = Registry<DictKind>::find(name)) return *kind;
  throw UsageError(
      fmt::format("unknown dictionary '{}' (known: {})", name, Registry<DictKind>::names()));
}
}  // namespace ipcmeter
