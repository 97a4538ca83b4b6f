// The shared-memory hand-off floor (shm-spsc's): a ring of fixed slots each way in memory
// shared by the two processes, a published and a consumed count per ring, each side keeping
// its own copy of the other's count and rereading it only when the ring looks full (or
// empty), the textbook single-producer single-consumer ring. Spinning waits spin on the
// count; blocking ones sleep on a futex with the usual flag handshake (the waiter says it
// sleeps, re-checks, sleeps; the other side wakes it only when it said so). A message is
// copied into its slot and out of it: one copy each side, as shm-spsc's sender and a reader
// that reads the message once.
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "bench/floors.hpp"

namespace ipcmeter::floors {
namespace {

// A 4 MiB ring each way, as shm-spsc has for 1 MiB messages (and 64 KiB of 64-byte slots).
constexpr std::size_t kRingBytes = std::size_t{4} << 20;
constexpr std::uint64_t kMaxSlots = 1024;
// A blocked or spinning wait looks at the child this often, so that its death ends the floor.
constexpr long kWaitCheckNs = 100'000'000;
constexpr unsigned kSpinsPerCheck = 1u << 20;

struct Ring {
  alignas(64) std::atomic<std::uint64_t> published{0};
  alignas(64) std::atomic<std::uint64_t> consumed{0};
  alignas(64) std::atomic<std::uint32_t> data_ticket{0};
  std::atomic<std::uint32_t> consumer_sleeping{0};
  alignas(64) std::atomic<std::uint32_t> space_ticket{0};
  std::atomic<std::uint32_t> producer_sleeping{0};
};

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  timespec timeout{0, kWaitCheckNs};
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, expected, &timeout,
            nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

class ShmEnd {
 public:
  ShmEnd(Ring* out, std::byte* out_slots, Ring* in, std::byte* in_slots, std::uint64_t slots,
         std::size_t size, bool spin, pid_t child)
      : out_(out), in_(in), out_slots_(out_slots), in_slots_(in_slots), slots_(slots),
        size_(size), spin_(spin), child_(child) {}

  void send(std::span<const std::byte> message) {
    std::uint64_t n = sent_;
    if (n - consumed_seen_ >= slots_)
      wait_until([&] { return n - (consumed_seen_ = out_->consumed.load(std::memory_order_seq_cst)) < slots_; },
                 out_->producer_sleeping, out_->space_ticket);
    std::memcpy(out_slots_ + (n % slots_) * size_, message.data(), size_);
    sent_ = n + 1;
    publish(out_->published, sent_);
    wake_if_asleep(out_->consumer_sleeping, out_->data_ticket);
  }
  void recv(std::span<std::byte> message) {
    std::uint64_t n = received_;
    if (published_seen_ <= n)
      wait_until([&] { return (published_seen_ = in_->published.load(std::memory_order_seq_cst)) > n; },
                 in_->consumer_sleeping, in_->data_ticket);
    std::memcpy(message.data(), in_slots_ + (n % slots_) * size_, size_);
    received_ = n + 1;
    publish(in_->consumed, received_);
    wake_if_asleep(in_->producer_sleeping, in_->space_ticket);
  }
  void finish() {}

 private:
  template <typename Ready>
  void wait_until(Ready ready, std::atomic<std::uint32_t>& sleeping,
                  std::atomic<std::uint32_t>& ticket) {
    for (unsigned spins = 0; !ready();) {
      if (spin_) {
        cpu_relax();
        if (++spins % kSpinsPerCheck == 0 && child_ > 0 && child_ended(child_))
          throw FloorError("the child ended early");
        continue;
      }
      std::uint32_t seen = ticket.load(std::memory_order_acquire);
      sleeping.store(1, std::memory_order_seq_cst);
      if (!ready()) futex_wait(ticket, seen);
      sleeping.store(0, std::memory_order_relaxed);
      if (!ready() && child_ > 0 && child_ended(child_)) throw FloorError("the child ended early");
    }
  }
  // Release suffices when nobody sleeps; the sleep handshake needs the full order.
  void publish(std::atomic<std::uint64_t>& count, std::uint64_t value) {
    if (spin_)
      count.store(value, std::memory_order_release);
    else
      count.store(value, std::memory_order_seq_cst);
  }
  void wake_if_asleep(std::atomic<std::uint32_t>& sleeping, std::atomic<std::uint32_t>& ticket) {
    if (spin_ || !sleeping.load(std::memory_order_seq_cst)) return;
    ticket.fetch_add(1, std::memory_order_release);
    futex_wake(ticket);
  }

  Ring* out_;
  Ring* in_;
  std::byte* out_slots_;
  std::byte* in_slots_;
  std::uint64_t slots_;
  std::size_t size_;
  bool spin_;
  pid_t child_;
  // This side's own counts, and its last look at the other side's.
  std::uint64_t sent_ = 0, received_ = 0, consumed_seen_ = 0, published_seen_ = 0;
};

class ShmChannel {
 public:
  explicit ShmChannel(const FloorRun& run)
      : size_(run.size),
        slots_(std::clamp<std::uint64_t>(kRingBytes / run.size, 2, kMaxSlots)),
        bytes_(2 * sizeof(Ring) + 2 * slots_ * size_),
        spin_(run.wait == WaitStrategy::spin) {
    memory_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory_ == MAP_FAILED) throw FloorError("mmap failed");
    std::memset(memory_, 0, bytes_);  // every page backed before the fork
    rings_ = new (memory_) Ring[2];
    slots_at_ = reinterpret_cast<std::byte*>(rings_ + 2);
  }
  ~ShmChannel() { ::munmap(memory_, bytes_); }

  ShmEnd child_end() {
    // A shared mapping's pages are not copied into the child's page tables at the fork: it
    // touches each one now, before any message, as the suite's transport does.
    for (std::size_t at = 0; at < bytes_; at += 4096)
      (void)*(static_cast<volatile unsigned char*>(memory_) + at);
    return {&rings_[1], slots_at_ + slots_ * size_, &rings_[0], slots_at_, slots_, size_, spin_, 0};
  }
  ShmEnd parent_end(pid_t child) {
    return {&rings_[0], slots_at_, &rings_[1], slots_at_ + slots_ * size_, slots_, size_, spin_,
            child};
  }

 private:
  std::size_t size_;
  std::uint64_t slots_;
  std::size_t bytes_;
  bool spin_;
  void* memory_ = nullptr;
  Ring* rings_ = nullptr;
  std::byte* slots_at_ = nullptr;
};

const AddFloor shm_floor{
    {"shm-spsc", {WaitStrategy::block, WaitStrategy::spin}, measure<ShmChannel>}};

}  // namespace
}  // namespace ipcmeter::floors
