// queue-manager-<transport>: the mechanism behind Python's Manager().Queue(maxsize=depth).
// The leader's server threads (a ManagerHost: one per client, as the Manager has a thread per
// connection) hold two bounded FIFO queues, one each way (what the leader sends, what the
// peers send), as a duplex exchange through a Manager takes two of its queues. Every put and
// every get, the leader's too, is a request and its reply over the client's own link of any
// transport. A put waits in its server thread while its queue is full and a get while it is
// empty, as Queue.put and Queue.get block in the Manager's thread for that connection.
//
// To the workloads it is a link: send puts, recv gets, poll is a get with a time limit whose
// message is held for the next receive. Every workload over links runs over it unchanged.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "harness/manager.hpp"
#include "harness/medium.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// The documents' own example of a process queue is a Manager's Queue(maxsize=3).
constexpr std::uint64_t kDefaultDepth = 3;
// Condition variables ignore signals: a waiting answer wakes this often to look at the
// watchdog's flag and, when nothing came, at whether its client is still there.
constexpr auto kWakeCheck = std::chrono::milliseconds(50);

enum class Op : std::uint32_t { put = 2, get = 3, bye = 4 };
enum class Status : std::uint32_t { ok = 0, empty = 1, closed = 2, bad_request = 3 };

// A get waits this long: for ever (kWaitForever), at most wait_ns, or not at all (0). A
// poll of more than a day waits for ever (the sum with the clock must not overflow).
constexpr std::int64_t kWaitForever = -1;
constexpr std::int64_t kLongestWaitNs = std::int64_t{86400} * 1'000'000'000;

struct Request {
  Op op;
  std::uint32_t reserved = 0;
  std::int64_t wait_ns = 0;  // a get's wait
};  // followed, in a put, by the message
struct Reply {
  Status status;
  std::uint32_t reserved = 0;
  std::uint64_t value = 0;  // a get's: the message's size
};  // followed, in a get's, by the message
static_assert(sizeof(Request) == 16 && sizeof(Reply) == 16);
constexpr std::size_t kHeader = sizeof(Request);

// A client's address: the largest message (its buffers' size, which a queue under the queue
// insists on: Boost's receive takes no buffer smaller than a slot), then the link's address.
constexpr const char* kAddressPrefix = "queue-manager:max=";
constexpr const char* kLinkField = ";link=";

std::pair<std::size_t, std::string> parse_address(const std::string& text) {
  std::string prefix = kAddressPrefix;
  auto link = text.find(kLinkField);
  std::size_t max = 0;
  const char* first = text.data() + prefix.size();
  const char* last = text.data() + (link == std::string::npos ? 0 : link);
  if (text.rfind(prefix, 0) != 0 || link == std::string::npos ||
      std::from_chars(first, last, max).ptr != last || max == 0)
    throw UsageError(fmt::format("malformed queue manager address '{}' (expected {}BYTES{}ADDRESS)",
                                 text, prefix, kLinkField));
  return {max, text.substr(link + std::string(kLinkField).size())};
}

// A bounded FIFO of `depth` slots of the largest message, in one allocation left
// uninitialised (a deep queue costs only the pages its messages touch), with the clients
// that may still put into it and get from it: a wait that no client can ever end is
// answered "closed" instead, so a peer that dies ends its counterpart's wait.
class BoundedFifo {
 public:
  BoundedFifo(std::size_t depth, std::size_t slot, int writers, int readers)
      : depth_(depth), slot_(slot), slots_(new std::byte[depth * slot]), sizes_(depth),
        writers_(writers), readers_(readers) {}

  Status put(std::span<const std::byte> message, const Liveness& client) {
    if (message.size() > slot_)
      throw std::length_error(fmt::format("a message of {} bytes exceeds the queue's slot of {}",
                                          message.size(), slot_));
    std::unique_lock lock(mutex_);
    if (count_ == depth_) ++full_puts_;
    while (count_ == depth_ && readers_ > 0) wait(lock, not_full_, kWakeCheck, client);
    if (readers_ == 0) return Status::closed;
    std::size_t slot = (head_ + count_) % depth_;
    if (!message.empty()) std::memcpy(slots_.get() + slot * slot_, message.data(), message.size());
    sizes_[slot] = message.size();
    ++count_;
    not_empty_.notify_one();
    return Status::ok;
  }

  // The oldest message into `out`; what it got and its size. What was put before every
  // writer went is still delivered first.
  std::pair<Status, std::size_t> get(std::span<std::byte> out, std::int64_t wait_ns,
                                     const Liveness& client) {
    if (wait_ns < 0 || wait_ns > kLongestWaitNs) wait_ns = kWaitForever;
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::max<std::int64_t>(wait_ns, 0));
    while (count_ == 0) {
      if (writers_ == 0) return {Status::closed, 0};
      auto left = wait_ns == kWaitForever ? std::chrono::steady_clock::duration(kWakeCheck)
                                          : deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return {Status::empty, 0};
      wait(lock, not_empty_, std::min<std::chrono::steady_clock::duration>(left, kWakeCheck), client);
    }
    std::size_t size = sizes_[head_];
    if (size > out.size()) throw std::logic_error("a reply buffer smaller than the queue's slot");
    if (size > 0) std::memcpy(out.data(), slots_.get() + head_ * slot_, size);
    head_ = (head_ + 1) % depth_;
    --count_;
    not_full_.notify_one();
    return {Status::ok, size};
  }

  void writer_gone() noexcept { change([&] { --writers_; }); }
  void reader_gone() noexcept { change([&] { --readers_; }); }

  std::uint64_t full_puts() const {
    std::lock_guard lock(mutex_);
    return full_puts_;
  }

 private:
  // One wait of at most `most`; throws Interrupted for the watchdog, PeerClosed when the
  // client that waits has gone (its server then ends as for any client's end).
  void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
            std::chrono::steady_clock::duration most, const Liveness& client) {
    bool timed_out = condition.wait_for(lock, most) == std::cv_status::timeout;
    throw_if_interrupted("queue manager wait");
    if (timed_out && client.gone()) throw PeerClosed("the client went away while it waited");
  }

  template <typename Change>
  void change(Change what) noexcept {
    {
      std::lock_guard lock(mutex_);
      what();
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  const std::size_t depth_;
  const std::size_t slot_;
  std::unique_ptr<std::byte[]> slots_;
  std::vector<std::size_t> sizes_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  int writers_;
  int readers_;
  std::uint64_t full_puts_ = 0;
};

template <typename T>
T header_of(std::span<const std::byte> bytes) {
  T header;
  std::memcpy(&header, bytes.data(), sizeof header);
  return header;
}

template <typename T>
void put_header(std::span<std::byte> bytes, const T& header) {
  std::memcpy(bytes.data(), &header, sizeof header);
}

// The queues live here; the peers' clients and the leader's each have a server thread.
class QueueManagerHost final : public ManagerHost {
 public:
  QueueManagerHost(const Transport& transport, const MediumOptions& options)
      : ManagerHost(transport, options, kHeader + options.max_message_size, true),
        name_(fmt::format("queue-manager-{}", transport.name)),
        max_message_(options.max_message_size),
        to_peers_(depth_of(options), options.max_message_size, 1, options.peers),
        to_leader_(depth_of(options), options.max_message_size, options.peers, 1) {}
  ~QueueManagerHost() override { end_servers(); }  // before the queues go

  Handle open_leader(std::span<const int>) override;
  // The link's address, after the largest message: "queue-manager:max=64;link=pipe:a=7,4;...".
  std::string address(int peer) const override {
    return fmt::format("{}{}{}{}", kAddressPrefix, max_message_, kLinkField, link(peer).address());
  }

  void report(Counters& counters) const override {
    ManagerHost::report(counters);
    // How often a producer found the queue full and waited for room: what depth changes.
    counters.add("full_puts_per_iter", static_cast<double>(to_peers_.full_puts() + to_leader_.full_puts()),
                 Counter::Per::iteration);
  }

 private:
  static std::size_t depth_of(const MediumOptions& options) {
    return options.capacity > 0 ? options.capacity : kDefaultDepth;
  }

  std::size_t answer(const Caller& caller, std::span<const std::byte> request,
                     std::span<std::byte> reply, bool& goodbye) override {
    if (request.size() < kHeader)
      throw IntegrityError(
          fmt::format("a request of {} bytes, shorter than its header", request.size()));
    auto asked = header_of<Request>(request);
    // The leader sends to the peers and receives from them; a peer the other way round.
    BoundedFifo& outbox = caller.leader ? to_peers_ : to_leader_;
    BoundedFifo& inbox = caller.leader ? to_leader_ : to_peers_;
    Reply answered{Status::ok, 0, 0};
    std::size_t size = kHeader;
    switch (asked.op) {
      case Op::put: answered.status = outbox.put(request.subspan(kHeader), caller.client); break;
      case Op::get: {
        auto [status, got] = inbox.get(reply.subspan(kHeader), asked.wait_ns, caller.client);
        answered.status = status;
        answered.value = got;
        size += got;
        break;
      }
      case Op::bye: goodbye = true; break;
      default: answered.status = Status::bad_request;
    }
    put_header(reply, answered);
    return size;
  }

  void client_ended(const Caller& caller) noexcept override {
    (caller.leader ? to_peers_ : to_leader_).writer_gone();
    (caller.leader ? to_leader_ : to_peers_).reader_gone();
  }

  std::string name_;
  std::size_t max_message_;
  BoundedFifo to_peers_;
  BoundedFifo to_leader_;
};

// A client: the queue as an Endpoint. Each call is one request and its reply; a message a
// poll got is held for the next receive.
class QueueClient final : public Endpoint {
 public:
  // `held` stays open as long as this client (the leader's: its server's sign of its end).
  // The buffers are sized once for the largest message: the hot path allocates nothing.
  QueueClient(std::unique_ptr<Endpoint> link, Fd held, std::string name, std::size_t max_message)
      : link_(std::move(link)), held_fd_(std::move(held)), name_(std::move(name)),
        max_message_(max_message), request_(kHeader + max_message), reply_(kHeader + max_message),
        ack_(kHeader + max_message) {}

  void send(std::span<const std::byte> message) override {
    if (message.size() > max_message_)
      throw std::length_error(fmt::format("{}: message of {} bytes exceeds the queue's slot of {}",
                                          name_, message.size(), max_message_));
    // The put's reply lands in a buffer of its own: a view recv_view gave stays valid.
    if (!message.empty()) std::memcpy(request_.data() + kHeader, message.data(), message.size());
    Reply reply = call(Op::put, 0, ack_, message.size());
    if (reply.status == Status::closed)
      throw PeerClosed(fmt::format("peer gone from {}: nobody left to get", name_));
    expect_ok(reply, "put");
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    fill(kWaitForever);
    if (held_ == Held::end)
      throw PeerClosed(fmt::format("peer gone from {}: nobody left to put", name_));
    if (held_size_ > buffer.size())  // kept for a receive with room for it
      throw std::length_error(fmt::format("{}: message of {} bytes does not fit a {}-byte buffer",
                                          name_, held_size_, buffer.size()));
    if (held_size_ > 0) std::memcpy(buffer.data(), reply_.data() + kHeader, held_size_);
    held_ = Held::nothing;
    return held_size_;
  }

  // The message as it lies in the reply buffer, valid until the next receive.
  std::span<const std::byte> recv_view(std::span<std::byte>) override {
    fill(kWaitForever);
    if (held_ == Held::end)
      throw PeerClosed(fmt::format("peer gone from {}: nobody left to put", name_));
    held_ = Held::nothing;
    return std::span<const std::byte>(reply_).subspan(kHeader, held_size_);
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    std::int64_t wait_ns = std::max<std::int64_t>(timeout.count(), 0);
    return fill(wait_ns > kLongestWaitNs ? kWaitForever : wait_ns);
  }

  void close() override {
    if (!link_) return;
    // The goodbye is answered, so no transport drops it on close (ZeroMQ's linger is 0).
    expect_ok(call(Op::bye, 0, ack_), "goodbye");
    link_->close();
    link_.reset();
    held_fd_.reset();
  }

 private:
  enum class Held { nothing, message, end };

  // Gets the next message into the reply buffer unless one is held; true when a message (or
  // the queue's end) is held.
  bool fill(std::int64_t wait_ns) {
    if (held_ != Held::nothing) return true;
    Reply reply = call(Op::get, wait_ns, reply_);
    if (reply.status == Status::empty) return false;
    if (reply.status == Status::closed) {
      held_ = Held::end;
      return true;
    }
    expect_ok(reply, "get");
    if (reply.value != received_ - kHeader)
      throw IntegrityError(fmt::format("{}: a get's reply of {} bytes says its message has {}",
                                       name_, received_, reply.value));
    held_ = Held::message;
    held_size_ = reply.value;
    return true;
  }

  // One request (the first `payload` bytes after request_'s header go with it) and its
  // reply, received into `into`.
  Reply call(Op op, std::int64_t wait_ns, std::span<std::byte> into, std::size_t payload = 0) {
    if (!link_) throw std::logic_error(fmt::format("{}: used after close", name_));
    put_header(std::span(request_), Request{op, 0, wait_ns});
    link_->send(std::span(request_).first(kHeader + payload));
    received_ = link_->recv(into);
    if (received_ < kHeader)
      throw IntegrityError(
          fmt::format("{}: a reply of {} bytes, shorter than its header", name_, received_));
    return header_of<Reply>(into);
  }

  void expect_ok(const Reply& reply, const char* what) const {
    if (reply.status != Status::ok)
      throw IntegrityError(fmt::format("{}: the server answered a {} with status {}", name_, what,
                                       static_cast<std::uint32_t>(reply.status)));
  }

  std::unique_ptr<Endpoint> link_;
  Fd held_fd_;
  std::string name_;
  std::size_t max_message_ = 0;
  std::vector<std::byte> request_;
  std::vector<std::byte> reply_;
  std::vector<std::byte> ack_;  // a put's or goodbye's reply (as large: Boost wants it so)
  std::size_t received_ = 0;
  Held held_ = Held::nothing;
  std::size_t held_size_ = 0;
};

Handle QueueManagerHost::open_leader(std::span<const int>) {
  LeaderClient client = open_leader_client();
  return Handle(std::make_unique<QueueClient>(std::move(client.endpoint), std::move(client.held),
                                              fmt::format("{} leader's client", name_),
                                              max_message_));
}

}  // namespace

MediumKind queue_manager_medium(const Transport& transport) {
  // Its clients reach the server as the transport does.
  MediumKind kind = reached_over(transport, fmt::format("queue-manager-{}", transport.name), "link");
  kind.summary = fmt::format(
      "Manager().Queue(maxsize=depth): server threads hold the queue, every put and get a round "
      "trip over {}",
      transport.name);
  // Every client has a link of its own to the server and each message goes to one getter:
  // a queue that several producers and several consumers share.
  kind.many_senders = true;
  kind.many_receivers = true;
  kind.depth = depth_segment(kDefaultDepth);
  // Two round trips per message, and a server that blocks whatever the links do: the quick
  // profile measures the manager Python itself uses (a Unix socket) in stream (the documents'
  // 7,500 messages/s), the full one every transport's in stream, pingpong and fanin,
  // blocking. Named with --transports, a manager is measured in every workload and wait.
  kind.served = true;
  kind.managed = true;
  std::string name = transport.name;
  kind.create = [name](const MediumOptions& options) -> std::unique_ptr<MediumHost> {
    return std::make_unique<QueueManagerHost>(find_transport(name), options);
  };
  kind.open = [name](const std::string& address, Liveness leader) {
    auto [max_message, link] = parse_address(address);
    return Handle(std::make_unique<QueueClient>(
        find_transport(name).open(link, Side::b, std::move(leader)), Fd(),
        fmt::format("queue-manager-{} client", name), max_message));
  };
  return kind;
}

}  // namespace ipcmeter
