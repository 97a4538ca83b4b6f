// The signal-safe table of names to remove, and the private socket directory.
#include "transports/named_resources.hpp"

#include <fmt/core.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include "transports/creator_stamp.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

constexpr int kSlots = 256;
constexpr std::size_t kMaxName = 256;

struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being written, 2 live
  NameKind kind = NameKind::file;
  char name[kMaxName] = {};
};
Slot slots[kSlots];

void remove_kind(NameKind kind) noexcept {
  // Newest first: a directory registered inside another is emptied before its parent.
  for (int i = kSlots - 1; i >= 0; --i) {
    Slot& slot = slots[i];
    if (slot.state.load(std::memory_order_acquire) != 2 || slot.kind != kind) continue;
    switch (kind) {
      case NameKind::file: ::unlink(slot.name); break;
      case NameKind::shared_memory: ::shm_unlink(slot.name); break;
      case NameKind::directory: ::rmdir(slot.name); break;
    }
  }
}

}  // namespace

int register_name(NameKind kind, const std::string& name) {
  if (name.size() >= kMaxName) throw UsageError(fmt::format("name too long to track: {}", name));
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!slots[i].state.compare_exchange_strong(expected, 1)) continue;
    slots[i].kind = kind;
    std::memcpy(slots[i].name, name.c_str(), name.size() + 1);
    slots[i].state.store(2, std::memory_order_release);
    return i;
  }
  throw std::runtime_error("more than 256 live names: a link is leaking");
}

void unregister_name(int slot) noexcept {
  if (slot >= 0 && slot < kSlots) slots[slot].state.store(0, std::memory_order_release);
}

void remove_all_registered_names() noexcept {
  remove_kind(NameKind::file);
  remove_kind(NameKind::shared_memory);
  remove_kind(NameKind::directory);
}

namespace {

// IPCMETER_NAME_SEED (the fault campaign's pre-created names only): the random parts then
// follow from the seed, so another program can take the next name first, as an attacker
// who could guess it would. Never set otherwise: it makes names guessable.
bool seeded_random(std::uint64_t& value) {
  static const char* seed_text = ::getenv("IPCMETER_NAME_SEED");
  static std::atomic<std::uint64_t> state{seed_text ? std::strtoull(seed_text, nullptr, 16) : 0};
  if (seed_text == nullptr) return false;
  std::uint64_t z = state.fetch_add(0x9E3779B97F4A7C15ull) + 0x9E3779B97F4A7C15ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  value = z ^ (z >> 31);
  return true;
}

}  // namespace

std::string unique_shared_memory_name(const std::string& kind) {
  // 64 random bits from the kernel: another local user cannot guess the next name and take
  // it first. The creator's stamp stays in front, so a leftover is traced to the run that
  // made it, and proved dead or not (leftovers.hpp).
  std::uint64_t random = 0;
  if (!seeded_random(random) &&
      ::getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
    throw SystemError("getrandom", "");
  return fmt::format("ipcm-{}-{}-{:016x}", kind, stamp_text(own_creator_stamp()), random);
}

std::string temp_base() {
  for (const char* variable : {"IPCMETER_TMPDIR", "TMPDIR"}) {
    const char* value = ::getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

SharedMemoryName::SharedMemoryName(std::string name)
    : name_(std::move(name)),
      slot_(register_name(NameKind::shared_memory, "/" + name_)),
      creator_pid_(::getpid()) {}

SharedMemoryName::~SharedMemoryName() {
  if (::getpid() != creator_pid_) return;
  ::shm_unlink(("/" + name_).c_str());
  unregister_name(slot_);
}

PrivateDir::PrivateDir() : creator_pid_(::getpid()) {
  // The creator's stamp in the name traces a leftover to its run (see leftovers.hpp).
  std::string pattern = temp_base() + "/ipcm-" + stamp_text(own_creator_stamp()) + "-XXXXXX";
  // mkdtemp creates the directory with mode 0700: only this user can reach the sockets.
  if (::mkdtemp(pattern.data()) == nullptr) throw SystemError("mkdtemp", pattern);
  path_ = pattern;
  dir_slot_ = register_name(NameKind::directory, path_);
}

std::string PrivateDir::file(const std::string& name) {
  if (file_count_ == 4) throw std::logic_error("PrivateDir holds at most 4 files");
  std::string path = path_ + "/" + name;
  files_[file_count_] = path;
  file_slots_[file_count_] = register_name(NameKind::file, path);
  ++file_count_;
  return path;
}

PrivateDir::~PrivateDir() {
  if (::getpid() != creator_pid_) return;
  for (int i = 0; i < file_count_; ++i) {
    ::unlink(files_[i].c_str());
    unregister_name(file_slots_[i]);
  }
  ::rmdir(path_.c_str());
  unregister_name(dir_slot_);
}

}  // namespace ipcmeter
