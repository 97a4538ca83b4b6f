// Boost.Interprocess message_queue: fixed-size slots in shared memory behind a process-shared
// mutex and condition variables; what a C++ program reaches for as "a multiprocessing Queue".
#include "transports/queue_boost_transport.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <optional>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

namespace bip = boost::interprocess;

// Room for 64 messages, but at most 8 MiB of slots per direction (8 slots of 1 MiB).
constexpr std::size_t kDefaultCapacity = 64;
constexpr std::size_t kMaxQueueBytes = std::size_t{8} << 20;
// Its waits cannot be interrupted by a signal, so they time out this often to look at the
// watchdog and peer flags.
constexpr auto kWakeCheck = boost::posix_time::milliseconds(50);

// Ordinary messages go with priority 1; the end-of-stream marker with priority 0, which a
// message_queue delivers only after every message of higher priority has been received.
constexpr unsigned kDataPriority = 1;
constexpr unsigned kClosePriority = 0;

// The two queues' names; a message_queue lives in a shared-memory object of its name.
struct QueueNames : Link::Resource {
  explicit QueueNames(const std::string& base) : a_to_b(base + "-ab"), b_to_a(base + "-ba") {}
  SharedMemoryName a_to_b;
  SharedMemoryName b_to_a;
};

boost::posix_time::ptime deadline() {
  return boost::posix_time::microsec_clock::universal_time() + kWakeCheck;
}

class BoostQueueEndpoint final : public Endpoint {
 public:
  BoostQueueEndpoint(const std::string& text, Side side) : name_(text) {
    Address address = Address::parse(text);
    wait_ = address.wait();
    std::string base = address.field("name");
    try {
      out_.emplace(bip::open_only, (base + (side == Side::a ? "-ab" : "-ba")).c_str());
      in_.emplace(bip::open_only, (base + (side == Side::a ? "-ba" : "-ab")).c_str());
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error("queue-boost: cannot open " + text + ": " + error.what());
    }
  }
  ~BoostQueueEndpoint() override { send_close_marker(); }

  void send(std::span<const std::byte> message) override {
    if (message.size() > out_->get_max_msg_size())
      throw std::length_error(name_ + ": message of " + std::to_string(message.size()) +
                              " bytes exceeds the queue's slot size " +
                              std::to_string(out_->get_max_msg_size()));
    // Boost copies with memcpy, which forbids a null address even for 0 bytes.
    const char nothing = 0;
    const void* data = message.empty() ? &nothing : static_cast<const void*>(message.data());
    SpinBudget budget(wait_);
    for (;;) {
      bool sent = wait_ == WaitStrategy::block || !budget.keep_spinning()
                      ? out_->timed_send(data, message.size(), kDataPriority, deadline())
                      : out_->try_send(data, message.size(), kDataPriority);
      if (sent) return;
      throw_if_interrupted("queue-boost send");
      if (peer_gone()) throw PeerClosed("peer gone from " + name_);
      if (wait_ != WaitStrategy::block) cpu_relax();
    }
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    if (buffer.size() < in_->get_max_msg_size())
      throw std::length_error(name_ + ": receive buffer smaller than the queue's message size");
    SpinBudget budget(wait_);
    for (;;) {
      bip::message_queue::size_type size = 0;
      unsigned priority = 0;
      bool received =
          wait_ == WaitStrategy::block || !budget.keep_spinning()
              ? in_->timed_receive(buffer.data(), buffer.size(), size, priority, deadline())
              : in_->try_receive(buffer.data(), buffer.size(), size, priority);
      if (received) {
        if (priority == kClosePriority) throw PeerClosed("peer closed " + name_);
        return size;
      }
      throw_if_interrupted("queue-boost recv");
      // A crashed peer leaves no marker; what it sent before is still delivered first.
      if (peer_gone() && in_->get_num_msg() == 0) throw PeerClosed("peer gone from " + name_);
      if (wait_ != WaitStrategy::block) cpu_relax();
    }
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
      // Closing must not throw from a destructor; the peer-gone flag covers this case.
    }
  }

  std::string name_;
  WaitStrategy wait_ = WaitStrategy::block;
  std::optional<bip::message_queue> out_;
  std::optional<bip::message_queue> in_;
  bool closed_ = false;
};

Link create_queues(const TransportOptions& options) {
  std::size_t slot = std::max<std::size_t>(options.max_message_size, 1);
  std::size_t capacity = options.capacity
                             ? options.capacity
                             : std::clamp<std::size_t>(kMaxQueueBytes / slot, 2, kDefaultCapacity);
  std::string base = unique_shared_memory_name("mq");
  auto names = std::make_unique<QueueNames>(base);
  try {
    for (const SharedMemoryName* name : {&names->a_to_b, &names->b_to_a})
      bip::message_queue(bip::create_only, name->name().c_str(), capacity, slot);
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error("queue-boost: cannot create " + base + ": " + error.what());
  }
  std::string address =
      format_address("queue-boost", {{"name", base},
                                     {"capacity", std::to_string(capacity)},
                                     {"wait", wait_name(options.wait)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(names));
  return Link(address, {}, {}, std::move(resources));
}

}  // namespace

Transport queue_boost_transport() {
  Transport transport{"queue-boost", "queue",
                      "Boost.Interprocess message_queue in shared memory", true, create_queues,
                      [](const std::string& address, Side side) {
                        return std::unique_ptr<Endpoint>(
                            std::make_unique<BoostQueueEndpoint>(address, side));
                      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  transport.many_senders = true;  // message_queue is multi-producer
  return transport;
}

}  // namespace ipcmeter
