// Two rings in one shared-memory segment (Boost.Interprocess maps it), one per direction.
// A message is a record: an 8-byte header (sequence tag, length) and the payload, packed at
// 8-byte alignment; the payload may wrap around the end of the ring.
//
// The consumer waits on the next record's header itself, not on a separate index, so a small
// message costs one cache-line transfer, as in the baseline/cacheline floor, instead of two
// (index line, then data line). For that to be safe the header word where the *next* record
// will start must never hold stale bytes from the previous lap: before publishing a record,
// the producer zeroes the header slot just past it. A record therefore needs its size plus
// 8 bytes free. Messages larger than half the ring go as several fragments, so the producer
// can write one while the consumer copies out the other (chunked, never truncated).
//
// The consumer owns `tail` (bytes released) on its own cache line; the producer rereads it
// only when its private copy says the ring is full.
//
// Blocking uses a futex per direction with the usual "sleeping" flag handshake: a waiter
// announces itself, re-checks, then sleeps on a ticket; a publisher that sees the flag bumps
// the ticket and wakes it. The handshake is Dekker's: publish, then read the flag; set the
// flag, then re-read what was published; both with seq_cst operations (not fences, which
// ThreadSanitizer cannot check), so one side always sees the other. Spinning never sleeps,
// so it publishes with a plain release store and skips the handshake.
#include <errno.h>
#include <fmt/core.h>
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
#include "transports/shm_create.hpp"
#include "transports/prefault.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

// Its /dev/shm names: ipcm-spsc-<stamp>-<hex> (shm_create.hpp).
constexpr const char* kShmKind = "spsc";

namespace bip = boost::interprocess;

constexpr std::uint64_t kMagic = 0x69706d2d73707363ull;  // "ipm-spsc"
constexpr std::size_t kCacheLine = 64;
// Futex sleeps are bounded so that a blocked side notices the watchdog or a dead peer.
constexpr long kWakeCheckNs = 50'000'000;
// While spinning, the other side's liveness (a syscall) is looked at this rarely.
constexpr unsigned kSpinsPerLivenessCheck = 4096;

struct Ring {
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
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// A record header: the high 32 bits are a tag that is never 0 (0 means "nothing yet"), the
// low 31 bits the fragment's length, bit 31 set when more fragments of the message follow.
constexpr std::size_t kHeader = 8;
constexpr std::uint64_t kMoreFragments = std::uint64_t{1} << 31;
constexpr std::uint64_t kLengthMask = kMoreFragments - 1;

std::uint64_t make_header(std::uint64_t record, std::size_t length, bool more) {
  auto tag = static_cast<std::uint32_t>(record % 0xFFFFFFFFu) + 1;
  return (std::uint64_t{tag} << 32) | length | (more ? kMoreFragments : 0);
}

constexpr std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// Small copies inline: a call into the library's memcpy costs more than the copy itself
// for the few bytes a latency-bound message carries.
inline void copy_bytes(std::byte* to, const std::byte* from, std::size_t n) {
  if (n <= 16) {
    if (n >= 8) {
      std::uint64_t head, tail;
      std::memcpy(&head, from, 8);
      std::memcpy(&tail, from + n - 8, 8);
      std::memcpy(to, &head, 8);
      std::memcpy(to + n - 8, &tail, 8);
    } else {
      for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
    }
    return;
  }
  std::memcpy(to, from, n);
}

std::size_t segment_size(std::size_t capacity) { return sizeof(SegmentHeader) + 2 * capacity; }

// Sleeps while word == expected, at most `ns`; true if the time ran out.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, long ns = kWakeCheckNs) {
  timespec timeout{ns / 1'000'000'000, ns % 1'000'000'000};
  // Not FUTEX_PRIVATE: the word lives in memory shared between processes.
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected,
                   &timeout, nullptr, 0) != 0 &&
         errno == ETIMEDOUT;
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
  explicit SegmentName(std::unique_ptr<SharedMemoryName> name) : segment(std::move(name)) {}
  std::unique_ptr<SharedMemoryName> segment;
};

class ShmSpscEndpoint final : public Endpoint {
 public:
  ShmSpscEndpoint(const std::string& address_text, Side side, Liveness other_side)
      : name_(address_text), other_side_(std::move(other_side)) {
    Address address = Address::parse(address_text);
    wait_ = address.wait();
    try {
      memory_ = bip::shared_memory_object(bip::open_only, address.field("name").c_str(),
                                          bip::read_write);
      region_ = bip::mapped_region(memory_, bip::read_write);
    } catch (const bip::interprocess_exception& error) {
      throw std::runtime_error(
          fmt::format("shm-spsc: cannot map {}: {}", address_text, error.what()));
    }
    // Both rings, every page, before the run is timed (prefault.hpp): a 1 MiB message
    // through a cold ring paid 256 first touches on each side, and read 10 ms, not 0.25.
    prefault(region_.get_address(), region_.get_size());
    header_ = static_cast<SegmentHeader*>(region_.get_address());
    if (region_.get_size() < sizeof(SegmentHeader) || header_->magic != kMagic)
      throw std::runtime_error(fmt::format("shm-spsc: {} is not an ipcmeter ring", address_text));
    capacity_ = header_->capacity;
    mask_ = capacity_ - 1;
    // Half the ring, so that two fragments always fit: one being written, one being read.
    max_fragment_ = capacity_ / 2 - 2 * kHeader;
    auto* data = static_cast<std::byte*>(region_.get_address()) + sizeof(SegmentHeader);
    int out = side == Side::a ? 0 : 1;
    out_ = &header_->rings[out];
    in_ = &header_->rings[1 - out];
    out_data_ = data + out * capacity_;
    in_data_ = data + (1 - out) * capacity_;
  }
  ~ShmSpscEndpoint() override { mark_closed(); }

  void send(std::span<const std::byte> message) override {
    do {
      std::size_t length = std::min(message.size(), max_fragment_);
      bool more = length < message.size();
      write_record(message.first(length), more);
      message = message.subspan(length);
      if (!more) break;
    } while (true);
    wake_consumer();
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    release_view();
    std::size_t total = 0;
    for (;;) {
      std::uint64_t header = wait_for_record();
      std::size_t length = header & kLengthMask;
      if (total + length > buffer.size())
        throw std::length_error(
            fmt::format("{}: message of at least {} bytes does not fit a {}-byte buffer", name_,
                        total + length, buffer.size()));
      copy_out(tail_ + kHeader, buffer.subspan(total, length));
      total += length;
      tail_ += kHeader + align8(length);
      release();
      if (!(header & kMoreFragments)) return total;
    }
  }

  // A whole message that lies in one piece in the ring is shown in place: the reader then
  // reads it once (to verify it, say) instead of copying it out and reading it again. Its
  // space is released at the next receive, so the producer may meanwhile fill the rest of
  // the ring (at most half of it is held: larger messages come as fragments).
  std::span<const std::byte> recv_view(std::span<std::byte> scratch) override {
    release_view();
    std::uint64_t header = wait_for_record();
    std::size_t length = header & kLengthMask;
    std::size_t offset = (tail_ + kHeader) & mask_;
    if ((header & kMoreFragments) || offset + length > capacity_)
      return scratch.first(recv(scratch));  // fragmented or wrapped: copied out
    held_ = kHeader + align8(length);
    return {in_data_ + offset, length};
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    // The next record starts past the one a view may still hold.
    std::atomic<std::uint64_t>& slot = header_at(in_data_, tail_ + held_);
    unsigned looks = 0;
    auto look = [&] {
      return slot.load(std::memory_order_acquire) != 0 ||
             header_->closed.load(std::memory_order_acquire) ||
             (++looks % kSpinsPerLivenessCheck == 0 && other_side_.gone());
    };
    return poll_until(wait_, timeout, look, [&](std::chrono::nanoseconds left) {
      throw_if_interrupted("shm-spsc poll");
      sleep_until_data(slot, static_cast<long>(std::min<std::int64_t>(left.count(), kWakeCheckNs)));
      looks = kSpinsPerLivenessCheck - 1;  // after a sleep, the next look checks liveness
    });
  }

  void close() override { mark_closed(); }

 private:
  void release_view() {
    if (held_ == 0) return;
    tail_ += held_;
    held_ = 0;
    release();
  }

  std::atomic<std::uint64_t>& header_at(std::byte* data, std::uint64_t position) {
    return *reinterpret_cast<std::atomic<std::uint64_t>*>(data + (position & mask_));
  }

  void write_record(std::span<const std::byte> payload, bool more) {
    std::size_t size = kHeader + align8(payload.size());
    // The record, plus the next record's header slot, which is zeroed below.
    while (head_ + size + kHeader - tail_seen_ > capacity_) wait_for_space(size + kHeader);
    std::size_t offset = (head_ + kHeader) & mask_;
    std::size_t first = std::min(payload.size(), capacity_ - offset);
    copy_bytes(out_data_ + offset, payload.data(), first);
    copy_bytes(out_data_, payload.data() + first, payload.size() - first);
    header_at(out_data_, head_ + size).store(0, std::memory_order_relaxed);
    // Release: the payload and the zeroed next slot are visible before the header is.
    publish(header_at(out_data_, head_), make_header(record_++, payload.size(), more));
    head_ += size;
    // Own the line the next record will start in before it is needed: the store then
    // finds it local instead of waiting for the consumer's copy to be invalidated.
    __builtin_prefetch(out_data_ + ((head_ + kCacheLine) & mask_), 1);
  }

  // A header or the tail, published: seq_cst when the other side may be asleep (the
  // handshake needs it), a plain release store when both spin. Two literal orders, not a
  // variable one, which the compiler would treat as seq_cst every time.
  void publish(std::atomic<std::uint64_t>& word, std::uint64_t value) {
    if (wait_ == WaitStrategy::spin)
      word.store(value, std::memory_order_release);
    else
      word.store(value, std::memory_order_seq_cst);
  }

  void wake_consumer() {
    if (wait_ == WaitStrategy::spin) return;
    if (out_->consumer_sleeping.load(std::memory_order_seq_cst)) {
      out_->data_ticket.fetch_add(1, std::memory_order_release);
      futex_wake(out_->data_ticket);
    }
  }

  void wait_for_space(std::size_t needed) {
    wake_consumer();  // a consumer asleep mid-message must see what is already written
    SpinBudget budget(wait_);
    bool timed_out = false;
    for (unsigned misses = 1;; ++misses) {
      tail_seen_ = out_->tail.load(std::memory_order_acquire);
      if (head_ + needed - tail_seen_ <= capacity_) return;
      bool spin = budget.keep_spinning();
      if (peer_ended("send", timed_out || (spin && misses % kSpinsPerLivenessCheck == 0)))
        throw PeerClosed(fmt::format("peer closed {}", name_));
      if (spin) {
        cpu_relax();
        continue;
      }
      std::uint32_t ticket = out_->space_ticket.load(std::memory_order_acquire);
      out_->producer_sleeping.store(1, std::memory_order_seq_cst);
      timed_out = head_ + needed - out_->tail.load(std::memory_order_seq_cst) > capacity_ &&
                  futex_wait(out_->space_ticket, ticket);
      out_->producer_sleeping.store(0, std::memory_order_relaxed);
    }
  }

  void copy_out(std::uint64_t position, std::span<std::byte> bytes) {
    std::size_t offset = position & mask_;
    std::size_t first = std::min(bytes.size(), capacity_ - offset);
    copy_bytes(bytes.data(), in_data_ + offset, first);
    copy_bytes(bytes.data() + first, in_data_, bytes.size() - first);
  }

  void release() {
    publish(in_->tail, tail_);
    if (wait_ == WaitStrategy::spin) return;
    if (in_->producer_sleeping.load(std::memory_order_seq_cst)) {
      in_->space_ticket.fetch_add(1, std::memory_order_release);
      futex_wake(in_->space_ticket);
    }
  }

  std::uint64_t wait_for_record() {
    std::atomic<std::uint64_t>& slot = header_at(in_data_, tail_);
    std::uint64_t header = slot.load(std::memory_order_acquire);
    if (header != 0) return header;
    SpinBudget budget(wait_);
    bool timed_out = false;
    for (unsigned misses = 1;; ++misses) {
      bool spin = budget.keep_spinning();
      if (peer_ended("recv", timed_out || (spin && misses % kSpinsPerLivenessCheck == 0))) {
        // The peer may have published its last record just before it closed: what it sent
        // is delivered first (the close flag's acquire makes that record visible).
        if ((header = slot.load(std::memory_order_acquire)) != 0) return header;
        throw PeerClosed(fmt::format("peer closed {}", name_));
      }
      if (spin)
        cpu_relax();
      else
        timed_out = sleep_until_data(slot, kWakeCheckNs);
      header = slot.load(std::memory_order_acquire);
      if (header != 0) return header;
    }
  }

  // The consumer's half of the sleep handshake; true if the time ran out.
  bool sleep_until_data(std::atomic<std::uint64_t>& slot, long ns) {
    std::uint32_t ticket = in_->data_ticket.load(std::memory_order_acquire);
    in_->consumer_sleeping.store(1, std::memory_order_seq_cst);
    bool timed_out =
        slot.load(std::memory_order_seq_cst) == 0 && futex_wait(in_->data_ticket, ticket, ns);
    in_->consumer_sleeping.store(0, std::memory_order_relaxed);
    return timed_out;
  }

  // Shared memory has no end-of-file: a closed flag covers an orderly close, the other
  // side's liveness a crash. Both are looked at only when there is nothing to move, the
  // liveness (a syscall) only when asked.
  bool peer_ended(const char* call, bool check_liveness) {
    throw_if_interrupted(call);
    return header_->closed.load(std::memory_order_acquire) ||
           (check_liveness && other_side_.gone());
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
  Liveness other_side_;
  WaitStrategy wait_ = WaitStrategy::block;
  bip::shared_memory_object memory_;
  bip::mapped_region region_;
  SegmentHeader* header_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t max_fragment_ = 0;
  Ring* out_ = nullptr;
  Ring* in_ = nullptr;
  std::byte* out_data_ = nullptr;
  std::byte* in_data_ = nullptr;
  // Private: bytes this side has written or read, records written, last tail seen.
  std::uint64_t head_ = 0;
  std::uint64_t record_ = 0;
  std::uint64_t tail_seen_ = 0;
  std::uint64_t tail_ = 0;
  std::uint64_t held_ = 0;  // bytes of the record recv_view shows, released at the next receive
  bool closed_ = false;
};

Link create_ring(const TransportOptions& options) {
  // Room for two of the largest messages, so the producer can write the next one while the
  // consumer copies out the last: 64 KiB at the least, 16 MiB at the most (larger messages
  // are fragmented). An explicit capacity is used as given, 4 KiB at the least.
  std::size_t capacity = options.capacity
                             ? round_up_power_of_two(std::max<std::size_t>(options.capacity, 4096))
                             : round_up_power_of_two(2 * (options.max_message_size + 4 * kHeader));
  if (!options.capacity)
    capacity = std::clamp<std::size_t>(capacity, std::size_t{64} << 10, std::size_t{16} << 20);
  std::unique_ptr<SharedMemoryName> owned;
  try {
    owned = create_shared_memory(kShmKind, [](const std::string& fresh) {
      bip::shared_memory_object(bip::create_only, fresh.c_str(), bip::read_write, owner_only());
    });
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error(
        fmt::format("shm-spsc: cannot create a shared-memory segment: {}", error.what()));
  }
  std::string name = owned->name();
  auto owner = std::make_unique<SegmentName>(std::move(owned));  // removes it on every path from here
  try {
    bip::shared_memory_object memory(bip::open_only, name.c_str(), bip::read_write);
    memory.truncate(static_cast<bip::offset_t>(segment_size(capacity)));
    bip::mapped_region region(memory, bip::read_write);
    auto* header = new (region.get_address()) SegmentHeader{};
    header->capacity = capacity;
    header->magic = kMagic;
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error(
        fmt::format("shm-spsc: cannot create /dev/shm/{}: {}", name, error.what()));
  }
  std::string address = format_address("shm-spsc", {{"name", name},
                                                    {"capacity", std::to_string(capacity)},
                                                    {"wait", wait_name(options.wait)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(owner));
  return Link(address, {}, {}, std::move(resources));
}

Transport shm_spsc_transport() {
  Transport transport{"shm-spsc", "queue",
                      "lock-free SPSC byte ring in shared memory, futex or spin waits", true,
                      create_ring,
                      [](const std::string& address, Side side, Liveness other_side) {
                        return std::unique_ptr<Endpoint>(std::make_unique<ShmSpscEndpoint>(
                            address, side, std::move(other_side)));
                      }};
  transport.waits = {WaitStrategy::block, WaitStrategy::spin, WaitStrategy::hybrid};
  transport.shm_kind = kShmKind;
  return transport;
}

const Registry<Transport>::Add registered{shm_spsc_transport};

}  // namespace
}  // namespace ipcmeter
