// What identifies the process that created a name, across pid namespaces and clock steps: its
// pid, its pid namespace (the inode of /proc/self/ns/pid) and its start time in clock ticks
// since boot (/proc/<pid>/stat, field 22). A pid means something only in its own namespace
// (a run in another container sharing /dev/shm has pids this one cannot see), a reused pid
// belongs to a process that started later, and a start time counted from boot moves with no
// step of the wall clock. Every name the suite creates carries its creator's stamp
// ("ipcm-<kind>-<pid>-ns<inode>-t<ticks>-<random>", named_resources.hpp), so the sweep of
// dead runs' leftovers (leftovers.hpp) removes only what it can prove dead.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace ipcmeter {

struct CreatorStamp {
  pid_t pid = 0;
  unsigned long long pid_namespace = 0;  // inode of the creator's /proc/self/ns/pid
  unsigned long long start_ticks = 0;    // /proc/<pid>/stat field 22

  bool operator==(const CreatorStamp&) const = default;
};

// The calling process's stamp (read afresh each time: a forked child has its own).
// SystemError if /proc cannot say.
CreatorStamp own_creator_stamp();
// "<pid>-ns<inode>-t<ticks>": how a name carries it.
std::string stamp_text(const CreatorStamp& stamp);

// What /proc/<pid>/stat says of the process with this pid (in this process's namespace):
// its state letter ('Z' for a zombie, which has ended) and when it started, in clock ticks
// since boot; nullopt when /proc has no such process (or does not let this user read it).
struct ProcessStat {
  char state = 0;
  unsigned long long start_ticks = 0;
};
std::optional<ProcessStat> process_stat(pid_t pid);
inline std::optional<unsigned long long> start_ticks_of(pid_t pid) {
  auto stat = process_stat(pid);
  return stat ? std::optional(stat->start_ticks) : std::nullopt;
}

// What can be known of a stamped creator from here.
enum class CreatorState {
  alive,            // its pid is in use by the process that started when it did
  dead,             // no process has its pid, the one that has it started at another time,
                    // or it is a zombie (ended, not yet reaped)
  other_namespace,  // another pid namespace: its pids are not this one's to look up
  unknowable,       // its pid is in use by a process whose start this user cannot read
};
CreatorState creator_state(const CreatorStamp& stamp);

}  // namespace ipcmeter
