// dict-manager-<transport>: the mechanism behind Python's Manager().dict(). The harness owns
// the map; a ManagerHost's server threads answer each client's requests over its own link of
// any registered transport. Every operation is one request and one reply of 32 bytes, so
// even a strictly alternating transport (REQ/REP) carries it.
#include <fmt/core.h>

#include <cstring>

#include "harness/manager.hpp"
#include "harness/medium.hpp"
#include "transports/errors.hpp"
#include "transports/locked_map.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

enum class Op : std::uint32_t { get = 1, put = 2, erase = 3, size = 4, bye = 5 };
enum class Status : std::uint32_t { ok = 0, missing = 1, bad_request = 2 };

struct Request {
  Op op;
  std::uint32_t reserved = 0;
  DictKey key = 0;
  DictValue value;
};
struct Reply {
  Status status;
  std::uint32_t reserved = 0;
  std::uint64_t size = 0;
  DictValue value;
};
static_assert(sizeof(Request) == 32 && sizeof(Reply) == 32);

template <typename T>
std::span<std::byte> bytes_of(T& object) {
  return {reinterpret_cast<std::byte*>(&object), sizeof object};
}

// The map lives here; the server threads and the leader's view share one lock.
class DictManagerHost final : public ManagerHost {
 public:
  DictManagerHost(const Transport& transport, const MediumOptions& options)
      : ManagerHost(transport, options, sizeof(Request)), view_(shared_) {
    shared_.map.reserve(options.keys);
  }
  ~DictManagerHost() override { end_servers(); }  // before the map goes

  Handle open_leader(std::span<const int>) override {
    return Handle(std::make_unique<LockedDict>(shared_));
  }

 private:
  std::size_t answer(const Caller&, std::span<const std::byte> bytes,
                     std::span<std::byte> reply_bytes, bool& goodbye) override {
    if (bytes.size() != sizeof(Request))
      throw IntegrityError(
          fmt::format("a request of {} bytes, not {}", bytes.size(), sizeof(Request)));
    Request request;
    std::memcpy(&request, bytes.data(), sizeof request);
    Reply reply{Status::ok, 0, 0, {}};
    switch (request.op) {
      case Op::get:
        if (auto value = view_.get(request.key))
          reply.value = *value;
        else
          reply.status = Status::missing;
        break;
      case Op::put: view_.put(request.key, request.value); break;
      case Op::erase:
        if (!view_.erase(request.key)) reply.status = Status::missing;
        break;
      case Op::size: reply.size = view_.size(); break;
      case Op::bye: goodbye = true; break;
      default: reply.status = Status::bad_request;
    }
    std::memcpy(reply_bytes.data(), &reply, sizeof reply);
    return sizeof reply;
  }

  LockedMap shared_;
  LockedDict view_;
};

// A client: every call is one request and its reply.
class ManagerClient final : public Dict {
 public:
  ManagerClient(std::unique_ptr<Endpoint> endpoint, std::string name)
      : endpoint_(std::move(endpoint)), name_(std::move(name)) {}

  std::optional<DictValue> get(DictKey key) override {
    Reply reply = call({Op::get, 0, key, {}});
    if (reply.status == Status::missing) return std::nullopt;
    return reply.value;
  }
  void put(DictKey key, const DictValue& value) override { call({Op::put, 0, key, value}); }
  bool erase(DictKey key) override { return call({Op::erase, 0, key, {}}).status == Status::ok; }
  std::size_t size() override { return call({Op::size, 0, 0, {}}).size; }
  void close() override {
    if (!endpoint_) return;
    // The goodbye is answered, so no transport drops it on close (ZeroMQ's linger is 0).
    call({Op::bye, 0, 0, {}});
    endpoint_->close();
    endpoint_.reset();
  }

 private:
  Reply call(Request request) {
    if (!endpoint_) throw std::logic_error(fmt::format("{}: used after close", name_));
    endpoint_->send(bytes_of(request));
    Reply reply{};
    std::size_t n = endpoint_->recv(bytes_of(reply));
    if (n != sizeof reply)
      throw IntegrityError(fmt::format("{}: a reply of {} bytes, not {}", name_, n, sizeof reply));
    if (reply.status != Status::ok && reply.status != Status::missing)
      throw IntegrityError(fmt::format("{}: the server did not understand request {}", name_,
                                       static_cast<std::uint32_t>(request.op)));
    return reply;
  }

  std::unique_ptr<Endpoint> endpoint_;
  std::string name_;
};

}  // namespace

MediumKind dict_manager_medium(const Transport& transport) {
  // Its clients reach the server as the transport does.
  MediumKind kind = reached_over(transport, fmt::format("dict-manager-{}", transport.name), "dict");
  kind.managed = true;
  kind.summary =
      fmt::format("server threads own the map and answer requests over {}", transport.name);
  std::string name = transport.name;
  kind.create = [name](const MediumOptions& options) -> std::unique_ptr<MediumHost> {
    return std::make_unique<DictManagerHost>(find_transport(name), options);
  };
  kind.open = [name](const std::string& address, Liveness leader) {
    return Handle(std::make_unique<ManagerClient>(
        find_transport(name).open(address, Side::b, std::move(leader)),
        fmt::format("dict-manager-{} client", name)));
  };
  return kind;
}

}  // namespace ipcmeter
