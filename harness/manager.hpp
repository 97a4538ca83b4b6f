// The mechanism of Python's Manager: the harness owns an object, and one server thread per
// client (the Manager's thread per connection) answers that client's requests over the
// client's own link of any transport. A concrete manager (harness/dict_manager.cpp serves a
// map, harness/queue_manager.cpp a queue) says how a request is answered and what the leader
// holds; the threads, their start after every fork, their liveness, wake-up and end, and
// their CPU time are here, once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "harness/medium.hpp"

namespace ipcmeter {

class ManagerHost : public MediumHost {
 public:
  // One link per client over `transport`, carrying requests and replies of at most
  // `max_message` bytes; the client speaks first. With `leader_is_client` the leader talks
  // to the object through a server too (a queue's consumer does, as Python's main process
  // talks to its Manager), over a link of its own.
  ManagerHost(const Transport& transport, const MediumOptions& options, std::size_t max_message,
              bool leader_is_client = false);
  ~ManagerHost() override;

  const Link& link(int client) const override;
  void peers_started(std::span<const int> peer_liveness) override;  // starts the servers
  void peers_ready() override;  // waits until each server holds its end
  void interrupt() noexcept override;
  std::optional<std::string> stop() override;
  void report(Counters& counters) const override;  // server_cpu_ns_per_iter

 protected:
  // Whom a server answers, for an answer that waits on other clients: the server's number,
  // whether its client is the leader, and whether that client is still there.
  struct Caller {
    std::size_t server;
    bool leader;
    const Liveness& client;
  };

  // Answers one request into `reply` and returns the reply's size. Sets `goodbye` when the
  // client is done (its server then ends, after sending the reply). Called from every
  // server thread at once: the object must be shared safely. An answer that waits (for room
  // in a queue) wakes at least every 50 ms to look at the watchdog's flag and the caller.
  virtual std::size_t answer(const Caller& caller, std::span<const std::byte> request,
                             std::span<std::byte> reply, bool& goodbye) = 0;
  // A server's client has ended, however it did (after its last answer): a manager whose
  // answers wait for other clients wakes them. May be called from any server thread.
  virtual void client_ended(const Caller& caller) noexcept { (void)caller; }
  // The concrete manager's destructor calls this first, before its object goes.
  void end_servers() noexcept;

  // With leader_is_client, after peers_started: the leader's client side of its own link.
  // The endpoint sees its server end; the server sees the client end when `held` closes
  // (keep it as long as the endpoint), so a medium with no end-of-file of its own (ZeroMQ)
  // ends the server too. The leader's server ends quietly at its client's end: the leader's
  // hold is released, not closed, and its own errors are the run's.
  struct LeaderClient {
    std::unique_ptr<Endpoint> endpoint;
    Fd held;
  };
  LeaderClient open_leader_client();
  int clients() const { return static_cast<int>(servers_.size()); }

 private:
  struct Server {
    std::thread thread;
    pthread_t handle{};
    std::atomic<bool> started{false};
    std::atomic<bool> joined{false};
    bool opened = false;
    bool finished = false;
    std::optional<std::string> error;
    std::uint64_t cpu_ns = 0;
  };

  void serve(std::size_t i, int liveness_fd, Fd alive);
  std::optional<std::string> first_error() const;
  bool is_leader(std::size_t i) const { return leader_is_client_ && i + 1 == servers_.size(); }

  const Transport& transport_;
  std::size_t max_message_;
  WaitStrategy wait_;
  bool leader_is_client_;
  std::vector<Link> links_;  // the peers' links, then the leader's (made after every fork)
  std::vector<Server> servers_;
  // The leader's client and its server, each seeing the other end: the client holds the
  // write end of `client_alive`, the server that of `server_alive`.
  Fd client_alive_read_, client_alive_write_, server_alive_read_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
};

}  // namespace ipcmeter
