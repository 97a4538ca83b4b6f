// RankSession: MPI initialised under mpirun, the run's token and every rank's host shared,
// the rank links made (links.cpp); then rank 0 leads and the others serve (peer_loop.cpp).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

using namespace rank_session;

void init_mpi(int argc, char** argv) {
  Session& s = session();
  int provided = 0;
  // Several threads of the leader may use the mpi transport at once (a manager's servers).
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  s.open = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_dup(MPI_COMM_WORLD, &s.comm), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(s.comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(s.comm, &s.rank);
  MPI_Comm_size(s.comm, &s.size);
  if (provided < MPI_THREAD_MULTIPLE && s.rank == 0)
    throw std::runtime_error("this MPI library gives no MPI_THREAD_MULTIPLE");
}

// The leader's run token, which every TCP connection of the run presents (run_token.hpp):
// the other ranks were started by mpirun, not by the leader, so they learn it here.
void share_run_token() {
  char token[kRunTokenSize + 1] = {};
  if (session().rank == 0) std::memcpy(token, run_token().data(), kRunTokenSize);
  check(MPI_Bcast(token, sizeof token, MPI_CHAR, 0, session().comm), "MPI_Bcast");
  if (session().rank != 0) adopt_run_token(std::string(token, kRunTokenSize));
}

// Every rank's host, for the names' hosts: segment and for finding the leader's address.
void gather_hosts() {
  Session& s = session();
  char mine[256] = {};
  std::string name = host_name();
  std::strncpy(mine, name.c_str(), sizeof mine - 1);
  std::vector<char> all(sizeof mine * static_cast<std::size_t>(s.size));
  check(MPI_Allgather(mine, sizeof mine, MPI_CHAR, all.data(), sizeof mine, MPI_CHAR, s.comm),
        "MPI_Allgather");
  for (int r = 0; r < s.size; ++r)
    s.hosts.emplace_back(&all[sizeof mine * static_cast<std::size_t>(r)]);
}

// Leader: listens at its address (bound before any rank learns the port), tells every rank
// where, and takes their links. A failure to listen is said after the broadcast, so no rank
// waits for it (they get no address, and the leader's error ends the job).
void lead(int argc, char** argv) {
  Session& s = session();
  char where[128] = {};
  TcpListener listener;
  std::string error;
  try {
    s.leader_address = choose_leader_address(flag_value(argc, argv, kLeaderAddressFlag));
    listener = listen_on_free_port(s.leader_address, s.size, "the leader's listener");
    std::snprintf(where, sizeof where, "%s %d", s.leader_address.c_str(), listener.port);
  } catch (const std::exception& failure) {
    error = failure.what();
  }
  check(MPI_Bcast(where, sizeof where, MPI_CHAR, 0, s.comm), "MPI_Bcast");
  if (!error.empty()) throw std::runtime_error(error);
  accept_links(listener.fd.get(), s.leader_address + ":" + std::to_string(listener.port));
  losses().watch(s.links);
}

// Another rank: connects its link and serves; nothing to connect to when the leader failed,
// whose error ends the job.
[[noreturn]] void serve() {
  Session& s = session();
  char where[128] = {};
  check(MPI_Bcast(where, sizeof where, MPI_CHAR, 0, s.comm), "MPI_Bcast");
  char address[64] = {};
  int port = 0;
  if (std::sscanf(where, "%63s %d", address, &port) != 2)
    for (;;) ::pause();
  s.leader_address = address;
  connect_link(address, port);
  serve_as_peer();
}

}  // namespace

RankSession::RankSession(int argc, char** argv) {
  if (launched_ranks() == 0) return;
  init_mpi(argc, argv);
  share_run_token();
  gather_hosts();
  if (session().rank == 0)
    lead(argc, argv);
  else
    serve();
}

RankSession::~RankSession() {
  Session& s = session();
  if (!s.open || s.rank != 0) return;
  losses().stop();
  // A lost rank cannot take part in MPI_Finalize: leave without it (the other ranks leave
  // when their link closes), and mpirun ends the job.
  if (losses().any()) return;
  for (int r = 1; r < s.size; ++r) {
    try {
      if (!ring(s.links[static_cast<std::size_t>(r)].get())) {
        losses().mark(r, kWentAway);
        return;
      }
      send_text(r, kJobTag, kJobExit);
    } catch (const std::exception&) {
      return;  // as lost
    }
  }
  s.links.clear();
  MPI_Comm_free(&s.comm);
  MPI_Finalize();
}

}  // namespace ipcmeter
