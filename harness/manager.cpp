// A manager's server threads: started after every fork, one per client, each watching its
// own client's liveness, ended at the client's goodbye or end, woken by the watchdog.
#include "harness/manager.hpp"

#include <pthread.h>

#include <chrono>

#include "harness/clock.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {

ManagerHost::ManagerHost(const Transport& transport, const MediumOptions& options,
                         std::size_t max_message)
    : transport_(transport), max_message_(max_message) {
  TransportOptions link;
  link.max_message_size = max_message;
  link.wait = options.wait;
  link.first_sender = Side::b;  // the client asks, the server answers
  for (int i = 0; i < options.peers; ++i) links_.push_back(transport.create(link));
  servers_ = std::vector<Server>(static_cast<std::size_t>(options.peers));
}

ManagerHost::~ManagerHost() { end_servers(); }

void ManagerHost::end_servers() noexcept {
  try {
    stop();
  } catch (const std::exception&) {
    // A destructor cannot report; stop() has already been called on every normal path.
  }
}

const Link& ManagerHost::link(int client) const {
  return links_.at(static_cast<std::size_t>(client));
}

void ManagerHost::peers_started(std::span<const int> peer_liveness) {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    int liveness_fd = peer_liveness[i];
    servers_[i].thread = std::thread([this, i, liveness_fd] { serve(i, liveness_fd); });
    servers_[i].handle = servers_[i].thread.native_handle();
    servers_[i].started.store(true, std::memory_order_release);
  }
}

void ManagerHost::peers_ready() {
  // Each client has opened its side; a server's open (an accept, say) completes now.
  std::unique_lock lock(mutex_);
  for (;;) {
    bool all_open = true;
    for (const auto& server : servers_) {
      if (server.finished && server.error) throw std::runtime_error(*server.error);
      all_open = all_open && server.opened;
    }
    if (all_open) break;
    changed_.wait_for(lock, std::chrono::milliseconds(50));
    throw_if_interrupted("waiting for the manager's server threads");
  }
  lock.unlock();
  // Every side holds its own copies now; the originals would hide a client's end.
  for (auto& link : links_) link.close_fds();
}

void ManagerHost::interrupt() noexcept {
  for (auto& server : servers_)
    if (server.started.load(std::memory_order_acquire) &&
        !server.joined.load(std::memory_order_acquire))
      ::pthread_kill(server.handle, kInterruptSignal);
}

std::optional<std::string> ManagerHost::stop() {
  if (stopped_) return first_error();
  stopped_ = true;
  {
    // A server ends at its client's goodbye, or when its link or the client's liveness says
    // the client is gone. Every client has ended by now, so one still waiting after a short
    // grace (its client never came) is woken and unwinds.
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    auto all_finished = [&] {
      for (const auto& server : servers_)
        if (server.started.load(std::memory_order_relaxed) && !server.finished) return false;
      return true;
    };
    while (!changed_.wait_until(lock, deadline, all_finished)) {
      lock.unlock();
      request_interrupt();
      interrupt();
      lock.lock();
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    }
  }
  for (auto& server : servers_) {
    server.joined.store(true, std::memory_order_release);
    if (server.thread.joinable()) server.thread.join();
  }
  for (auto& link : links_) link.close_fds();
  return first_error();
}

void ManagerHost::report(Counters& counters) const {
  std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (const auto& server : servers_) sum += server.cpu_ns;
  counters.add("server_cpu_ns_per_iter", static_cast<double>(sum), Counter::Per::iteration);
}

std::optional<std::string> ManagerHost::first_error() const {
  std::lock_guard lock(mutex_);
  for (const auto& server : servers_)
    if (server.error) return server.error;
  return std::nullopt;
}

void ManagerHost::serve(std::size_t i, int liveness_fd) {
  std::string who = "manager over " + transport_.name + ", server " + std::to_string(i);
  std::optional<std::string> error;
  std::uint64_t cpu_start = thread_cpu_ns();
  try {
    std::unique_ptr<Endpoint> endpoint =
        transport_.open(links_[i].address(), Side::a, Liveness({&liveness_fd, 1}));
    {
      std::lock_guard lock(mutex_);
      servers_[i].opened = true;
    }
    changed_.notify_all();
    cpu_start = thread_cpu_ns();
    std::vector<std::byte> request(max_message_), reply(max_message_);
    for (bool goodbye = false; !goodbye;) {
      std::size_t n = endpoint->recv(request);
      std::size_t size = answer(std::span(request).first(n), reply, goodbye);
      endpoint->send(std::span(reply).first(size));
    }
    endpoint->close();
  } catch (const PeerClosed&) {
    // The client went without a goodbye: its own end explains the run's failure.
    error = who + ": client went away without saying goodbye";
  } catch (const std::exception& failure) {
    error = who + ": " + failure.what();
  }
  std::lock_guard lock(mutex_);
  servers_[i].cpu_ns = thread_cpu_ns() - cpu_start;
  servers_[i].error = std::move(error);
  servers_[i].finished = true;
  changed_.notify_all();
}

}  // namespace ipcmeter
