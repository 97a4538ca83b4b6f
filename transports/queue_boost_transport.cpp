// Boost.Interprocess message_queue: fixed-size slots in shared memory behind a process-shared
// mutex and condition variables; what a C++ program reaches for as "a multiprocessing Queue".
// Its mutex is not robust: each endpoint watches both queues' locks, so that the watchdog
// can release one a dead process left held (queue_boost_lock.hpp says why not otherwise).
#include <fmt/core.h>
#include <unistd.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <optional>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"
#include "transports/queue_boost_lock.hpp"
#include "transports/prefault.hpp"
#include "transports/registry.hpp"
#include "transports/shm_create.hpp"
#include "transports/stranded_locks.hpp"

namespace ipcmeter {
namespace {

// Its /dev/shm names: ipcm-mq-<stamp>-<hex>-ab and -ba, the two directions' queues.
constexpr const char* kShmKind = "mq";
constexpr const char* kFirstSuffix = "-ab";

namespace bip = boost::interprocess;

// A queue's default depth: room for 64 messages. A run always asks for its depth (the
// depth: segment, 64 unless said otherwise, within harness/medium.hpp's kMaxQueueBytes); a
// link made directly with no capacity keeps at most 8 MiB of slots per direction (8 slots of
// 1 MiB).
constexpr std::size_t kDefaultCapacity = 64;
constexpr std::size_t kMaxQueueBytes = std::size_t{8} << 20;
// Its waits cannot be interrupted by a signal, so they time out this often to look at the
// watchdog's flag and the other side's liveness.
constexpr auto kWakeCheck = boost::posix_time::milliseconds(50);

// Ordinary messages go with priority 1; the end-of-stream marker with priority 0, which a
// message_queue delivers only after every message of higher priority has been received.
constexpr unsigned kDataPriority = 1;
constexpr unsigned kClosePriority = 0;

// The two queues' names; a message_queue lives in a shared-memory object of its name.
struct QueueNames : Link::Resource {
  std::unique_ptr<SharedMemoryName> a_to_b;
  std::unique_ptr<SharedMemoryName> b_to_a;
};

// A queue's lock, watched while the endpoint lives. Nothing on the hot path: the watch is a
// table entry that only the watchdog reads, after the run's deadline.
struct WatchedQueueLock {
  explicit WatchedQueueLock(const std::string& name) : lock(name), watch(lock.mutex()) {}
  MessageQueueLock lock;
  WatchedLock watch;
};

boost::posix_time::ptime deadline() {
  return boost::posix_time::microsec_clock::universal_time() + kWakeCheck;
}

class BoostQueueEndpoint final : public Endpoint {
 public:
  BoostQueueEndpoint(const std::string& text, Side side, Liveness other_side)
      : name_(text), other_side_(std::move(other_side)) {
    Address address = Address::parse(text);
    wait_ = address.wait();
    std::string base = address.field("name");
    std::string out_name = base + (side == Side::a ? "-ab" : "-ba");
    std::string in_name = base + (side == Side::a ? "-ba" : "-ab");
    try {
      out_.emplace(bip::open_only, out_name.c_str());
      in_.emplace(bip::open_only, in_name.c_str());
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error(fmt::format("queue-boost: cannot open {}: {}", text, error.what()));
    }
    out_lock_.emplace(out_name);
    in_lock_.emplace(in_name);
    // Every slot of both queues, before the run is timed (prefault.hpp): the queue hands out
    // its slots in turn, so even a round trip's first lap through 64 slots of 1 MiB touched
    // 128 MiB of cold pages, and read 10 ms instead of 0.25.
    prefault_mappings_of(out_name);
    prefault_mappings_of(in_name);
  }
  ~BoostQueueEndpoint() override { send_close_marker(); }

  void send(std::span<const std::byte> message) override {
    if (message.size() > out_->get_max_msg_size())
      throw std::length_error(
          fmt::format("{}: message of {} bytes exceeds the queue's slot size {}", name_,
                      message.size(), out_->get_max_msg_size()));
    // Boost copies with memcpy, which forbids a null address even for 0 bytes.
    const char nothing = 0;
    const void* data = message.empty() ? &nothing : static_cast<const void*>(message.data());
    // Room is there most of the time: the plain attempt first, since a blocking call's
    // deadline costs a clock read and a calendar conversion (Boost's universal_time), which a
    // 64 B stream paid on every message (1.0M against its raw floor's 1.8M messages/s).
    if (out_->try_send(data, message.size(), kDataPriority)) return;
    SpinBudget budget(wait_);
    for (unsigned misses = 1;; ++misses) {
      bool blocking = wait_ == WaitStrategy::block || !budget.keep_spinning();
      bool sent = blocking ? out_->timed_send(data, message.size(), kDataPriority, deadline())
                           : out_->try_send(data, message.size(), kDataPriority);
      if (sent) return;
      throw_if_interrupted("queue-boost send");
      if (liveness_due(blocking, misses) && other_side_.gone())
        throw PeerClosed(fmt::format("peer gone from {}", name_));
      if (!blocking) cpu_relax();
    }
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    if (held_size_) return deliver_held(buffer);
    if (buffer.size() < in_->get_max_msg_size())
      throw std::length_error(
          fmt::format("{}: receive buffer smaller than the queue's message size", name_));
    SpinBudget budget(wait_);
    for (unsigned misses = 1;; ++misses) {
      // A message is there most of the time: the plain attempt first (see send).
      bool blocking = misses > 1 && (wait_ == WaitStrategy::block || !budget.keep_spinning());
      bip::message_queue::size_type size = 0;
      unsigned priority = 0;
      bool received =
          blocking ? in_->timed_receive(buffer.data(), buffer.size(), size, priority, deadline())
                   : in_->try_receive(buffer.data(), buffer.size(), size, priority);
      if (received) {
        if (priority == kClosePriority) throw PeerClosed(fmt::format("peer closed {}", name_));
        return size;
      }
      throw_if_interrupted("queue-boost recv");
      // A crashed peer leaves no marker; what it sent before is still delivered first.
      if (liveness_due(blocking, misses) && in_->get_num_msg() == 0 && other_side_.gone())
        throw PeerClosed(fmt::format("peer gone from {}", name_));
      if (!blocking) cpu_relax();
    }
  }

  // A message_queue cannot wait for a message without taking it, so poll takes it into a
  // buffer of its own, and the next receive hands it over.
  bool poll(std::chrono::nanoseconds timeout) override {
    if (held_size_) return true;
    if (held_.empty()) held_.resize(std::max<std::size_t>(in_->get_max_msg_size(), 1));
    auto take = [&](const boost::posix_time::ptime* until) {
      bip::message_queue::size_type size = 0;
      unsigned priority = 0;
      bool got = until ? in_->timed_receive(held_.data(), held_.size(), size, priority, *until)
                       : in_->try_receive(held_.data(), held_.size(), size, priority);
      if (got) {
        held_size_ = size + 1;  // 0 means "nothing held"
        held_closes_ = priority == kClosePriority;
      }
      return got;
    };
    return poll_until(
        wait_, timeout,
        [&] {
          // The sleep below may itself have taken the message.
          return held_size_ || take(nullptr) ||
                 (liveness_due(false, ++polls_) && other_side_.gone());
        },
        [&](std::chrono::nanoseconds left) {
          boost::posix_time::time_duration wait = boost::posix_time::microseconds(left.count() / 1000 + 1);
          auto until = boost::posix_time::microsec_clock::universal_time() +
                       (wait < kWakeCheck ? wait : boost::posix_time::time_duration(kWakeCheck));
          take(&until);
          throw_if_interrupted("queue-boost poll");
          polls_ = 4095;  // the next look checks the other side's liveness
        });
  }

  void close() override { send_close_marker(); }

 private:
  void send_close_marker() noexcept {
    if (closed_ || !out_) return;
    closed_ = true;
    try {
      // Never blocks: if the queue is full, the peer learns of the end from the harness.
      // A real address even for 0 bytes: Boost copies it with memcpy, which forbids null.
      const char nothing = 0;
      out_->try_send(&nothing, 0, kClosePriority);
    } catch (const std::exception&) {
      // Closing must not throw from a destructor; the other side's liveness covers this.
    }
  }

  // The other side's liveness costs a syscall: looked at after each timed-out wait, and
  // every 4096 misses while spinning.
  static bool liveness_due(bool blocking, unsigned misses) { return blocking || misses % 4096 == 0; }

  std::size_t deliver_held(std::span<std::byte> buffer) {
    std::size_t size = held_size_ - 1;
    held_size_ = 0;
    if (held_closes_) throw PeerClosed(fmt::format("peer closed {}", name_));
    if (size > buffer.size())
      throw std::length_error(fmt::format("{}: message of {} bytes does not fit a {}-byte buffer",
                                          name_, size, buffer.size()));
    if (size > 0) std::memcpy(buffer.data(), held_.data(), size);
    return size;
  }

  std::string name_;
  Liveness other_side_;
  WaitStrategy wait_ = WaitStrategy::block;
  std::vector<std::byte> held_;  // a message poll took, allocated on the first poll
  std::size_t held_size_ = 0;    // its size + 1; 0 when nothing is held
  bool held_closes_ = false;     // it is the close marker
  unsigned polls_ = 0;           // looks since the last liveness check
  std::optional<bip::message_queue> out_;
  std::optional<bip::message_queue> in_;
  std::optional<WatchedQueueLock> out_lock_;
  std::optional<WatchedQueueLock> in_lock_;
  bool closed_ = false;
};

Link create_queues(const TransportOptions& options) {
  std::size_t slot = std::max<std::size_t>(options.max_message_size, 1);
  std::size_t capacity = options.capacity
                             ? options.capacity
                             : std::clamp<std::size_t>(kMaxQueueBytes / slot, 2, kDefaultCapacity);
  // Both queues under one fresh base name, each created exclusively and owned once created.
  auto names = std::make_unique<QueueNames>();
  auto create = [&](const std::string& name) {
    bip::message_queue(bip::create_only, name.c_str(), capacity, slot, owner_only());
  };
  std::string base;
  try {
    for (int attempt = 0; !names->b_to_a; ++attempt) {
      names->a_to_b = create_shared_memory(kShmKind, create, kFirstSuffix);
      base = names->a_to_b->name().substr(0, names->a_to_b->name().size() - 3);
      try {
        create(base + "-ba");
        names->b_to_a = std::make_unique<SharedMemoryName>(base + "-ba");
      } catch (const bip::interprocess_exception& error) {
        names->a_to_b.reset();  // ours: removed; the -ba someone else holds is left alone
        if (error.get_error_code() != bip::already_exists_error || attempt + 1 == kCreateAttempts) throw;
      }
    }
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error(
        fmt::format("queue-boost: cannot create its queues: {}", error.what()));
  }
  std::string address =
      format_address("queue-boost", {{"name", base},
                                     {"capacity", std::to_string(capacity)},
                                     {"wait", wait_name(options.wait)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(names));
  return Link(address, {}, {}, std::move(resources));
}

Transport queue_boost_transport() {
  Transport transport{"queue-boost", "queue",
                      "Boost.Interprocess message_queue in shared memory", true, create_queues,
                      [](const std::string& address, Side side, Liveness other_side) {
                        return std::unique_ptr<Endpoint>(std::make_unique<BoostQueueEndpoint>(
                            address, side, std::move(other_side)));
                      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  transport.many_senders = true;  // message_queue is multi-producer
  transport.many_receivers = true;  // and multi-consumer: each message to one receiver
  transport.default_depth = kDefaultCapacity;
  transport.shm_kind = kShmKind;
  transport.shm_first_suffix = kFirstSuffix;
  return transport;
}

const Registry<Transport>::Add registered{queue_boost_transport};

}  // namespace
}  // namespace ipcmeter
