// dict-manager-<transport>: the mechanism behind Python's Manager().dict(). The host owns
// the map; one server thread per client (the Manager's thread per connection) answers that
// client's requests over its own link of any registered transport. Every operation is one
// request and one reply of 32 bytes, so even a strictly alternating transport carries it.
#include <pthread.h>
#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
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

std::uint64_t thread_cpu_now() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

TransportOptions link_options(const DictOptions& options) {
  TransportOptions link;
  link.max_message_size = sizeof(Request);
  link.wait = options.wait;
  link.first_sender = Side::b;  // the client asks, the server answers
  return link;
}

// The map lives here; the server threads and the creator's direct() share one LockedDict.
class ManagerHost final : public DictHost {
 public:
  ManagerHost(const Transport& transport, const DictOptions& options)
      : transport_(transport), view_(shared_) {
    shared_.map.reserve(options.keys);
    for (int i = 0; i < options.clients; ++i) links_.push_back(transport.create(link_options(options)));
    servers_ = std::vector<Server>(static_cast<std::size_t>(options.clients));
  }

  void serve() override {
    if (serving_) return;
    serving_ = true;
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      servers_[i].thread = std::thread([this, i] { serve_client(i); });
      servers_[i].handle = servers_[i].thread.native_handle();
      servers_[i].started.store(true, std::memory_order_release);
    }
  }
  ~ManagerHost() override { stop(); }

  const Link& link(int client) const override { return links_.at(static_cast<std::size_t>(client)); }
  Dict& direct() override { return view_; }

  void clients_ready() override {
    serve();
    // Each client has opened its side; a server's open (an accept, say) completes now.
    std::unique_lock lock(mutex_);
    for (;;) {
      bool all_open = true;
      for (const auto& server : servers_) {
        if (server.finished && server.error) throw std::runtime_error(*server.error);
        all_open = all_open && server.opened;
      }
      if (all_open) break;
      changed_.wait_for(lock, std::chrono::milliseconds(50));
      throw_if_interrupted("waiting for the dict-manager server threads");
    }
    lock.unlock();
    // Every side holds its own copies now; the originals would hide a client's end.
    for (auto& link : links_) link.close_fds();
  }

  void interrupt() noexcept override {
    for (auto& server : servers_)
      if (server.started.load(std::memory_order_acquire) &&
          !server.joined.load(std::memory_order_acquire))
        ::pthread_kill(server.handle, kInterruptSignal);
  }

  std::optional<std::string> stop() override {
    if (stopped_) return first_error();
    stopped_ = true;
    {
      // A server ends when its client says goodbye or its link reaches end-of-file. Every
      // client has ended by now, so one still waiting after a short grace (its client died
      // over a link with no end-of-file, or never came) is woken and unwinds.
      std::unique_lock lock(mutex_);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      auto all_finished = [&] {
        for (const auto& server : servers_)
          if (server.started.load(std::memory_order_relaxed) && !server.finished) return false;
        return true;
      };
      while (!changed_.wait_until(lock, deadline, all_finished)) {
        lock.unlock();
        request_interrupt();
        interrupt();
        lock.lock();
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
      }
    }
    for (auto& server : servers_) {
      server.joined.store(true, std::memory_order_release);
      if (server.thread.joinable()) server.thread.join();
    }
    for (auto& link : links_) link.close_fds();
    return first_error();
  }

  std::uint64_t server_cpu_ns() const override {
    std::lock_guard lock(mutex_);
    std::uint64_t sum = 0;
    for (const auto& server : servers_) sum += server.cpu_ns;
    return sum;
  }

 private:
  struct Server {
    std::thread thread;
    pthread_t handle{};
    std::atomic<bool> started{false};
    std::atomic<bool> joined{false};
    bool opened = false;
    bool finished = false;
    std::optional<std::string> error;
    std::uint64_t cpu_ns = 0;
  };

  std::optional<std::string> first_error() const {
    std::lock_guard lock(mutex_);
    for (const auto& server : servers_)
      if (server.error) return server.error;
    return std::nullopt;
  }

  void serve_client(std::size_t i) {
    std::string who = "dict-manager-" + transport_.name + " server " + std::to_string(i);
    // Another client's end is not this one's (see interrupt.hpp).
    ignore_peer_gone_in_this_thread();
    std::optional<std::string> error;
    std::uint64_t cpu_start = thread_cpu_now();
    try {
      std::unique_ptr<Endpoint> endpoint = transport_.open(links_[i].address(), Side::a);
      {
        std::lock_guard lock(mutex_);
        servers_[i].opened = true;
      }
      changed_.notify_all();
      cpu_start = thread_cpu_now();
      Request request{};
      Reply reply{};
      for (;;) {
        std::size_t n = endpoint->recv(bytes_of(request));
        if (n != sizeof request)
          throw IntegrityError(who + ": a request of " + std::to_string(n) + " bytes, not " +
                               std::to_string(sizeof request));
        reply = Reply{Status::ok, 0, 0, {}};
        switch (request.op) {
          case Op::get:
            if (auto value = view_.get(request.key))
              reply.value = *value;
            else
              reply.status = Status::missing;
            break;
          case Op::put:
            view_.put(request.key, request.value);
            break;
          case Op::erase:
            if (!view_.erase(request.key)) reply.status = Status::missing;
            break;
          case Op::size:
            reply.size = view_.size();
            break;
          case Op::bye:
            break;
          default:
            reply.status = Status::bad_request;
        }
        endpoint->send(bytes_of(reply));
        if (request.op == Op::bye) break;
      }
      endpoint->close();
    } catch (const PeerClosed&) {
      // The client went without a goodbye: its own end explains the run's failure.
      error = who + ": client went away without saying goodbye";
    } catch (const std::exception& failure) {
      error = who + ": " + failure.what();
    }
    std::lock_guard lock(mutex_);
    servers_[i].cpu_ns = thread_cpu_now() - cpu_start;
    servers_[i].error = std::move(error);
    servers_[i].finished = true;
    changed_.notify_all();
  }

  const Transport& transport_;
  LockedMap shared_;
  LockedDict view_;
  std::vector<Link> links_;
  std::vector<Server> servers_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool serving_ = false;
  bool stopped_ = false;
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
  bool erase(DictKey key) override {
    return call({Op::erase, 0, key, {}}).status == Status::ok;
  }
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
    if (!endpoint_) throw std::logic_error(name_ + ": used after close");
    endpoint_->send(bytes_of(request));
    Reply reply{};
    std::size_t n = endpoint_->recv(bytes_of(reply));
    if (n != sizeof reply)
      throw IntegrityError(name_ + ": a reply of " + std::to_string(n) + " bytes, not " +
                           std::to_string(sizeof reply));
    if (reply.status != Status::ok && reply.status != Status::missing)
      throw IntegrityError(name_ + ": the server did not understand request " +
                           std::to_string(static_cast<std::uint32_t>(request.op)));
    return reply;
  }

  std::unique_ptr<Endpoint> endpoint_;
  std::string name_;
};

}  // namespace

DictKind dict_manager_kind(const Transport& transport) {
  DictKind kind;
  kind.name = "dict-manager-" + transport.name;
  kind.summary = "server threads own the map and answer requests over " + transport.name;
  kind.crosses_processes = transport.crosses_processes;
  kind.transport = transport.name;
  kind.waits = transport.waits;
  std::string name = transport.name;
  kind.create = [name](const DictOptions& options) -> std::unique_ptr<DictHost> {
    return std::make_unique<ManagerHost>(find_transport(name), options);
  };
  kind.open = [name](const std::string& address) -> std::unique_ptr<Dict> {
    return std::make_unique<ManagerClient>(find_transport(name).open(address, Side::b),
                                           "dict-manager-" + name + " client");
  };
  return kind;
}

}  // namespace ipcmeter
