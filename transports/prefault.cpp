// Shared memory made ready before it is measured (see prefault.hpp).
#include "transports/prefault.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>

namespace ipcmeter {
namespace {

#ifndef MADV_POPULATE_WRITE
constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14; older glibc headers lack the name
#endif

}  // namespace

void prefault(void* address, std::size_t bytes) noexcept {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = (reinterpret_cast<std::uintptr_t>(address) + page - 1) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(address) + bytes) & ~(page - 1);
  if (end <= begin) return;
  // A failure (an old kernel: EINVAL) leaves the reads below to fault each page in.
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
  for (std::uintptr_t at = begin; at < end; at += page)
    (void)*reinterpret_cast<const volatile unsigned char*>(at);
}

void prefault_mappings_of(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  const std::string path = "/dev/shm/" + name;
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path"; the path is the last field.
    if (line.size() < path.size() || line.compare(line.size() - path.size(), path.size(), path) != 0)
      continue;
    std::istringstream fields(line);
    std::uintptr_t start = 0, end = 0;
    char dash = 0;
    fields >> std::hex >> start >> dash >> end;
    if (dash == '-' && end > start) prefault(reinterpret_cast<void*>(start), end - start);
  }
}

}  // namespace ipcmeter
