// Leftovers of runs that died without cleaning up (SIGKILL, a power cut): shared-memory names
// under /dev/shm and private socket directories under the temp base. Every name the suite
// creates carries its creator's pid ("ipcm-<kind>-<pid>-<random>", "ipcm-<pid>-XXXXXX"), so a
// leftover is one whose creator no longer exists.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

namespace ipcmeter {

struct SweepPlaces {
  std::string shared_memory = "/dev/shm";  // where shm_open's names live on Linux
  std::string temp;                        // where private dirs live: temp_base()
};

// The pid an ipcm name says created it, or 0 if the name is not one of the suite's.
int owner_of_name(const std::string& name);

// The name's creator is gone: no process has its pid, or the one that has it started after
// the name was last changed (the pid was reused: pid_max is often only 32768).
bool creator_is_dead(int pid, const struct stat& name);

// Removes every ipcm shared-memory name and private directory of this user whose creator is
// dead, and returns their paths. A name whose creator lives (this run, another suite running
// at the same time), or that belongs to another user, is left alone; so is a name whose pid
// has been reused by a live process (left for a later sweep rather than risk a live run's).
std::vector<std::string> remove_dead_owners_leftovers(const SweepPlaces& places);
std::vector<std::string> remove_dead_owners_leftovers();  // /dev/shm and temp_base()

}  // namespace ipcmeter
