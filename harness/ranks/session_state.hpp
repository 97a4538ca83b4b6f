// What the parts of the MPI session share (harness/ranks/*.cpp; the rest of the suite sees
// harness/ranks.hpp only): the session's state, its MPI wrappers, the rank links, route
// discovery, the record of lost ranks and the peer loop.
//
// MPI carries every job and reply. Each rank also holds one TCP connection to the leader
// (its link), opened at start-up: a byte on it wakes the receiver of a job or reply (Open
// MPI's blocking receive spins a core, and an idle rank must not burn the CPU the measured
// runs use). The byte goes first: a send may need the receiver to progress MPI (its first
// message to a rank does, over shared memory), which it does only once awake. The link's
// hang-up tells either side at once that the other is gone (a rank's process ended, or its
// host went away), which MPI itself would only say by aborting the job.
#pragma once

#include <mpi.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transports/fd.hpp"
#include "transports/tcp_layer.hpp"

namespace ipcmeter::rank_session {

constexpr int kJobTag = 1;
constexpr int kReplyTag = 2;
// How long a rank has to reach the leader (at start-up, and for each run's control channel):
// past it, the host counts as unreachable.
constexpr std::chrono::seconds kConnectTimeout = kConnectDeadline;
// What a lost rank's line says after "rank 1 on ipcm-b " when its link hung up.
constexpr const char* kWentAway = "went away (its process ended or its host is unreachable)";

struct Session {
  bool open = false;
  int rank = 0;
  int size = 0;
  MPI_Comm comm = MPI_COMM_NULL;  // the session's own, so no transport's tag can match its jobs
  std::vector<std::string> hosts;
  std::string leader_address;
  std::vector<Fd> links;  // the leader's link to each rank (by rank); a rank's: [0]
};

Session& session();

// mpi.cpp: the session's MPI calls; each throws with the call and MPI's words on a failure.
void check(int code, const char* call);
void send_text(int to, int tag, const std::string& text);
// Called once a wake-up byte said the message was sent: waits (spinning, briefly) for it.
std::string receive_text(int from, int tag);

// links.cpp: the rank links made at start-up, and their wake-up bytes.
// "rank 1 on ipcm-b", for messages.
std::string who(int rank);
// Wakes the other side of a rank's link; false when it has gone.
bool ring(int fd);
// Leader: every other rank's link, accepted on `listener` (the run's token first, then the
// rank's number); a rank that cannot connect says why over MPI, and that is thrown.
void accept_links(int listener, const std::string& where);
// A rank: its link to the leader at address:port; a failure is told to the leader over MPI,
// and this rank then waits for the job to end.
void connect_link(const std::string& address, int port);

// routes.cpp: where the other ranks reach the leader.
std::string host_name();
// `given` (--leader-address) when set, else the source address of the route to the first
// other rank's host, else loopback.
std::string choose_leader_address(const std::string& given);
// The value of `flag` on the command line ("--flag=value" or "--flag value"), or empty.
std::string flag_value(int argc, char** argv, const std::string& flag);

// loss.cpp: which ranks are gone. Not one flag for the process: each run that needs a lost
// rank learns it from that rank's record (its control channel hangs up, or its start fails
// at once), and a run on other ranks or on no rank still goes.
class Losses {
 public:
  // Records that `rank` is gone and writes its one line on stderr at once (mpirun may end
  // this process any moment after a rank's death), the first time only; returns the line.
  std::string mark(int rank, const std::string& what);
  // The line of a lost rank, or empty.
  std::string of(int rank) const;
  bool any() const;
  // Leader: watches every rank's link for a hang-up until stop() (the wake-up bytes are read
  // by the thread that waits for a reply, never by the watcher).
  void watch(const std::vector<Fd>& links);
  void stop();

 private:
  void run(std::vector<pollfd> entries);
  mutable std::mutex mutex_;
  std::map<int, std::string> lost_;
  std::thread watcher_;
  Fd stop_read_;
  Fd stop_write_;
};

Losses& losses();

// peer_loop.cpp: a rank other than 0 serves the leader's jobs until told to exit, then
// leaves the process (MPI finalized); it leaves at once when the leader goes.
[[noreturn]] void serve_as_peer();

}  // namespace ipcmeter::rank_session
