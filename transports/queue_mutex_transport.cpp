// A bounded queue of preallocated message slots: the hot path copies, never allocates.
// Threads only: the address carries the queue pair's address in this process.
#include <fmt/core.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// The documents' example uses Queue(maxsize=3); small queues also make the producer feel
// the consumer, which is what a thread hand-off looks like in practice.
constexpr std::size_t kDefaultCapacity = 3;
// Condition variables ignore signals, so waits wake this often to check for the watchdog.
constexpr auto kWakeCheck = std::chrono::milliseconds(50);

class BoundedQueue {
 public:
  // The slots are one allocation left uninitialised: a deep queue of large messages costs
  // only the pages its messages touch, not a zero-fill of every slot at each run's set-up.
  BoundedQueue(std::size_t capacity, std::size_t max_size)
      : slot_size_(max_size), capacity_(capacity), slots_(new std::byte[capacity * max_size]),
        sizes_(capacity) {}

  void push(std::span<const std::byte> message) {
    std::unique_lock lock(mutex_);
    if (message.size() > slot_size_)
      throw std::length_error(fmt::format(
          "queue-mutex: message of {} bytes exceeds the slot size {}", message.size(), slot_size_));
    wait(lock, not_full_, [&] { return count_ < capacity_; });
    std::size_t slot = (head_ + count_) % capacity_;
    if (!message.empty()) std::memcpy(slot_data(slot), message.data(), message.size());
    sizes_[slot] = message.size();
    ++count_;
    not_empty_.notify_one();
  }

  std::size_t pop(std::span<std::byte> buffer) {
    std::unique_lock lock(mutex_);
    wait(lock, not_empty_, [&] { return count_ > 0; });
    std::size_t size = sizes_[head_];
    if (size > buffer.size())
      throw std::length_error(fmt::format(
          "queue-mutex: message of {} bytes does not fit a {}-byte buffer", size, buffer.size()));
    if (size > 0) std::memcpy(buffer.data(), slot_data(head_), size);
    head_ = (head_ + 1) % capacity_;
    --count_;
    not_full_.notify_one();
    return size;
  }

  // True when a message is there or the queue is closed (a pop then says PeerClosed).
  bool wait_nonempty(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count_ == 0 && !closed_) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds::zero()) return false;
      not_empty_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(left, kWakeCheck));
      throw_if_interrupted("queue-mutex poll");
    }
    return true;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  // Waits for ready(); a closed queue still delivers what it holds, then PeerClosed.
  template <typename Ready>
  void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& condition,
            Ready ready) {
    while (!ready()) {
      if (closed_) throw PeerClosed("peer closed the queue-mutex");
      condition.wait_for(lock, kWakeCheck);
      throw_if_interrupted("queue-mutex wait");
    }
  }

  std::byte* slot_data(std::size_t slot) { return slots_.get() + slot * slot_size_; }

  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::size_t slot_size_;
  std::size_t capacity_;
  std::unique_ptr<std::byte[]> slots_;
  std::vector<std::size_t> sizes_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  bool closed_ = false;
};

struct QueuePair : Link::Resource {
  QueuePair(std::size_t capacity, std::size_t max_size)
      : a_to_b(capacity, max_size), b_to_a(capacity, max_size) {}
  BoundedQueue a_to_b;
  BoundedQueue b_to_a;
};

class QueueEndpoint final : public Endpoint {
 public:
  QueueEndpoint(BoundedQueue& out, BoundedQueue& in) : out_(out), in_(in) {}
  ~QueueEndpoint() override { close(); }
  void send(std::span<const std::byte> message) override { out_.push(message); }
  std::size_t recv(std::span<std::byte> buffer) override { return in_.pop(buffer); }
  bool poll(std::chrono::nanoseconds timeout) override { return in_.wait_nonempty(timeout); }
  // Closing either end closes both directions, as a socket would.
  void close() override {
    out_.close();
    in_.close();
  }

 private:
  BoundedQueue& out_;
  BoundedQueue& in_;
};

Link create_queue(const TransportOptions& options) {
  std::size_t capacity = options.capacity ? options.capacity : kDefaultCapacity;
  auto pair = std::make_unique<QueuePair>(capacity, options.max_message_size);
  std::string address = format_address(
      "queue-mutex", {{"pair", pointer_text(pair.get())}, {"capacity", std::to_string(capacity)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(pair));
  return Link(address, {}, {}, std::move(resources));
}

std::unique_ptr<Endpoint> open_queue(const std::string& text, Side side, Liveness) {
  Address address = Address::parse(text);
  auto* pair = static_cast<QueuePair*>(address.pointer("pair"));
  if (side == Side::a) return std::make_unique<QueueEndpoint>(pair->a_to_b, pair->b_to_a);
  return std::make_unique<QueueEndpoint>(pair->b_to_a, pair->a_to_b);
}

Transport queue_mutex_transport() {
  Transport transport{"queue-mutex", "queue",
                      "bounded blocking queue, mutex + condition variable (threads)", false,
                      create_queue, open_queue};
  transport.many_senders = true;  // the mutex serialises producers
  transport.many_receivers = true;  // and multi-consumer: each message to one receiver
  transport.default_depth = kDefaultCapacity;
  return transport;
}

// Both sides live in one process: a side that goes closes the queue, which the other sees.
const Registry<Transport>::Add registered{queue_mutex_transport};

}  // namespace
}  // namespace ipcmeter
