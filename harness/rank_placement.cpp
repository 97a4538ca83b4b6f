// "rank": the peer runs on another rank of an mpirun, on whatever host mpirun put it. Peer i
// is rank i + 1; the leader sends it the same peer arguments a spawned peer gets on its
// command line (over MPI), its control channel is a TCP connection to the leader's address,
// and network transports listen on that address too. Only media that cross hosts run here.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "harness/placement.hpp"
#include "harness/ranks.hpp"

namespace ipcmeter {
namespace {

// On top of the harness's grace: the rank wakes a peer that outlives the leader's end of the
// control channel after its own grace (ranks/peer_loop.cpp), and its report then crosses the
// network.
constexpr std::chrono::milliseconds kReportAllowance{1000};

class RankPeer final : public RunningPeer {
 public:
  explicit RankPeer(int rank) : rank_(rank) {}
  ~RankPeer() override {
    if (!ended_) wait(std::chrono::milliseconds(2000));
  }

  void stop() noexcept override {
    // A process on another host cannot be signalled from here. The leader's end of the
    // control channel closes right after (PeerGroup::end), and the rank then wakes a peer
    // still running, as the thread placement wakes a thread.
  }

  int wait(std::chrono::milliseconds grace) override {
    if (ended_) return code_;
    ended_ = true;
    code_ = kPeerLost;
    try {
      if (ranks::wait_for_rank(rank_, grace + kReportAllowance) == ranks::Ready::timeout) {
        ranks::mark_lost(rank_, "did not report the end of its run");
        return code_;
      }
      std::string reply = ranks::receive_reply(rank_);
      int code = 0;
      if (std::sscanf(reply.c_str(), "ended %d", &code) == 1) code_ = code;
    } catch (const std::runtime_error&) {
      // The rank is gone (recorded, with its one line): the peer counts as lost.
    }
    return code_;
  }

  // A lost rank's run says which rank on which host went away.
  std::string describe_end(int code) const override {
    std::string line = code == kPeerLost ? ranks::lost(rank_) : std::string();
    return line.empty() ? describe_peer_end(code) : line;
  }

 private:
  int rank_;
  bool ended_ = false;
  int code_ = kPeerLost;
};

std::unique_ptr<RunningPeer> start_rank_peer(PeerLaunch launch) {
  PeerSpec& spec = launch.spec;
  spec.own_process = true;
  const int rank = spec.peer_index + 1;
  std::string job = kJobRun;
  for (const auto& arg : spec.to_args()) job += "\n" + arg;
  ranks::send_job(rank, job);
  return std::make_unique<RankPeer>(rank);
}

std::string unavailable() {
  return ranks::size() > 0 ? std::string()
                           : "the suite was not started under mpirun (mpirun -np 2 or more places "
                             "peers on ranks)";
}

int capacity() { return std::max(ranks::size() - 1, 0); }

// A peer beyond the ranks mpirun started (a benchmark listed as unsupported) has no host.
std::string hosts(int peers) {
  const auto& all = ranks::hosts();
  std::string text = all.empty() ? "none" : all.front();
  for (int i = 1; i <= peers; ++i)
    text += "," + (i < static_cast<int>(all.size()) ? all[static_cast<std::size_t>(i)]
                                                    : std::string("none"));
  return text;
}

std::string leader_address() { return ranks::leader_address(); }

std::pair<Fd, Fd> make_control(int peer) { return {ranks::open_control(peer + 1), Fd()}; }

const RemotePeers kRanks{unavailable, capacity, hosts, leader_address, make_control};

}  // namespace

const Placement* rank_placement() {
  static const Placement placement{
      "rank", "peers on the other ranks of an mpirun, on whatever hosts it was given", true,
      start_rank_peer, &kRanks};
  return &placement;
}

}  // namespace ipcmeter
