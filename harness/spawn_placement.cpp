// "spawn": the peer is a fresh process (posix_spawn of this very binary, in its peer role),
// the seeds' "spawn" start method. It gets the address on its command line, the run's token
// in its environment, and inherits exactly the fds the transport names, nothing else
// (everything is O_CLOEXEC by default).
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "harness/placement.hpp"
#include "harness/process_peer.hpp"
#include "transports/errors.hpp"
#include "transports/run_token.hpp"

extern char** environ;

namespace ipcmeter {
namespace {

std::string own_executable() {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n < 0) throw SystemError("readlink", "/proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

// posix_spawn's file actions and attributes, freed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  // dup2 of an fd onto itself clears its close-on-exec flag in the child (glibc >= 2.29).
  void keep_open(int fd) {
    int error = ::posix_spawn_file_actions_adddup2(&actions, fd, fd);
    if (error != 0) throw SystemError("posix_spawn_file_actions_adddup2", "", error);
  }
};

}  // namespace

std::unique_ptr<RunningPeer> start_spawn_peer(PeerLaunch launch) {
  static const std::string executable = own_executable();
  PeerSpec& spec = launch.spec;
  spec.own_process = true;
  spec.control_fd = launch.control.get();
  spec.parent_pid = ::getpid();
  spec.inherited_fds = launch.link->peer_fds();

  SpawnSetup setup;
  setup.keep_open(spec.control_fd);
  for (int fd : spec.inherited_fds) setup.keep_open(fd);
  // The child starts with default dispositions and nothing blocked, whatever this thread has.
  sigset_t signals;
  sigemptyset(&signals);
  ::posix_spawnattr_setsigmask(&setup.attributes, &signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &signals);
  ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = {executable, kPeerRoleFlag};
  for (auto& arg : spec.to_args()) args.push_back(std::move(arg));
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The environment as it is, plus the run's token (never on the command line, which any
  // local user can read; an environment only its owner can).
  std::string token = run_token_environment_entry();
  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (std::strncmp(*entry, kRunTokenVariable, std::strlen(kRunTokenVariable)) != 0 ||
        (*entry)[std::strlen(kRunTokenVariable)] != '=')
      envp.push_back(*entry);
  envp.push_back(token.data());
  envp.push_back(nullptr);

  pid_t pid;
  int error = ::posix_spawn(&pid, executable.c_str(), &setup.actions, &setup.attributes,
                            argv.data(), envp.data());
  if (error != 0) throw SystemError("posix_spawn", executable, error);
  return std::make_unique<ProcessPeer>(pid);
}

}  // namespace ipcmeter
