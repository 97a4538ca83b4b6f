#include "harness/workloads/dict.hpp"

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

constexpr int kWriterShift = 40;  // stamp = (writer + 1) << 40 | operation number + 1

std::uint64_t owner_of(std::uint64_t stamp) { return stamp >> kWriterShift; }  // 0: preload

std::string client_text(int client, std::uint64_t op, DictKey key) {
  return "client " + std::to_string(client) + " operation " + std::to_string(op) + " key " +
         std::to_string(key);
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

bool is_dict_workload(const std::string& name) {
  for (const auto& workload : all_dict_workloads())
    if (workload.name == name) return true;
  return false;
}

const DictWorkload& find_dict_workload(const std::string& name) {
  for (const auto& workload : all_dict_workloads())
    if (workload.name == name) return workload;
  throw UsageError("unknown dict workload '" + name + "' (known: dict-get, dict-put, dict-mixed)");
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

void run_dict_client(Dict& dict, const DictWorkload& workload, int client, int clients,
                     std::uint64_t count, std::size_t keys) {
  DictPlan plan(workload, client, clients, keys);
  // What this client last wrote to each key it owns (index key / clients).
  std::vector<std::uint64_t> written(keys / static_cast<std::size_t>(clients) + 1, 0);
  const auto me = static_cast<std::uint64_t>(client);
  const auto all = static_cast<std::uint64_t>(clients);
  for (std::uint64_t i = 0; i < count; ++i) {
    DictPlan::Op op = plan.next();
    if (op.put) {
      dict.put(op.key, make_dict_value(op.key, op.stamp));
      written[op.key / all] = op.stamp;
      continue;
    }
    std::optional<DictValue> value = dict.get(op.key);
    if (!value) throw IntegrityError(client_text(client, i, op.key) + ": missing");
    if (value->check != dict_check(op.key, value->stamp))
      throw IntegrityError(client_text(client, i, op.key) +
                           ": value fails its check (torn, corrupt or another key's)");
    std::uint64_t writer = owner_of(value->stamp);
    if (writer != 0 && writer - 1 != op.key % all)
      throw IntegrityError(client_text(client, i, op.key) + ": written by client " +
                           std::to_string(writer - 1) + ", which does not own it");
    if (op.key % all == me && value->stamp != written[op.key / all])
      throw IntegrityError(client_text(client, i, op.key) + ": reads stamp " +
                           std::to_string(value->stamp) + ", not the " +
                           std::to_string(written[op.key / all]) + " it last wrote");
  }
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
    throw IntegrityError("the dict ended with " + std::to_string(size) + " keys, not " +
                         std::to_string(keys));
  for (DictKey key = 0; key < keys; ++key) {
    std::optional<DictValue> value = dict.get(key);
    if (!value || *value != make_dict_value(key, expected[key]))
      throw IntegrityError(
          "key " + std::to_string(key) + " ended " +
          (value ? "with stamp " + std::to_string(value->stamp) : std::string("missing")) +
          ", not with the last write of its owner (stamp " + std::to_string(expected[key]) +
          "): a write was lost");
  }
}

}  // namespace ipcmeter
