// Names in the filesystem a run creates (socket files, private dirs, shm names), tracked so
// that they are removed on every exit path, including SIGINT/SIGTERM.
#pragma once

#include <string>

namespace ipcmeter {

enum class NameKind { file, directory, shared_memory };

// Registers a name for removal by remove_all_registered_names(); returns a slot handle.
// Async-signal-safe storage: a fixed table, no allocation after registration.
int register_name(NameKind kind, const std::string& name);
void unregister_name(int slot) noexcept;

// Removes every registered name (files, then shared memory, then directories). Safe to call
// from a signal handler: it uses only unlink, rmdir and shm_unlink.
void remove_all_registered_names() noexcept;

// A 0700 directory of its own for one link's socket files ("ipcm-<creator's stamp>-XXXXXX"
// under temp_base()), removed with everything the link put in it. Removal happens only in the
// process that created it, so a forked child that unwinds never deletes its parent's sockets.
class PrivateDir {
 public:
  PrivateDir();
  ~PrivateDir();
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  const std::string& path() const { return path_; }
  // A path for a new file inside the directory, registered for removal.
  std::string file(const std::string& name);

 private:
  std::string path_;
  int dir_slot_ = -1;
  int creator_pid_;
  std::string files_[4];
  int file_slots_[4] = {-1, -1, -1, -1};
  int file_count_ = 0;
};

// A POSIX shared-memory name (what shm_open, Boost.Interprocess and its message_queue
// create under /dev/shm), registered for signal-time removal and unlinked when this object
// goes, in the creating process only.
class SharedMemoryName {
 public:
  explicit SharedMemoryName(std::string name);  // without the leading slash
  ~SharedMemoryName();
  SharedMemoryName(const SharedMemoryName&) = delete;
  SharedMemoryName& operator=(const SharedMemoryName&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int slot_;
  int creator_pid_;
};

// A fresh shared-memory name: "ipcm-<kind>-<pid>-ns<inode>-t<ticks>-<16 random hex digits>".
// The creator's stamp in it (creator_stamp.hpp) is how a leftover is traced to the run that
// made it and proved dead; the random part keeps another user from taking it first. Create
// with create_shared_memory (shm_create.hpp).
std::string unique_shared_memory_name(const std::string& kind);

// The base directory for private dirs: $IPCMETER_TMPDIR, else $TMPDIR, else /tmp.
std::string temp_base();

}  // namespace ipcmeter
