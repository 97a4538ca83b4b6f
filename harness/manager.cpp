// A manager's server threads: started after every fork, one per client, each watching its
// own client's liveness, ended at the client's goodbye or end, woken by the watchdog.
#include "harness/manager.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <tuple>

#include "harness/clock.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {

namespace {

TransportOptions link_options(const MediumOptions& options, std::size_t max_message) {
  TransportOptions link;
  link.max_message_size = max_message;
  link.wait = options.wait;
  link.first_sender = Side::b;  // the client asks, the server answers
  link.host = options.host;
  return link;
}

std::pair<Fd, Fd> make_pipe(const char* name) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2", name);
  return {Fd(fds[0]), Fd(fds[1])};
}

}  // namespace

ManagerHost::ManagerHost(const Transport& transport, const MediumOptions& options,
                         std::size_t max_message, bool leader_is_client)
    : transport_(transport),
      max_message_(max_message),
      wait_(options.wait),
      leader_is_client_(leader_is_client) {
  // Room for the leader's link too: a peer's placement may hold on to its link's address.
  links_.reserve(static_cast<std::size_t>(options.peers) + 1);
  for (int i = 0; i < options.peers; ++i)
    links_.push_back(transport.create(link_options(options, max_message)));
  servers_ = std::vector<Server>(static_cast<std::size_t>(options.peers) + (leader_is_client ? 1 : 0));
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
  Fd server_alive_write;
  if (leader_is_client_) {
    // Made only now, with every peer forked, so that no peer holds a copy of the leader's
    // link or of the fds that tell its client and server of each other's end.
    MediumOptions options;
    options.wait = wait_;
    links_.push_back(transport_.create(link_options(options, max_message_)));
    std::tie(client_alive_read_, client_alive_write_) = make_pipe("leader client's liveness");
    std::tie(server_alive_read_, server_alive_write) = make_pipe("leader server's liveness");
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    int liveness_fd = is_leader(i) ? client_alive_read_.get() : peer_liveness[i];
    Fd alive = is_leader(i) ? std::move(server_alive_write) : Fd();
    servers_[i].thread = std::thread(
        [this, i, liveness_fd, alive = std::move(alive)]() mutable { serve(i, liveness_fd, std::move(alive)); });
    servers_[i].handle = servers_[i].thread.native_handle();
    servers_[i].started.store(true, std::memory_order_release);
  }
}

ManagerHost::LeaderClient ManagerHost::open_leader_client() {
  if (!leader_is_client_ || !server_alive_read_.valid())
    throw std::logic_error("the leader's client is opened once, after peers_started");
  int server_alive = server_alive_read_.get();
  LeaderClient client;
  client.endpoint = transport_.open(links_.back().address(), Side::b, Liveness({&server_alive, 1}));
  client.held = std::move(client_alive_write_);
  server_alive_read_.reset();  // the endpoint's liveness holds its own copy
  return client;
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
  stopping_.store(true, std::memory_order_release);
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
  client_alive_read_.reset();
  client_alive_write_.reset();
  server_alive_read_.reset();
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

void ManagerHost::serve(std::size_t i, int liveness_fd, Fd alive) {
  std::string who = is_leader(i)
                        ? fmt::format("manager over {}, the leader's server", transport_.name)
                        : fmt::format("manager over {}, server {}", transport_.name, i);
  std::optional<std::string> error;
  std::uint64_t cpu_start = thread_cpu_ns();
  std::optional<Liveness> client;
  try {
    client.emplace(std::span<const int>(&liveness_fd, 1));
    Caller caller{i, is_leader(i), *client};
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
      std::size_t size = answer(caller, std::span(request).first(n), reply, goodbye);
      endpoint->send(std::span(reply).first(size));
    }
    endpoint->close();
  } catch (const PeerClosed&) {
    // The client went without a goodbye: its own end explains the run's failure. The
    // leader's own client is released at the end of every run, never closed: no error.
    if (!is_leader(i)) error = fmt::format("{}: client went away without saying goodbye", who);
  } catch (const std::exception& failure) {
    // The leader's hold has been released before the host stops, so its server woken by the
    // stop (over ZeroMQ, which learns of an end only by waiting) has simply ended.
    if (!is_leader(i) || !stopping_.load(std::memory_order_acquire))
      error = fmt::format("{}: {}", who, failure.what());
  }
  if (client) client_ended({i, is_leader(i), *client});
  alive.reset();  // the leader's client sees its server end
  std::lock_guard lock(mutex_);
  servers_[i].cpu_ns = thread_cpu_ns() - cpu_start;
  servers_[i].error = std::move(error);
  servers_[i].finished = true;
  changed_.notify_all();
}

}  // namespace ipcmeter
