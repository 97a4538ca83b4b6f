// Two byte rings in one shared-memory segment (Boost.Interprocess maps it). Messages are a
// 4-byte length and the payload, written as a byte stream: a message larger than the ring
// simply flows through it in pieces (chunked, never truncated).
//
// Each ring's producer owns `head`, its consumer owns `tail`, on separate cache lines so
// neither side's writes evict the other's. Each side keeps a private copy of the other's
// index and rereads the shared one only when its copy says "full" or "empty".
//
// Blocking uses a futex per direction with the usual "sleeping" flag handshake: a waiter
// announces itself, re-checks, then sleeps on a ticket; a publisher that sees the flag bumps
// the ticket and wakes it. Spinning never sleeps, so it skips the handshake (and its fence).
#include "transports/shm_spsc_transport.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstring>
#include <stdexcept>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

namespace bip = boost::interprocess;
using Length = std::uint32_t;

constexpr std::uint64_t kMagic = 0x69706d2d73707363ull;  // "ipm-spsc"
constexpr std::size_t kCacheLine = 64;
// Futex sleeps are bounded so that a blocked side notices the watchdog or a dead peer.
constexpr long kWakeCheckNs = 50'000'000;

struct Ring {
  alignas(kCacheLine) std::atomic<std::uint64_t> head{0};  // bytes published by the producer
  alignas(kCacheLine) std::atomic<std::uint64_t> tail{0};  // bytes released by the consumer
  alignas(kCacheLine) std::atomic<std::uint32_t> data_ticket{0};
  std::atomic<std::uint32_t> consumer_sleeping{0};
  alignas(kCacheLine) std::atomic<std::uint32_t> space_ticket{0};
  std::atomic<std::uint32_t> producer_sleeping{0};
};

struct SegmentHeader {
  std::uint64_t magic;
  std::uint64_t capacity;  // bytes per ring, a power of two
  alignas(kCacheLine) std::atomic<std::uint32_t> closed{0};
  Ring rings[2];  // [0]: a to b, [1]: b to a
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

std::size_t segment_size(std::size_t capacity) { return sizeof(SegmentHeader) + 2 * capacity; }

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  timespec timeout{0, kWakeCheckNs};
  // Not FUTEX_PRIVATE: the word lives in memory shared between processes.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &timeout,
            nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, 1, nullptr, nullptr,
            0);
}

std::size_t round_up_power_of_two(std::size_t n) {
  std::size_t power = 1;
  while (power < n) power <<= 1;
  return power;
}

// The shared segment's name, removed by the creating process only.
struct SegmentName : Link::Resource {
  explicit SegmentName(std::string name_) : name(std::move(name_)), creator(::getpid()) {
    slot = register_name(NameKind::shared_memory, "/" + name);
  }
  ~SegmentName() override {
    if (::getpid() != creator) return;
    bip::shared_memory_object::remove(name.c_str());
    unregister_name(slot);
  }
  std::string name;
  int creator;
  int slot = -1;
};

class ShmSpscEndpoint final : public Endpoint {
 public:
  ShmSpscEndpoint(const std::string& address_text, Side side) : name_(address_text) {
    Address address = Address::parse(address_text);
    wait_ = address.wait();
    try {
      memory_ = bip::shared_memory_object(bip::open_only, address.field("name").c_str(),
                                          bip::read_write);
      region_ = bip::mapped_region(memory_, bip::read_write);
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error("shm-spsc: cannot map " + address_text + ": " + error.what());
    }
    header_ = static_cast<SegmentHeader*>(region_.get_address());
    if (region_.get_size() < sizeof(SegmentHeader) || header_->magic != kMagic)
      throw std::runtime_error("shm-spsc: " + address_text + " is not an ipcmeter ring");
    capacity_ = header_->capacity;
    mask_ = capacity_ - 1;
    auto* data = static_cast<std::byte*>(region_.get_address()) + sizeof(SegmentHeader);
    int out = side == Side::a ? 0 : 1;
    out_ = &header_->rings[out];
    in_ = &header_->rings[1 - out];
    out_data_ = data + out * capacity_;
    in_data_ = data + (1 - out) * capacity_;
    head_ = out_->head.load(std::memory_order_relaxed);
    tail_seen_ = out_->tail.load(std::memory_order_acquire);
    tail_ = in_->tail.load(std::memory_order_relaxed);
    head_seen_ = in_->head.load(std::memory_order_acquire);
  }
  ~ShmSpscEndpoint() override { mark_closed(); }

  void send(std::span<const std::byte> message) override {
    if (message.size() > UINT32_MAX) throw std::length_error("message over 4 GiB: " + name_);
    auto length = static_cast<Length>(message.size());
    produce(std::as_bytes(std::span(&length, 1)));
    produce(message);
    publish();
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    Length length;
    consume(std::as_writable_bytes(std::span(&length, 1)));
    if (length > buffer.size())
      throw std::length_error(name_ + ": message of " + std::to_string(length) +
                              " bytes does not fit a " + std::to_string(buffer.size()) +
                              "-byte buffer");
    consume(buffer.first(length));
    release();
    return length;
  }

  void close() override { mark_closed(); }

 private:
  // Copies into the ring, publishing and waiting for room whenever it is full.
  void produce(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
      std::size_t free = capacity_ - (head_ - tail_seen_);
      if (free == 0) {
        publish();
        wait_for_space();
        continue;
      }
      std::size_t offset = head_ & mask_;
      std::size_t chunk = std::min({bytes.size(), free, capacity_ - offset});
      std::memcpy(out_data_ + offset, bytes.data(), chunk);
      head_ += chunk;
      bytes = bytes.subspan(chunk);
    }
  }

  void publish() {
    out_->head.store(head_, std::memory_order_release);
    if (wait_ == WaitStrategy::spin) return;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (out_->consumer_sleeping.load(std::memory_order_relaxed)) {
      out_->data_ticket.fetch_add(1, std::memory_order_release);
      futex_wake(out_->data_ticket);
    }
  }

  void wait_for_space() {
    SpinBudget budget(wait_);
    for (;;) {
      tail_seen_ = out_->tail.load(std::memory_order_acquire);
      if (head_ - tail_seen_ < capacity_) return;
      check_peer("send");
      if (budget.keep_spinning()) {
        cpu_relax();
        continue;
      }
      std::uint32_t ticket = out_->space_ticket.load(std::memory_order_acquire);
      out_->producer_sleeping.store(1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (head_ - out_->tail.load(std::memory_order_relaxed) >= capacity_)
        futex_wait(out_->space_ticket, ticket);
      out_->producer_sleeping.store(0, std::memory_order_relaxed);
    }
  }

  // Copies out of the ring, releasing what it has read whenever it must wait.
  void consume(std::span<std::byte> bytes) {
    while (!bytes.empty()) {
      std::size_t available = head_seen_ - tail_;
      if (available == 0) {
        release();
        wait_for_data();
        continue;
      }
      std::size_t offset = tail_ & mask_;
      std::size_t chunk = std::min({bytes.size(), available, capacity_ - offset});
      std::memcpy(bytes.data(), in_data_ + offset, chunk);
      tail_ += chunk;
      bytes = bytes.subspan(chunk);
    }
  }

  void release() {
    in_->tail.store(tail_, std::memory_order_release);
    if (wait_ == WaitStrategy::spin) return;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (in_->producer_sleeping.load(std::memory_order_relaxed)) {
      in_->space_ticket.fetch_add(1, std::memory_order_release);
      futex_wake(in_->space_ticket);
    }
  }

  void wait_for_data() {
    SpinBudget budget(wait_);
    for (;;) {
      head_seen_ = in_->head.load(std::memory_order_acquire);
      if (head_seen_ != tail_) return;
      check_peer("recv");
      if (budget.keep_spinning()) {
        cpu_relax();
        continue;
      }
      std::uint32_t ticket = in_->data_ticket.load(std::memory_order_acquire);
      in_->consumer_sleeping.store(1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (in_->head.load(std::memory_order_relaxed) == tail_) futex_wait(in_->data_ticket, ticket);
      in_->consumer_sleeping.store(0, std::memory_order_relaxed);
    }
  }

  // Shared memory has no end-of-file: a closed flag covers an orderly close, the harness's
  // peer-gone flag a crash. Both are checked only when there is nothing to move.
  void check_peer(const char* call) {
    throw_if_interrupted(call);
    if (header_->closed.load(std::memory_order_acquire) || peer_gone())
      throw PeerClosed("peer closed " + name_);
  }

  void mark_closed() noexcept {
    if (header_ == nullptr || closed_) return;
    closed_ = true;
    header_->closed.store(1, std::memory_order_release);
    for (Ring& ring : header_->rings) {
      ring.data_ticket.fetch_add(1);
      futex_wake(ring.data_ticket);
      ring.space_ticket.fetch_add(1);
      futex_wake(ring.space_ticket);
    }
  }

  std::string name_;
  WaitStrategy wait_ = WaitStrategy::block;
  bip::shared_memory_object memory_;
  bip::mapped_region region_;
  SegmentHeader* header_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  Ring* out_ = nullptr;
  Ring* in_ = nullptr;
  std::byte* out_data_ = nullptr;
  std::byte* in_data_ = nullptr;
  // Private copies: what this side has written or read, and last seen of the other side.
  std::uint64_t head_ = 0;
  std::uint64_t tail_seen_ = 0;
  std::uint64_t tail_ = 0;
  std::uint64_t head_seen_ = 0;
  bool closed_ = false;
};

Link create_ring(const TransportOptions& options) {
  // Room for at least two of the largest messages, so the producer can write the next one
  // while the consumer copies out the last: 64 KiB at the least, 16 MiB at the most.
  std::size_t capacity = options.capacity
                             ? round_up_power_of_two(options.capacity)
                             : round_up_power_of_two(2 * (options.max_message_size + sizeof(Length)));
  if (!options.capacity)
    capacity = std::clamp<std::size_t>(capacity, std::size_t{64} << 10, std::size_t{16} << 20);
  static std::atomic<unsigned> counter{0};
  std::string name = "ipcm-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  auto owner = std::make_unique<SegmentName>(name);
  try {
    bip::shared_memory_object memory(bip::create_only, name.c_str(), bip::read_write);
    memory.truncate(static_cast<bip::offset_t>(segment_size(capacity)));
    bip::mapped_region region(memory, bip::read_write);
    auto* header = new (region.get_address()) SegmentHeader{};
    header->capacity = capacity;
    header->magic = kMagic;
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error("shm-spsc: cannot create /dev/shm/" + name + ": " + error.what());
  }
  std::string address = format_address("shm-spsc", {{"name", name},
                                                    {"capacity", std::to_string(capacity)},
                                                    {"wait", wait_name(options.wait)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(owner));
  return Link(address, {}, {}, std::move(resources));
}

}  // namespace

Transport shm_spsc_transport() {
  Transport transport{"shm-spsc", "queue",
                      "lock-free SPSC byte ring in shared memory, futex or spin waits", true,
                      create_ring, [](const std::string& address, Side side) {
                        return std::unique_ptr<Endpoint>(
                            std::make_unique<ShmSpscEndpoint>(address, side));
                      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  return transport;
}

}  // namespace ipcmeter
