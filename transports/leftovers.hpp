// Leftovers of runs that died without cleaning up (SIGKILL, a power cut): shared-memory names
// under /dev/shm and private socket directories under the temp base. Every name the suite
// creates carries its creator's stamp ("ipcm-<kind>-<pid>-ns<inode>-t<ticks>-<random>",
// "ipcm-<pid>-ns<inode>-t<ticks>-XXXXXX"; creator_stamp.hpp), and a leftover is a name whose
// creator is proved dead by it. Anything else is left alone, and said.
#pragma once

#include <string>
#include <vector>

#include "transports/creator_stamp.hpp"

namespace ipcmeter {

struct SweepPlaces {
  std::string shared_memory = "/dev/shm";  // where shm_open's names live on Linux
  std::string temp;                        // where private dirs live: temp_base()
};

// What a name says of its creator.
struct NameOwner {
  enum class Form {
    not_ours,   // not a name the suite makes
    stamped,    // the creator's whole stamp
    unstamped,  // an older suite's form: a pid only ("ipcm-<kind>-<pid>-<random>")
  } form = Form::not_ours;
  CreatorStamp creator;  // stamped: all of it; unstamped: the pid only
};
NameOwner owner_of_name(const std::string& name);

// A name the sweep saw but could not prove its creator dead, and why ("another pid
// namespace", ...).
struct KeptName {
  std::string path;
  std::string why;
};

struct SweepResult {
  std::vector<std::string> removed;
  std::vector<KeptName> kept;  // left alone, to be said; a live creator's names are not here
};

// Removes every suite name of this user whose creator its stamp proves dead, and lists what it
// could not judge. A name whose creator lives (this run, another suite running at the same
// time), that belongs to another user, or that is not the suite's is left alone silently.
SweepResult remove_dead_owners_leftovers(const SweepPlaces& places);
SweepResult remove_dead_owners_leftovers();  // /dev/shm and temp_base()

}  // namespace ipcmeter
