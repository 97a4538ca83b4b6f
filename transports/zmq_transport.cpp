// ZeroMQ endpoints. Side a binds, side b connects (ZeroMQ lets the connect come first).
// Every endpoint owns its own context, except inproc, whose two sides must share one: the
// Link owns it, which is why inproc is for threads only. A forked child therefore never
// touches a context created before the fork (contexts do not survive fork).
#include <fmt/core.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <span>
#include <stdexcept>
#include <zmq.hpp>

#include "transports/address.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/interrupt.hpp"
#include "transports/named_resources.hpp"
#include "transports/registry.hpp"
#include "transports/tcp_layer.hpp"
#include "transports/zmq_token_check.hpp"

namespace ipcmeter {
namespace {

// Blocking calls time out this often to look at the watchdog's flag; ZeroMQ has no
// end-of-stream, so the other side's end is learnt from its liveness, looked at after each
// timed-out wait and every kSpinsPerLivenessCheck misses while spinning.
constexpr int kWakeCheckMs = 50;
constexpr unsigned kSpinsPerLivenessCheck = 4096;
// Connections zmq-tcp's listener holds before ZeroMQ accepts them (it accepts at once).
constexpr int kTcpBacklog = 16;

struct SharedContext : Link::Resource {
  zmq::context_t context{1};
};

struct PrivateDirResource : Link::Resource {
  PrivateDir dir;
};

// ZeroMQ's own thread does the I/O of every socket of a context: one per context, on the CPU
// of the application thread that made it when that thread is pinned to one
// (ZMQ_THREAD_AFFINITY_CPU_ADD), so each side's I/O stays on its side's core. Measured here,
// fork, 64 B: left to the scheduler the I/O threads halved a stream (1.6M against 3.5M
// messages/s) and slowed a round trip to 85-130 us; on the other side's core, 0.95M and
// 130 us. With a core per side a spinning wait cannot beat a blocking one: the I/O thread
// needs the core the spinner holds (spin_once).
void place_io_thread(zmq::context_t& context) {
  context.set(zmq::ctxopt::io_threads, 1);
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) != 1) return;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) context.set(zmq::ctxopt::thread_affinity_cpu_add, cpu);
}

// zmq-tcp's connection crosses a TCP port that any local program can reach: the connecting
// side presents the run's token and the binding side requires it (zmq_token_check.hpp), on
// the listener the link bound when it was made (`listener`, side a only).
struct Tokened {
  bool on = false;
  int listener = -1;
};

class ZmqEndpoint final : public Endpoint {
 public:
  ZmqEndpoint(zmq::context_t* shared, zmq::socket_type type, const std::string& endpoint, bool bind,
              WaitStrategy wait, std::string name, Liveness other_side, Tokened tokened = {})
      : name_(std::move(name)), wait_(wait), other_side_(std::move(other_side)) {
    if (shared == nullptr) {
      own_context_.emplace();
      place_io_thread(*own_context_);
    }
    zmq::context_t& context = shared ? *shared : *own_context_;
    if (tokened.on && bind) token_check_.emplace(context);  // serving before the bind
    socket_.emplace(context, type);
    // Linger 0: closing never waits for undelivered messages (the harness releases a peer
    // only after the leader has received everything, so nothing wanted is dropped).
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::rcvtimeo, kWakeCheckMs);
    // The connecting side usually starts before the other has bound; ZeroMQ then retries
    // after ZMQ_RECONNECT_IVL, 100 ms by default, which landed inside a short timed run
    // (a 64-byte stream once measured 5 messages/s). Retry every millisecond instead.
    socket_->set(zmq::sockopt::reconnect_ivl, 1);
    socket_->set(zmq::sockopt::sndtimeo, kWakeCheckMs);
    Fd listener;
    if (tokened.on && bind) {
      require_run_token(*socket_);
      // The port was bound when the link was made (create_tcp), before any peer learnt it:
      // ZeroMQ takes over a copy of that listener (ZMQ_USE_FD) rather than bind it anew.
      listener = duplicate(tokened.listener, name_);
      socket_->set(zmq::sockopt::use_fd, listener.get());
    } else if (tokened.on) {
      present_run_token(*socket_);
    }
    try {
      if (bind)
        socket_->bind(endpoint);
      else
        socket_->connect(endpoint);
    } catch (const zmq::error_t& error) {
      throw std::runtime_error(
          fmt::format("zmq {}({}): {}", bind ? "bind" : "connect", endpoint, error.what()));
    }
    listener.release();  // ZeroMQ's now: it closes it with the socket
  }

  void send(std::span<const std::byte> message) override {
    SpinBudget budget(wait_);
    for (unsigned misses = 1;; ++misses) {
      bool spin = wait_ != WaitStrategy::block && budget.keep_spinning();
      if (attempt([&] {
            return socket_->send(zmq::const_buffer(message.data(), message.size()),
                                 spin ? zmq::send_flags::dontwait : zmq::send_flags::none)
                .has_value();
          }))
        return;
      if (liveness_due(spin, misses) && other_side_.gone())
        throw PeerClosed(fmt::format("peer gone from {}", name_));
      if (spin) spin_once();
    }
  }

  std::size_t recv(std::span<std::byte> buffer) override {
    SpinBudget budget(wait_);
    // Once the other side is gone, one full timeout with nothing arriving ends the stream.
    bool last_chance = false;
    for (unsigned misses = 1;; ++misses) {
      bool spin = wait_ != WaitStrategy::block && !last_chance && budget.keep_spinning();
      std::optional<zmq::recv_buffer_size> got;
      if (attempt([&] {
            got = socket_->recv(zmq::mutable_buffer(buffer.data(), buffer.size()),
                                spin ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
            return got.has_value();
          })) {
        if (got->truncated())
          throw std::length_error(
              fmt::format("{}: message of {} bytes does not fit a {}-byte buffer", name_,
                          got->untruncated_size, buffer.size()));
        return got->size;
      }
      if (last_chance) throw PeerClosed(fmt::format("peer gone from {}", name_));
      last_chance = liveness_due(spin, misses) && other_side_.gone();
      if (spin) spin_once();
    }
  }

  bool poll(std::chrono::nanoseconds timeout) override {
    unsigned looks = 0;
    auto readable_within = [&](long ms) {
      zmq::pollitem_t item{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0};
      int ready = zmq_poll(&item, 1, ms);
      if (ready < 0 && zmq_errno() != EINTR)
        throw std::runtime_error(fmt::format("{}: zmq_poll failed", name_));
      if (ready < 0) throw_if_interrupted("zmq_poll");
      return ready > 0;
    };
    return poll_until(
        wait_, timeout,
        [&] { return readable_within(0) || (liveness_due(false, ++looks) && other_side_.gone()); },
        [&](std::chrono::nanoseconds left) {
          // zmq_poll counts milliseconds: round up, so a short wait is not a busy loop.
          long ms = static_cast<long>((left.count() + 999'999) / 1'000'000);
          readable_within(std::min<long>(ms, kWakeCheckMs));
          looks = kSpinsPerLivenessCheck - 1;  // the next look checks liveness
        });
  }

  void close() override {
    socket_.reset();
    token_check_.reset();
    own_context_.reset();
  }

 private:
  // Runs one send or receive; false on a timeout or EINTR (after checking the watchdog).
  template <typename Call>
  bool attempt(Call call) {
    try {
      return call();
    } catch (const zmq::error_t& error) {
      // A REQ socket whose peer dies between the frames of a request drops the request yet
      // reports the send as done (libzmq keeps blocking sends "successful"); the following
      // receive then fails with EFSM. Only a vanished peer leads there: say so.
      if (error.num() == EFSM)
        throw PeerClosed(fmt::format("{}: peer went away while a request was in flight", name_));
      if (error.num() != EINTR)
        throw std::runtime_error(fmt::format("{}: {}", name_, error.what()));
      throw_if_interrupted("zmq");
      return false;
    }
  }

  // A spinning wait gives the core away at every miss: the message it waits for is moved by
  // the context's I/O thread, which shares this core (place_io_thread). With a pause instead,
  // a 64-byte round trip measured 141 us p50 and 3.3 ms p99 here (the I/O thread waited for
  // the spinner's time slice); yielding, 100 us and 0.2 ms.
  static void spin_once() { ::sched_yield(); }

  static bool liveness_due(bool spin, unsigned misses) {
    return !spin || misses % kSpinsPerLivenessCheck == 0;
  }

  std::string name_;
  WaitStrategy wait_;
  Liveness other_side_;
  std::optional<zmq::context_t> own_context_;  // declared first: destroyed after the socket
  std::optional<ZapTokenCheck> token_check_;   // ends the context's work, after the socket
  std::optional<zmq::socket_t> socket_;
};

Link create_inproc(const TransportOptions& options) {
  auto context = std::make_unique<SharedContext>();
  static std::atomic<unsigned> counter{0};
  std::string address =
      format_address("zmq-inproc", {{"context", pointer_text(&context->context)},
                                    {"endpoint", fmt::format("inproc://ipcm-{}", counter++)},
                                    {"wait", wait_name(options.wait)}});
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(context));
  return Link(address, {}, {}, std::move(resources));
}

Link create_ipc(const std::string& scheme, const TransportOptions& options) {
  auto dir = std::make_unique<PrivateDirResource>();
  std::string path = dir->dir.file("zmq");
  std::vector<std::pair<std::string, std::string>> fields = {
      {"endpoint", fmt::format("ipc://{}", path)},
      {"wait", wait_name(options.wait)},
      {"senders", std::to_string(options.senders)}};
  if (scheme == "zmq-reqrep") fields.emplace_back("asker", options.first_sender == Side::a ? "a" : "b");
  std::string address = format_address(scheme, fields);
  std::vector<std::unique_ptr<Link::Resource>> resources;
  resources.push_back(std::move(dir));
  return Link(address, {}, {}, std::move(resources));
}

// The port is bound and listening now, before any peer learns it (tcp_layer.hpp); side a's
// socket takes the listener over. A forked peer inherits a copy it never uses. The rest of the
// TCP layer is not used here: ZeroMQ connects and accepts by itself, and checks the token in
// its own handshake (zmq_token_check.hpp).
Link create_tcp(const TransportOptions& options) {
  const std::string host = options.host.empty() ? "127.0.0.1" : options.host;
  TcpListener listener = listen_on_free_port(host, kTcpBacklog, "zmq-tcp");
  // ZeroMQ's I/O thread accepts from it; one connection aborted before its accept must not
  // block that thread.
  set_nonblocking(listener.fd.get(), "zmq-tcp listener");
  std::string address =
      format_address("zmq-tcp", {{"endpoint", fmt::format("tcp://{}:{}", host, listener.port)},
                                 {"listen-fd", std::to_string(listener.fd.get())},
                                 {"wait", wait_name(options.wait)}});
  std::vector<Fd> fds;
  fds.push_back(std::move(listener.fd));
  return Link(address, std::move(fds), {});
}

std::unique_ptr<Endpoint> open_pair(const std::string& text, Side side, Liveness other_side,
                                    bool shared_context, bool tokened = false) {
  Address address = Address::parse(text);
  // Several producers cannot share a PAIR socket: fan-in is PUSH (producers) to PULL.
  if (address.fields.count("senders") && address.number("senders") > 1)
    return std::make_unique<ZmqEndpoint>(
        nullptr, side == Side::a ? zmq::socket_type::pull : zmq::socket_type::push,
        address.field("endpoint"), side == Side::a, address.wait(), text, std::move(other_side));
  zmq::context_t* context =
      shared_context ? static_cast<zmq::context_t*>(address.pointer("context")) : nullptr;
  Tokened token;
  token.on = tokened;
  if (tokened && side == Side::a) token.listener = parse_fd(address.field("listen-fd"), text);
  return std::make_unique<ZmqEndpoint>(context, zmq::socket_type::pair, address.field("endpoint"),
                                       side == Side::a, address.wait(), text, std::move(other_side),
                                       token);
}

const std::vector<WaitStrategy> kAllWaits = {WaitStrategy::block, WaitStrategy::spin,
                                             WaitStrategy::hybrid};

Transport zmq_inproc_transport() {
  Transport transport{"zmq-inproc", "zeromq", "ZeroMQ PAIR over inproc:// (threads)", false,
                      create_inproc,
                      [](const std::string& address, Side side, Liveness other_side) {
                        return open_pair(address, side, std::move(other_side),
                                         /*shared_context=*/true);
                      }};
  transport.waits = kAllWaits;
  return transport;
}

Transport zmq_ipc_transport() {
  Transport transport{"zmq-ipc", "zeromq",
                      "ZeroMQ PAIR over ipc:// (a Unix socket); PUSH/PULL for fan-in", true,
                      [](const TransportOptions& options) { return create_ipc("zmq-ipc", options); },
                      [](const std::string& address, Side side, Liveness other_side) {
                        return open_pair(address, side, std::move(other_side),
                                         /*shared_context=*/false);
                      }};
  transport.waits = kAllWaits;
  transport.many_senders = true;
  return transport;
}

Transport zmq_tcp_transport() {
  Transport transport{"zmq-tcp", "zeromq",
                      "ZeroMQ PAIR over tcp://127.0.0.1 (between hosts, the leader's address; "
                      "unauthenticated, no CURVE: the run's token checked)",
                      true, create_tcp,
                      [](const std::string& address, Side side, Liveness other_side) {
                        return open_pair(address, side, std::move(other_side),
                                         /*shared_context=*/false, /*tokened=*/true);
                      }};
  transport.waits = kAllWaits;
  transport.crosses_hosts = true;
  return transport;
}

Transport zmq_reqrep_transport() {
  Transport transport{
      "zmq-reqrep", "zeromq", "ZeroMQ REQ/REP over ipc://, strictly alternating", true,
      [](const TransportOptions& options) { return create_ipc("zmq-reqrep", options); },
      [](const std::string& text, Side side, Liveness other_side) -> std::unique_ptr<Endpoint> {
        Address address = Address::parse(text);
        // The side that speaks first asks (REQ), the other answers (REP); side a binds.
        Side asker = address.fields.count("asker") && address.field("asker") == "b" ? Side::b
                                                                                     : Side::a;
        return std::make_unique<ZmqEndpoint>(
            nullptr, side == asker ? zmq::socket_type::req : zmq::socket_type::rep,
            address.field("endpoint"), side == Side::a, address.wait(), text,
            std::move(other_side));
      }};
  transport.waits = kAllWaits;
  transport.alternating_only = true;
  return transport;
}

const Registry<Transport>::Add inproc_registered{zmq_inproc_transport};
const Registry<Transport>::Add ipc_registered{zmq_ipc_transport};
const Registry<Transport>::Add tcp_registered{zmq_tcp_transport};
const Registry<Transport>::Add reqrep_registered{zmq_reqrep_transport};

}  // namespace
}  // namespace ipcmeter
