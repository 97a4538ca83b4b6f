// The rank links: each rank's TCP connection to the leader, made at start-up through the TCP
// layer (tcp_layer.hpp: the run's token first, admitted by a TokenGate), then the rank's
// number. Afterwards a byte on a link wakes its other side for a job or a reply.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"
#include "transports/errors.hpp"
#include "transports/liveness.hpp"

namespace ipcmeter::rank_session {
namespace {

using Clock = std::chrono::steady_clock;

// While the leader waits for the links, it looks this often whether a rank said over MPI
// that it cannot connect.
constexpr std::chrono::milliseconds kReplyPoll{20};

// The rank's number, sent right after the token: the link becomes that rank's.
void take_link(Fd link, const std::string& where) {
  Session& s = session();
  std::int32_t rank = -1;
  try {
    read_exact(link.get(), std::as_writable_bytes(std::span(&rank, 1)), WaitStrategy::block,
               "rank link");
  } catch (const std::exception&) {
    rank = -1;  // said below
  }
  if (rank <= 0 || rank >= s.size || s.links[static_cast<std::size_t>(rank)].valid())
    throw std::runtime_error("a connection to the leader at " + where + " did not name a rank");
  s.links[static_cast<std::size_t>(rank)] = std::move(link);
}

// A rank that could not connect says why over MPI: that is the start-up's failure.
void throw_reported_failure() {
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, kReplyTag, session().comm, &flag, &status), "MPI_Iprobe");
  if (flag)
    throw std::runtime_error(
        receive_text(status.MPI_SOURCE, kReplyTag).substr(std::strlen(kReplyError) + 1));
}

std::string missing_ranks(const std::string& where) {
  const Session& s = session();
  std::string missing;
  for (int r = 1; r < s.size; ++r)
    if (!s.links[static_cast<std::size_t>(r)].valid())
      missing += (missing.empty() ? "" : ", ") + who(r);
  return missing + " did not reach the leader at " + where + " within " +
         std::to_string(kConnectTimeout.count()) + " s";
}

}  // namespace

std::string who(int rank) {
  const auto& hosts = session().hosts;
  std::string host = rank >= 0 && rank < static_cast<int>(hosts.size())
                         ? hosts[static_cast<std::size_t>(rank)]
                         : "?";
  return "rank " + std::to_string(rank) + " on " + host;
}

bool ring(int fd) {
  char byte = 1;
  for (;;) {
    if (::send(fd, &byte, 1, MSG_NOSIGNAL) == 1) return true;
    if (errno != EINTR) return false;
  }
}

void accept_links(int listener, const std::string& where) {
  Session& s = session();
  s.links.resize(static_cast<std::size_t>(s.size));
  const Liveness nobody;  // the ranks' own failures come over MPI, and the deadline ends it
  TokenGate gate(listener, nobody, "the leader's listener at " + where);
  const auto deadline = Clock::now() + kConnectTimeout;
  for (int connected = 0; connected < s.size - 1;) {
    if (auto link = gate.next_until(std::min(deadline, Clock::now() + kReplyPoll))) {
      take_link(std::move(*link), where);
      ++connected;
      continue;
    }
    throw_reported_failure();
    if (Clock::now() >= deadline) throw std::runtime_error(missing_ranks(where));
  }
}

void connect_link(const std::string& address, int port) {
  Session& s = session();
  const std::string where = address + ":" + std::to_string(port);
  s.links.resize(1);
  try {
    s.links[0] = connect_presenting_token(address, port, kConnectTimeout, where);
    std::int32_t rank = s.rank;
    iovec part{&rank, sizeof rank};
    write_all(s.links[0].get(), &part, 1, /*is_socket=*/true, WaitStrategy::block, where);
  } catch (const std::exception& failure) {
    send_text(0, kReplyTag,
              std::string(kReplyError) + " " + who(s.rank) + " cannot reach the leader at " +
                  where + ": " + failure.what() + " (give " + kLeaderAddressFlag +
                  "=IPv4 an address it can reach)");
    for (;;) ::pause();  // the leader says so and ends the job
  }
}

}  // namespace ipcmeter::rank_session
