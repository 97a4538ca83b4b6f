// The dictionary workloads: plans, the verifying client, the end-state check, and their
// registration as dict-get, dict-put and dict-mixed.
#include "harness/workloads/dict.hpp"

#include <fmt/core.h>

#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

constexpr int kWriterShift = 40;  // stamp = (writer + 1) << 40 | operation number + 1

std::uint64_t owner_of(std::uint64_t stamp) { return stamp >> kWriterShift; }  // 0: preload

std::string client_text(int client, std::uint64_t op, DictKey key) {
  return fmt::format("client {} operation {} key {}", client, op, key);
}

}  // namespace

const std::vector<DictWorkload>& all_dict_workloads() {
  static const std::vector<DictWorkload> workloads = {
      {"dict-get", "gets of present small int keys (hits)", 0},
      {"dict-put", "puts replacing present keys", 100},
      {"dict-mixed", "90% gets, 10% puts", 10},
  };
  return workloads;
}

const DictWorkload& find_dict_workload(const std::string& name) {
  for (const auto& workload : all_dict_workloads())
    if (workload.name == name) return workload;
  throw UsageError(
      fmt::format("unknown dict workload '{}' (known: dict-get, dict-put, dict-mixed)", name));
}

DictPlan::DictPlan(const DictWorkload& workload, int client, int clients, std::size_t keys)
    : state_(0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(client + 1) ^ 0xD1B54A32D192ED03ull),
      put_percent_(workload.put_percent),
      client_(static_cast<std::uint64_t>(client)),
      clients_(static_cast<std::uint64_t>(clients)),
      keys_(keys),
      owned_(keys / static_cast<std::size_t>(clients)) {
  if (clients < 1 || client < 0 || client >= clients || owned_ == 0)
    throw UsageError("a dict plan needs 0 <= client < clients <= keys");
}

DictPlan::Op DictPlan::next() noexcept {
  // xorshift64*: cheap next to any dictionary operation, and plenty random for key choice.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  std::uint64_t r = state_ * 0x2545F4914F6CDD1Dull;
  std::uint64_t op = done_++;
  if ((r >> 40) % 100 < put_percent_)
    return {true, (r % owned_) * clients_ + client_,
            (client_ + 1) << kWriterShift | (op + 1)};
  return {false, r % keys_, 0};
}

void preload_dict(Dict& dict, std::size_t keys) {
  for (DictKey key = 0; key < keys; ++key) dict.put(key, make_dict_value(key, 0));
}

DictClient::DictClient(const DictWorkload& workload, int client, int clients, std::size_t keys)
    : plan_(workload, client, clients, keys),
      client_(client),
      clients_(static_cast<std::uint64_t>(clients)),
      written_(keys / static_cast<std::size_t>(clients) + 1, 0) {}

void DictClient::step(Dict& dict) {
  const std::uint64_t i = done_++;
  DictPlan::Op op = plan_.next();
  if (op.put) {
    dict.put(op.key, make_dict_value(op.key, op.stamp));
    written_[op.key / clients_] = op.stamp;
    return;
  }
  std::optional<DictValue> value = dict.get(op.key);
  if (!value) throw IntegrityError(fmt::format("{}: missing", client_text(client_, i, op.key)));
  if (value->check != dict_check(op.key, value->stamp))
    throw IntegrityError(fmt::format("{}: value fails its check (torn, corrupt or another key's)",
                                     client_text(client_, i, op.key)));
  std::uint64_t writer = owner_of(value->stamp);
  if (writer != 0 && writer - 1 != op.key % clients_)
    throw IntegrityError(fmt::format("{}: written by client {}, which does not own it",
                                     client_text(client_, i, op.key), writer - 1));
  if (op.key % clients_ == static_cast<std::uint64_t>(client_) &&
      value->stamp != written_[op.key / clients_])
    throw IntegrityError(fmt::format("{}: reads stamp {}, not the {} it last wrote",
                                     client_text(client_, i, op.key), value->stamp,
                                     written_[op.key / clients_]));
}

void run_dict_client(Dict& dict, const DictWorkload& workload, int client, int clients,
                     std::uint64_t count, std::size_t keys) {
  DictClient dict_client(workload, client, clients, keys);
  for (std::uint64_t i = 0; i < count; ++i) dict_client.step(dict);
}

void verify_dict_end(Dict& dict, const DictWorkload& workload, int clients,
                     const std::vector<std::uint64_t>& counts, std::size_t keys) {
  std::vector<std::uint64_t> expected(keys, 0);
  for (int client = 0; client < clients; ++client) {
    DictPlan plan(workload, client, clients, keys);
    for (std::uint64_t i = 0; i < counts.at(static_cast<std::size_t>(client)); ++i)
      if (DictPlan::Op op = plan.next(); op.put) expected[op.key] = op.stamp;
  }
  if (std::size_t size = dict.size(); size != keys)
    throw IntegrityError(fmt::format("the dict ended with {} keys, not {}", size, keys));
  for (DictKey key = 0; key < keys; ++key) {
    std::optional<DictValue> value = dict.get(key);
    if (!value || *value != make_dict_value(key, expected[key]))
      throw IntegrityError(fmt::format(
          "key {} ended {}, not with the last write of its owner (stamp {}): a write was lost", key,
          value ? fmt::format("with stamp {}", value->stamp) : std::string("missing"),
          expected[key]));
  }
}

namespace {

// The leader preloads the map, then only waits: the clients do the work, and the timed
// section ends with the last client's report. After the run it replays every client's
// writes, as many as each reported doing, and checks the map's end state.
class AwaitClients final : public Lead {
 public:
  AwaitClients(LeaderSide& side, const DictWorkload& workload) : side_(side), workload_(workload) {
    preload_dict(side.handle.dict());
  }
  void run() override {
    side_.await_peers();
    side_.completed = side_.peers_completed();
  }
  void check() override {
    std::vector<std::uint64_t> counts;
    for (int i = 0; i < side_.spec.peer_count(); ++i) counts.push_back(side_.report(i).completed);
    verify_dict_end(side_.handle.dict(), workload_, side_.spec.peer_count(), counts);
  }

 private:
  LeaderSide& side_;
  const DictWorkload& workload_;
};

class Client final : public Follow {
 public:
  Client(PeerSide& side, const DictWorkload& workload)
      : side_(side), client_(workload, side.spec.peer_index, side.run.peer_count()) {}
  void run() override {
    Dict& dict = side_.handle.dict();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      side_.tick();
      client_.step(dict);
    }
    side_.completed = client_.done();
  }

 private:
  PeerSide& side_;
  DictClient client_;
};

Workload dict_workload(const DictWorkload& dict) {
  Workload work;
  work.name = dict.name;
  work.summary = dict.summary;
  work.iteration = "operation";
  work.medium = "dict";
  Segment clients;
  clients.key = "clients";
  clients.noun = "clients";
  clients.max = kMaxPeers;
  work.segments = {clients};
  work.peers_key = "clients";
  work.warm_up = WarmUp::operations;
  work.lead = [&dict](LeaderSide& side) { return std::make_unique<AwaitClients>(side, dict); };
  work.follow = [&dict](PeerSide& side) { return std::make_unique<Client>(side, dict); };
  return work;
}

const Registry<Workload>::Add get_registered{
    [] { return dict_workload(find_dict_workload("dict-get")); }};
const Registry<Workload>::Add put_registered{
    [] { return dict_workload(find_dict_workload("dict-put")); }};
const Registry<Workload>::Add mixed_registered{
    [] { return dict_workload(find_dict_workload("dict-mixed")); }};

}  // namespace
}  // namespace ipcmeter
