// "fork": the peer is a fork(2) of this process; it inherits the link's fds and runs the
// peer code it already has, then leaves with _exit so no destructor or atexit handler of
// the parent's state runs twice.
#include <sys/prctl.h>
#include <unistd.h>

#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "harness/process_peer.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

std::unique_ptr<RunningPeer> start_fork_peer(PeerLaunch launch) {
  // Everything the parent holds of the link is inherited; the child closes it after opening
  // its own endpoint, so the parent alone decides when the link's ends go away.
  launch.spec.inherited_fds = launch.link->all_fds();
  launch.spec.own_process = true;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork", "peer");
  if (pid == 0) {
    reset_signals_in_child();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(kPeerOrphaned);
    for (int fd : launch.harness_fds) ::close(fd);
    ::_exit(run_peer(launch.spec, std::move(launch.control)));
  }
  return std::make_unique<ProcessPeer>(pid);
}

}  // namespace ipcmeter
