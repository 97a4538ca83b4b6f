// The mechanism of Python's Manager: the harness owns an object, and one server thread per
// client (the Manager's thread per connection) answers that client's requests over the
// client's own link of any transport. A concrete manager (harness/dict_manager.cpp serves a
// map) says how a request is answered and what the leader holds; the threads, their start
// after every fork, their liveness, wake-up and end, and their CPU time are here, once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
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
  // `max_message` bytes; the client speaks first.
  ManagerHost(const Transport& transport, const MediumOptions& options, std::size_t max_message);
  ~ManagerHost() override;

  const Link& link(int client) const override;
  void peers_started(std::span<const int> peer_liveness) override;  // starts the servers
  void peers_ready() override;  // waits until each server holds its end
  void interrupt() noexcept override;
  std::optional<std::string> stop() override;
  void report(Counters& counters) const override;  // server_cpu_ns_per_iter

 protected:
  // Answers one request into `reply` and returns the reply's size. Sets `goodbye` when the
  // client is done (its server then ends, after sending the reply). Called from every
  // server thread at once: the object must be shared safely.
  virtual std::size_t answer(std::span<const std::byte> request, std::span<std::byte> reply,
                             bool& goodbye) = 0;
  // The concrete manager's destructor calls this first, before its object goes.
  void end_servers() noexcept;

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

  void serve(std::size_t i, int liveness_fd);
  std::optional<std::string> first_error() const;

  const Transport& transport_;
  std::size_t max_message_;
  std::vector<Link> links_;
  std::vector<Server> servers_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopped_ = false;
};

}  // namespace ipcmeter
