// Shared memory made ready before it is measured. On this kind of virtual machine (a PVM
// guest: the hypervisor keeps shadow page tables) the first access to a page through a new
// mapping costs 5-20 us: a fault, or the hypervisor building its entry, even after the kernel
// populated the page. A ring or queue used cold pays that on its first lap, inside whatever
// is timed (a 1 MiB message: 256 pages on each side). So each side that maps shared memory
// populates its mapping writable (MADV_POPULATE_WRITE, which also makes the kernel allocate
// and zero the pages) and then reads one byte of every page, before the run's "ready".
// Reading is safe on memory the other side may already be writing: nothing is changed.
#pragma once

#include <cstddef>
#include <string>

namespace ipcmeter {

// Populates and touches [address, address + bytes) (page-aligned inward). Never fails: on a
// kernel without MADV_POPULATE_WRITE (before 5.14) the read of each page faults it in alone.
void prefault(void* address, std::size_t bytes) noexcept;

// Every mapping of /dev/shm/<name> in this process (found in /proc/self/maps), prefaulted:
// for a library that maps shared memory without telling where (Boost's message_queue).
void prefault_mappings_of(const std::string& name);

}  // namespace ipcmeter
