// dict-shm: a Boost unordered map that lives in a Boost.Interprocess managed shared-memory
// segment, behind an interprocess_sharable_mutex, read and written in place by every client
// (threads, forked or spawned processes): no server, no copy through the kernel.
// The host creates the segment and removes its name on every path; a client only maps it.
// A client killed while it holds the lock leaves it held (the mutex is not robust): the
// others then wait until the watchdog ends the run. Clients are only killed between calls.

#include <fmt/core.h>

#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/sync/interprocess_sharable_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <boost/interprocess/sync/sharable_lock.hpp>
#include <boost/unordered_map.hpp>
#include <functional>

#include "transports/address.hpp"
#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/named_resources.hpp"
#include "transports/shm_create.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

namespace bip = boost::interprocess;

using Segment = bip::managed_shared_memory;
using Entry = std::pair<const DictKey, DictValue>;
using EntryAllocator = bip::allocator<Entry, Segment::segment_manager>;
using ShmMap = boost::unordered_map<DictKey, DictValue, boost::hash<DictKey>,
                                    std::equal_to<DictKey>, EntryAllocator>;

constexpr const char* kObjectName = "ipcmeter-dict";

struct SharedDict {
  SharedDict(std::size_t buckets, const EntryAllocator& allocator)
      : map(buckets, boost::hash<DictKey>(), std::equal_to<DictKey>(), allocator) {}
  bip::interprocess_sharable_mutex mutex;
  ShmMap map;
};

// Enough for `keys` entries with room to spare: a node, its bucket and the allocator's
// bookkeeping take well under 128 bytes.
std::size_t segment_size(std::size_t keys) {
  return std::max<std::size_t>(std::size_t{1} << 20, keys * 256 + (std::size_t{64} << 10));
}

class ShmDict final : public Dict {
 public:
  // Maps the segment (a client), or adopts the creator's mapping (the host).
  explicit ShmDict(const std::string& name) : name_(name) {
    try {
      segment_ = Segment(bip::open_only, name.c_str());
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error(
          fmt::format("dict-shm: cannot open /dev/shm/{}: {}", name, error.what()));
    }
    shared_ = segment_.find<SharedDict>(kObjectName).first;
    if (!shared_)
      throw std::runtime_error(fmt::format("dict-shm: /dev/shm/{} holds no ipcmeter dict", name));
  }
  ShmDict(Segment segment, SharedDict* shared, std::string name)
      : name_(std::move(name)), segment_(std::move(segment)), shared_(shared) {}

  std::optional<DictValue> get(DictKey key) override {
    bip::sharable_lock lock(shared_->mutex);
    auto it = shared_->map.find(key);
    if (it == shared_->map.end()) return std::nullopt;
    return it->second;
  }
  void put(DictKey key, const DictValue& value) override {
    bip::scoped_lock lock(shared_->mutex);
    try {
      shared_->map[key] = value;
    } catch (const bip::bad_alloc&) {
      throw std::runtime_error(
          fmt::format("dict-shm: /dev/shm/{} is full ({} keys)", name_, shared_->map.size()));
    }
  }
  bool erase(DictKey key) override {
    bip::scoped_lock lock(shared_->mutex);
    return shared_->map.erase(key) > 0;
  }
  std::size_t size() override {
    bip::sharable_lock lock(shared_->mutex);
    return shared_->map.size();
  }

 private:
  std::string name_;
  Segment segment_;
  SharedDict* shared_ = nullptr;
};

class ShmHost final : public DictHost {
 public:
  explicit ShmHost(const DictOptions& options)
      : name_(create_segment(options)), link_(format_address("dict-shm", {{"name", name_->name()}}), {}, {}) {
    try {
      Segment segment(bip::open_only, name_->name().c_str());
      SharedDict* shared = segment.construct<SharedDict>(kObjectName)(
          options.keys, EntryAllocator(segment.get_segment_manager()));
      view_.emplace(std::move(segment), shared, name_->name());
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error(
          fmt::format("dict-shm: cannot create /dev/shm/{}: {}", name_->name(), error.what()));
    }
  }
  const Link& link() const override { return link_; }
  Dict& direct() override { return *view_; }

  // The segment, created exclusively under a fresh name, 0600; its map is built in it above.
  static std::unique_ptr<SharedMemoryName> create_segment(const DictOptions& options) {
    try {
      return create_shared_memory("dict", [&](const std::string& fresh) {
        Segment(bip::create_only, fresh.c_str(), segment_size(options.keys), nullptr, owner_only());
      });
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error(
          fmt::format("dict-shm: cannot create a shared-memory segment: {}", error.what()));
    }
  }

 private:
  std::unique_ptr<SharedMemoryName> name_;  // declared first: removed after the mapping goes
  Link link_;
  std::optional<ShmDict> view_;
};

DictKind dict_shm_kind() {
  DictKind kind;
  kind.name = "dict-shm";
  kind.summary = "Boost.Interprocess unordered map in shared memory + interprocess_sharable_mutex";
  kind.create = [](const DictOptions& options) -> std::unique_ptr<DictHost> {
    return std::make_unique<ShmHost>(options);
  };
  kind.open = [](const std::string& address) -> std::unique_ptr<Dict> {
    return std::make_unique<ShmDict>(Address::parse(address).field("name"));
  };
  return kind;
}

const Registry<DictKind>::Add registered{dict_shm_kind};

}  // namespace
}  // namespace ipcmeter
