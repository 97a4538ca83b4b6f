// The ranks of an mpirun as the peers of the rank placement: the session every binary opens
// under mpirun, the peer loop of the ranks other than the leader's, and what the leader knows
// of them. Built from ranks/*.cpp when MPI was found at configure time, else ranks_absent.cpp.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "transports/fd.hpp"

namespace ipcmeter {

// How many ranks mpirun started, read from its environment (Open MPI's or MPICH's); 0 when
// this process was not started by mpirun.
inline int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

// One line on MPI for --list and the run's context: the library and this launch's ranks
// ("Open MPI v4.1.4; 2 ranks on ipcm-a,ipcm-b"), or why there are none.
std::string mpi_status();

// Opened first thing in main() (after a spawned peer's role). Without mpirun it does nothing.
// Under mpirun it initialises MPI and connects every rank to the leader (rank 0) over TCP at
// the leader's address (`leader_address`, or the one the route to the first other host
// leaves from); a rank other than 0 then runs the peer side of every run the leader places on
// it, until the leader closes the session, and exits: the constructor never returns there.
// Rank 0 returns and leads; its destructor lets the other ranks go (and finalizes MPI, unless
// a rank was lost: then it leaves without it). Any failure to set up (a rank that cannot
// reach the leader) throws with one line.
class RankSession {
 public:
  RankSession(int argc, char** argv);
  ~RankSession();
  RankSession(const RankSession&) = delete;
  RankSession& operator=(const RankSession&) = delete;
};

// The flag naming the leader's address for ranks on other hosts (read by RankSession).
constexpr const char* kLeaderAddressFlag = "--leader-address";

// For the rank placement (rank_placement.cpp), in the leader, once the session is open.
namespace ranks {

int size();                               // ranks in the session; 0 without one
const std::vector<std::string>& hosts();  // each rank's host name, by rank
const std::string& leader_address();      // where the other ranks reach rank 0
// Sends rank `rank` a job (MPI carries it; a byte on the rank's link wakes it). Throws with
// one line when the rank is lost: a run that needs it fails at its start.
void send_job(int rank, const std::string& job);
// The rank's next reply, waiting at most `timeout`. Throws, with the loss recorded, when the
// rank's link hangs up.
enum class Ready { reply, timeout };
Ready wait_for_rank(int rank, std::chrono::milliseconds timeout);
std::string receive_reply(int rank);
// A lost rank: one whose link hung up (its process ended or its host went away), or that
// did not connect or report in time. Not a flag for the whole process: the runs that need
// that rank fail (the one under way sees its control channel hang up and says which rank
// went away; a later one fails at its start), the others still go. mark_lost records it
// and writes "rank 1 on ipcm-b <what>" on stderr at once, the first time only; returns that
// line. lost is the line of a lost rank, else empty.
std::string mark_lost(int rank, const std::string& what);
std::string lost(int rank);
// "rank 1 on ipcm-b", for messages.
std::string who(int rank);
// The control channel of rank `rank`'s next run: the leader listens at its address (on a
// port bound before the rank learns it), the rank connects within kConnectDeadline and
// presents the run's fresh token, which a TokenGate checks (a rank that cannot connect says
// why, and the run fails with that).
Fd open_control(int rank);

}  // namespace ranks

// The jobs and replies between the leader and a rank (text, over MPI).
// "connect <address> <port> <token>": the control channel, and the run's token
constexpr const char* kJobConnect = "connect";
constexpr const char* kJobRun = "run";          // "run\n<peer argument>\n...": one run's peer
constexpr const char* kJobExit = "exit";        // the session ends
constexpr const char* kReplyEnded = "ended";    // "ended <code>": the peer's run_peer returned
constexpr const char* kReplyError = "error";    // "error <one line>": a job could not be done

}  // namespace ipcmeter
