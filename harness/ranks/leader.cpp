// What the leader asks of the ranks (the rank placement's side, harness/ranks.hpp): jobs,
// replies, each run's control channel, and which ranks are lost.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"
#include "transports/errors.hpp"
#include "transports/liveness.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter::ranks {
namespace {

using rank_session::session;

int link(int rank) { return session().links[static_cast<std::size_t>(rank)].get(); }

// The reply of a rank that could not connect a run's control channel: why.
std::string connect_failure(int rank) {
  std::string reply = receive_reply(rank);
  if (reply.rfind(kReplyError, 0) == 0) return reply.substr(std::strlen(kReplyError) + 1);
  return who(rank) + " answered '" + reply + "'";
}

}  // namespace

int size() { return session().open ? session().size : 0; }
const std::vector<std::string>& hosts() { return session().hosts; }
const std::string& leader_address() { return session().leader_address; }
std::string who(int rank) { return rank_session::who(rank); }

std::string lost(int rank) { return rank_session::losses().of(rank); }

std::string mark_lost(int rank, const std::string& what) {
  return rank_session::losses().mark(rank, what);
}

void send_job(int rank, const std::string& job) {
  // A lost rank fails the run that needs it at its start, in one line; other runs still go.
  if (std::string line = lost(rank); !line.empty())
    throw std::runtime_error(line + "; this run needs it");
  if (!rank_session::ring(link(rank)))
    throw std::runtime_error(mark_lost(rank, rank_session::kWentAway));
  rank_session::send_text(rank, rank_session::kJobTag, job);
}

Ready wait_for_rank(int rank, std::chrono::milliseconds timeout) {
  pollfd entry{link(rank), POLLIN | POLLRDHUP, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int ready = ::poll(&entry, 1, static_cast<int>(std::max<long>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw SystemError("poll", who(rank));
    if (ready == 0) return Ready::timeout;
    if (entry.revents & POLLIN) {
      char byte;
      if (::recv(entry.fd, &byte, 1, MSG_DONTWAIT) == 1) return Ready::reply;
    }
    throw std::runtime_error(mark_lost(rank, rank_session::kWentAway));
  }
}

std::string receive_reply(int rank) {
  return rank_session::receive_text(rank, rank_session::kReplyTag);
}

Fd open_control(int rank) {
  const std::string& address = session().leader_address;
  TcpListener listener = listen_on_free_port(address, 1, "control channel");
  // The run's token goes with it (over MPI, as at start-up): each run has a fresh one.
  send_job(rank, std::string(kJobConnect) + " " + address + " " + std::to_string(listener.port) +
                     " " + run_token());
  const Liveness nobody;  // the rank's link, below, says when it is gone
  TokenGate gate(listener.fd.get(), nobody, "the control channel of " + who(rank));
  const auto deadline = std::chrono::steady_clock::now() + rank_session::kConnectTimeout;
  for (;;) {
    // The gate returns early when the rank's link wakes: it could not connect and says why,
    // or it is gone (wait_for_rank throws, with the loss recorded).
    if (auto control = gate.next_until(deadline, link(rank))) return std::move(*control);
    if (wait_for_rank(rank, std::chrono::milliseconds(0)) == Ready::reply)
      throw std::runtime_error(connect_failure(rank));
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error(
          mark_lost(rank, "did not connect to the leader within " +
                              std::to_string(rank_session::kConnectTimeout.count()) + " s"));
  }
}

}  // namespace ipcmeter::ranks
