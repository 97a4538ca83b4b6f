// The media: a link per transport, the dictionaries, a dict manager and a queue manager per
// transport.
#include "harness/medium.hpp"

#include <fmt/ranges.h>

#include <stdexcept>

#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {

Endpoint& Handle::endpoint() {
  if (!endpoint_) throw std::logic_error("this medium is not a link: it has no endpoint");
  return *endpoint_;
}

Dict& Handle::dict() {
  if (!dict_) throw std::logic_error("this medium is not a dictionary");
  return *dict_;
}

void Handle::close() {
  if (endpoint_) endpoint_->close();
  if (dict_) dict_->close();
}

namespace {

// One link, shared by every peer (a fan-in's producers all send into it).
class LinkHost final : public MediumHost {
 public:
  LinkHost(const Transport& transport, const MediumOptions& options)
      : transport_(transport), link_(transport.create(link_options(options))) {}

  const Link& link(int) const override { return link_; }
  Handle open_leader(std::span<const int> peer_liveness) override {
    return Handle(transport_.open(link_.address(), Side::a, Liveness(peer_liveness)));
  }
  void peers_ready() override { link_.close_fds(); }

 private:
  static TransportOptions link_options(const MediumOptions& options) {
    TransportOptions link;
    link.max_message_size = options.max_message_size;
    link.wait = options.wait;
    link.capacity = options.capacity;
    link.senders = options.peers;
    link.host = options.host;
    return link;
  }
  const Transport& transport_;
  Link link_;
};

// The creator's own view of a map its DictHost owns.
class DictView final : public Dict {
 public:
  explicit DictView(Dict& map) : map_(map) {}
  std::optional<DictValue> get(DictKey key) override { return map_.get(key); }
  void put(DictKey key, const DictValue& value) override { map_.put(key, value); }
  bool erase(DictKey key) override { return map_.erase(key); }
  std::size_t size() override { return map_.size(); }

 private:
  Dict& map_;
};

// A map every client uses in place (dict-local, dict-locked, dict-shm).
class DictMediumHost final : public MediumHost {
 public:
  DictMediumHost(const DictKind& kind, const MediumOptions& options)
      : host_(kind.create({options.peers, options.keys})) {}
  const Link& link(int) const override { return host_->link(); }
  Handle open_leader(std::span<const int>) override {
    return Handle(std::make_unique<DictView>(host_->direct()));
  }

 private:
  std::unique_ptr<DictHost> host_;
};

MediumKind link_medium(const Transport& transport) {
  MediumKind kind = reached_over(transport, transport.name, "link");
  kind.summary = transport.summary;
  kind.shm_kind = transport.shm_kind;
  kind.shm_first_suffix = transport.shm_first_suffix;
  kind.alternating_only = transport.alternating_only;
  kind.many_senders = transport.many_senders;
  kind.many_receivers = transport.many_receivers;
  kind.shared_write_limit = transport.shared_write_limit;
  kind.shared_writers_hazard = transport.shared_writers_hazard;
  if (transport.default_depth > 0) kind.depth = depth_segment(transport.default_depth);
  std::string name = transport.name;
  kind.create = [name](const MediumOptions& options) -> std::unique_ptr<MediumHost> {
    return std::make_unique<LinkHost>(find_transport(name), options);
  };
  kind.open = [name](const std::string& address, Liveness leader) {
    return Handle(find_transport(name).open(address, Side::b, std::move(leader)));
  };
  return kind;
}

MediumKind dict_medium(const DictKind& dict) {
  MediumKind kind;
  kind.name = dict.name;
  kind.family = "dict";
  kind.summary = dict.summary;
  kind.crosses_processes = dict.crosses_processes;
  kind.shm_kind = dict.shm_kind;
  if (!dict.shared) {
    kind.max_peers = 1;
    kind.max_peers_reason = fmt::format("{} has no lock: it takes exactly 1 client", dict.name);
  }
  std::string name = dict.name;
  kind.create = [name](const MediumOptions& options) -> std::unique_ptr<MediumHost> {
    return std::make_unique<DictMediumHost>(*Registry<DictKind>::find(name), options);
  };
  // A map is used in place: nothing to wait on, so no liveness to watch.
  kind.open = [name](const std::string& address, Liveness) {
    return Handle(Registry<DictKind>::find(name)->open(address));
  };
  return kind;
}

// Nothing to create, open or wait on: the address every side "opens" is empty.
class NoMediumHost final : public MediumHost {
 public:
  const Link& link(int) const override { return link_; }
  Handle open_leader(std::span<const int>) override { return Handle(); }

 private:
  Link link_{"none:", {}, {}};
};

MediumKind no_medium() {
  MediumKind kind;
  kind.name = "none";
  kind.family = "link";
  kind.summary = "no medium: the workload's own work alone (the election UI inline, the parallel "
                 "projection's workers with no queue)";
  kind.none = true;
  kind.create = [](const MediumOptions&) -> std::unique_ptr<MediumHost> {
    return std::make_unique<NoMediumHost>();
  };
  kind.open = [](const std::string&, Liveness) { return Handle(); };
  return kind;
}

std::vector<MediumKind> build_media() {
  std::vector<MediumKind> media = {no_medium()};
  for (const auto& transport : all_transports()) media.push_back(link_medium(transport));
  for (const auto& dict : Registry<DictKind>::all()) media.push_back(dict_medium(dict));
  for (const auto& transport : all_transports())
    if (transport.family != "test") media.push_back(dict_manager_medium(transport));
  for (const auto& transport : all_transports())
    if (transport.family != "test") media.push_back(queue_manager_medium(transport));
  return media;
}

}  // namespace

MediumKind reached_over(const Transport& transport, std::string name, std::string family) {
  MediumKind kind;
  kind.name = std::move(name);
  kind.family = std::move(family);
  kind.crosses_processes = transport.crosses_processes;
  kind.crosses_hosts = transport.crosses_hosts;
  kind.ranks_only = transport.ranks_only;
  kind.waits = transport.waits;
  kind.transport = transport.name;
  return kind;
}

namespace {

std::string family_noun(const std::string& family) {
  return family == "dict" ? "dictionary" : family == "link" ? "transport" : family;
}

}  // namespace

const std::vector<MediumKind>& all_media() {
  static const std::vector<MediumKind> media = build_media();
  return media;
}

std::vector<std::string> medium_names(const std::string& family) {
  std::vector<std::string> names;
  for (const auto& kind : all_media())
    if (kind.family == family) names.push_back(kind.name);
  return names;
}

const MediumKind* find_medium_or_null(const std::string& name, const std::string& family) {
  for (const auto& kind : all_media())
    if (kind.name == name && kind.family == family) return &kind;
  return nullptr;
}

const MediumKind& find_medium(const std::string& name, const std::string& family) {
  if (const MediumKind* kind = find_medium_or_null(name, family)) return *kind;
  throw UsageError(fmt::format("unknown {} '{}' (known: {})", family_noun(family), name,
                               fmt::join(medium_names(family), ", ")));
}

Segment depth_segment(std::uint64_t fallback) {
  Segment depth;
  depth.key = "depth";
  depth.noun = "queue depth";
  depth.min = 1;
  depth.max = kMaxDepth;
  depth.fallback = fallback;
  depth.note = " messages";
  return depth;
}

}  // namespace ipcmeter
