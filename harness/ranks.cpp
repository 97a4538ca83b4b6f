// The MPI session: initialises MPI under mpirun, connects every rank to the leader over TCP,
// runs the peer loop on the ranks other than 0, and carries the leader's jobs to them.
//
// MPI carries every job and reply. Each rank also holds one TCP connection to the leader,
// opened at start-up: a byte on it wakes the receiver of a job or reply (Open MPI's blocking
// receive spins a core, and an idle rank must not burn the CPU the measured runs use). The
// byte goes first: a send may need the receiver to progress MPI (its first message to a
// rank does, over shared memory), which it does only once awake. The connection's
// hang-up tells either side at once that the other is gone (a rank's process ended, or
// its host went away), which MPI itself would only say by aborting the job.
#include "harness/ranks.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mpi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "harness/control.hpp"
#include "harness/peer.hpp"
#include "harness/process_guard.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

constexpr int kJobTag = 1;
constexpr int kReplyTag = 2;
// How long a rank has to reach the leader (at start-up, and for each run's control channel):
// past it, the host counts as unreachable.
constexpr std::chrono::seconds kConnectTimeout{20};
// A peer still running this long after the leader closed its control channel is woken, as
// a thread peer is: by then a healthy one has long gone.
constexpr std::chrono::milliseconds kPeerStopGrace{200};

struct State {
  bool open = false;
  int rank = 0;
  int size = 0;
  MPI_Comm comm = MPI_COMM_NULL;  // the session's own, so no transport's tag can match its jobs
  std::vector<std::string> hosts;
  std::string leader_address;
  std::vector<Fd> links;  // the leader's connection to each rank (by rank); a rank's: [0]
  std::atomic<bool> closing{false};
  std::mutex lost_mutex;
  std::string lost;
  std::thread watcher;
  Fd watcher_stop;  // written to end the watcher
  Fd watcher_wake;  // what the watcher polls for that
};

State& state() {
  static State session;
  return session;
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

void check(int code, const char* call) {
  if (code != MPI_SUCCESS)
    throw std::runtime_error(std::string(call) + ": " + mpi_error_text(code));
}

void send_text(int to, int tag, const std::string& text) {
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, state().comm),
        "MPI_Send");
}

// Called once a wake-up byte said the message was sent: waits (spinning, briefly) for it.
std::string receive_text(int from, int tag) {
  MPI_Message message;
  MPI_Status status;
  check(MPI_Mprobe(from, tag, state().comm, &message, &status), "MPI_Mprobe");
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  check(MPI_Mrecv(text.data(), count, MPI_CHAR, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return text;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

std::string who(int rank) {
  const auto& hosts = state().hosts;
  std::string host = rank >= 0 && rank < static_cast<int>(hosts.size()) ? hosts[rank] : "?";
  return "rank " + std::to_string(rank) + " on " + host;
}

// Wakes the other side of a rank's connection; false when it has gone.
bool ring(int fd) {
  char byte = 1;
  for (;;) {
    if (::send(fd, &byte, 1, MSG_NOSIGNAL) == 1) return true;
    if (errno != EINTR) return false;
  }
}

sockaddr_in ipv4(const std::string& address, int port) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1)
    throw UsageError("'" + address + "' is not an IPv4 address");
  return where;
}

// A connection to address:port within kConnectTimeout, or SystemError.
Fd connect_tcp(const std::string& address, int port) {
  const std::string name = address + ":" + std::to_string(port);
  sockaddr_in where = ipv4(address, port);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) throw SystemError("socket", name);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
    if (errno != EINPROGRESS) throw SystemError("connect", name);
    pollfd entry{fd.get(), POLLOUT, 0};
    int ready;
    do {
      ready =
          ::poll(&entry, 1, static_cast<int>(std::chrono::milliseconds(kConnectTimeout).count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) throw SystemError("connect", name, ETIMEDOUT);
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) throw SystemError("connect", name, error);
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  // The run's token first: the leader takes no connection without it.
  if (::send(fd.get(), run_token().data(), kRunTokenSize, MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kRunTokenSize))
    throw SystemError("send", name);
  return fd;
}

// A listener on address, port chosen by the kernel.
Fd listen_tcp(const std::string& address, int backlog, int& port) {
  sockaddr_in where = ipv4(address, 0);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError("socket", address);
  socklen_t length = sizeof where;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&where), sizeof where) != 0)
    throw SystemError("bind", address + ":0");
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&where), &length) != 0)
    throw SystemError("getsockname", address);
  if (::listen(fd.get(), backlog) != 0) throw SystemError("listen", address);
  port = ntohs(where.sin_port);
  return fd;
}

Fd accept_tcp(int listener) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      Fd connection(fd);
      int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      // The run's token, within the connect timeout: anything else is not one of the ranks.
      char token[kRunTokenSize];
      std::size_t got = 0;
      while (got < kRunTokenSize) {
        pollfd entry{fd, POLLIN, 0};
        int ready = ::poll(&entry, 1, static_cast<int>(std::chrono::milliseconds(kConnectTimeout).count()));
        if (ready < 0 && errno == EINTR) continue;
        ssize_t n = ready > 0 ? ::recv(fd, token + got, kRunTokenSize - got, 0) : 0;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got != kRunTokenSize || !is_run_token(std::string_view(token, kRunTokenSize)))
        throw std::runtime_error("a connection to the leader did not present the run's token "
                                 "(not one of the ranks): refused");
      return connection;
    }
    if (errno != EINTR && errno != ECONNABORTED) throw SystemError("accept", "rank connection");
  }
}

// The local address of the route to `host`: where that host reaches this one. The leader's
// own name is no guide (Debian maps it to 127.0.1.1), the route to a peer's host is.
std::string route_source_to(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(host.c_str(), "9", &hints, &found); error != 0)
    throw UsageError("cannot resolve the host name '" + host + "' of a rank (" +
                     ::gai_strerror(error) + "): give " + kLeaderAddressFlag + "=IPv4");
  // A UDP socket's connect sends nothing: it only picks the route and its source address.
  Fd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int connected = probe.valid() ? ::connect(probe.get(), found->ai_addr, found->ai_addrlen) : -1;
  ::freeaddrinfo(found);
  if (connected != 0) throw SystemError("connect(udp route probe)", host);
  sockaddr_in local{};
  socklen_t length = sizeof local;
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
    throw SystemError("getsockname", host);
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
  return text;
}

std::string choose_leader_address(const std::string& given) {
  const auto& hosts = state().hosts;
  if (!given.empty()) {
    ipv4(given, 0);  // checks it
    return given;
  }
  for (std::size_t r = 1; r < hosts.size(); ++r)
    if (hosts[r] != hosts[0]) return route_source_to(hosts[r]);
  return "127.0.0.1";  // every rank on this host
}

std::string flag_value(int argc, char** argv, const std::string& flag) {
  std::string value;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind(flag + "=", 0) == 0)
      value = arg.substr(flag.size() + 1);
    else if (arg == flag && i + 1 < argc)
      value = argv[i + 1];
  }
  return value;
}

// Leader: the one line, written at once (mpirun may end this process any moment after a
// rank's death), and kept for the end of the run.
std::string record_lost(const std::string& line) {
  State& s = state();
  std::lock_guard lock(s.lost_mutex);
  if (s.lost.empty()) {
    s.lost = line;
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, line.c_str());
    std::fflush(stderr);
  }
  return s.lost;
}

// Leader: watches every rank's connection for a hang-up (only that: the wake-up bytes are
// read by the thread that waits for a reply).
void watch_ranks(int stop) {
  State& s = state();
  std::vector<pollfd> entries;
  for (int r = 1; r < s.size; ++r) entries.push_back({s.links[r].get(), POLLRDHUP, 0});
  entries.push_back({stop, POLLIN, 0});
  for (;;) {
    int ready = ::poll(entries.data(), entries.size(), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || entries.back().revents != 0 || s.closing.load()) return;
    for (std::size_t i = 0; i + 1 < entries.size(); ++i)
      if (entries[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        if (!s.closing.load())
          record_lost(who(static_cast<int>(i) + 1) +
                      " went away (its process ended or its host is unreachable); the run stops");
        return;
      }
  }
}

// Leader: every other rank connects to the leader's address (which proves it reachable) and
// says which rank it is; a rank that cannot reports why over MPI.
void accept_ranks(int listener, const std::string& where) {
  State& s = state();
  s.links.resize(static_cast<std::size_t>(s.size));
  int connected = 0;
  auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
  while (connected < s.size - 1) {
    pollfd entry{listener, POLLIN, 0};
    int ready = ::poll(&entry, 1, 20);
    if (ready > 0) {
      Fd link = accept_tcp(listener);
      std::int32_t rank = -1;
      if (::recv(link.get(), &rank, sizeof rank, MSG_WAITALL) != sizeof rank || rank <= 0 ||
          rank >= s.size || s.links[rank].valid())
        throw std::runtime_error("a connection to the leader at " + where + " did not name a rank");
      s.links[rank] = std::move(link);
      ++connected;
      continue;
    }
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, kReplyTag, s.comm, &flag, &status), "MPI_Iprobe");
    if (flag)
      throw std::runtime_error(
          receive_text(status.MPI_SOURCE, kReplyTag).substr(std::strlen(kReplyError) + 1));
    if (std::chrono::steady_clock::now() > deadline) {
      std::string missing;
      for (int r = 1; r < s.size; ++r)
        if (!s.links[r].valid()) missing += (missing.empty() ? "" : ", ") + who(r);
      throw std::runtime_error(missing + " did not reach the leader at " + where + " within " +
                               std::to_string(kConnectTimeout.count()) + " s");
    }
  }
}

// A rank: wakes the run's peer if it is still running kPeerStopGrace after the leader closed
// its end of the control channel (a peer asleep in the "hang" fault, or waiting on a medium
// with no end of its own), as the thread placement wakes a thread peer.
class PeerStopper {
 public:
  explicit PeerStopper(int control) : control_(duplicate(control, "control channel")) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2", "peer stopper");
    stop_read_ = Fd(fds[0]);
    stop_write_ = Fd(fds[1]);
    pthread_t peer = ::pthread_self();
    thread_ = std::thread([this, peer] { watch(peer); });
  }
  ~PeerStopper() {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_write_.get(), &byte, 1);
    thread_.join();
  }

 private:
  void watch(pthread_t peer) {
    pollfd entries[2] = {{control_.get(), POLLRDHUP, 0}, {stop_read_.get(), POLLIN, 0}};
    int timeout = -1;
    for (;;) {
      int ready = ::poll(entries, 2, timeout);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || entries[1].revents != 0) return;
      if (ready == 0) {  // the grace (then every 50 ms) is over and the peer still runs
        request_interrupt();
        ::pthread_kill(peer, kInterruptSignal);
        timeout = 50;
        continue;
      }
      entries[0].events = 0;  // hung up: from now on only the stop pipe and the clock
      entries[0].fd = -1;
      timeout = static_cast<int>(kPeerStopGrace.count());
    }
  }
  Fd control_;
  Fd stop_read_;
  Fd stop_write_;
  std::thread thread_;
};

// A rank: one run's peer side, on the control channel the previous job connected.
int run_one(const std::string& job, Fd control) {
  if (!control.valid()) return kPeerFailed;  // nobody to tell; the leader's connect failed
  std::vector<std::string> args;
  std::string::size_type start = job.find('\n');
  while (start != std::string::npos) {
    auto end = job.find('\n', start + 1);
    args.push_back(job.substr(start + 1, end == std::string::npos ? end : end - start - 1));
    start = end;
  }
  PeerSpec spec;
  try {
    spec = PeerSpec::from_args(args);
  } catch (const std::exception& error) {
    try {
      ControlChannel(std::move(control)).send({ControlKind::failed, 0, 0, {}, error.what()});
    } catch (const std::exception&) {
      // The leader is gone too; its own error says why.
    }
    return kPeerFailed;
  }
  spec.keep_process = true;
  spec.own_process = true;
  clear_interrupt();
  int code;
  {
    PeerStopper stopper(control.get());
    code = run_peer(spec, std::move(control));
  }
  clear_interrupt();
  return code;
}

// A rank: the control channel of the next run, to the address the leader listens on, and
// that run's token (run_token.hpp), which the connection presents first.
Fd connect_control(const std::string& job) {
  char address[64] = {};
  char token[kRunTokenSize + 1] = {};
  int port = 0;
  if (std::sscanf(job.c_str(), "connect %63s %d %32s", address, &port, token) != 3)
    throw std::runtime_error("bad job (a connect without its address, port and token)");
  adopt_run_token(token);
  return connect_tcp(address, port);
}

[[noreturn]] void serve_as_peer() {
  State& s = state();
  install_process_guard();
  Fd control;
  for (;;) {
    char byte;
    ssize_t n;
    do {
      n = ::recv(s.links[0].get(), &byte, 1, 0);
    } while (n < 0 && errno == EINTR);
    // The leader has gone: mpirun ends the job; leave at once.
    if (n <= 0) ::_exit(kPeerOrphaned);
    std::string job = receive_text(0, kJobTag);
    if (job == kJobExit) break;
    if (starts_with(job, kJobConnect)) {
      try {
        control = connect_control(job);
      } catch (const std::exception& error) {
        control.reset();
        ring(s.links[0].get());
        send_text(0, kReplyTag,
                  std::string(kReplyError) + " " + who(s.rank) +
                      " cannot reach the leader: " + error.what());
      }
      continue;
    }
    int code = starts_with(job, kJobRun) ? run_one(job, std::move(control)) : kPeerFailed;
    ring(s.links[0].get());
    send_text(0, kReplyTag, std::string(kReplyEnded) + " " + std::to_string(code));
  }
  s.links.clear();
  MPI_Comm_free(&s.comm);
  MPI_Finalize();
  std::exit(0);
}

}  // namespace

std::string mpi_status() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string library(version, static_cast<std::size_t>(length));
  library = library.substr(0, library.find_first_of(",\n"));
  const State& s = state();
  if (!s.open)
    return library + "; not started under mpirun (mpirun -np 2 or more places peers on ranks)";
  std::string hosts;
  for (const auto& host : s.hosts) hosts += (hosts.empty() ? "" : ",") + host;
  return library + "; " + std::to_string(s.size) + " rank" + (s.size == 1 ? "" : "s") + " on " +
         hosts + "; the leader at " + s.leader_address;
}

RankSession::RankSession(int argc, char** argv) {
  if (launched_ranks() == 0) return;
  State& s = state();
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

  // The leader's run token, which every TCP connection of the run presents (run_token.hpp):
  // the other ranks were started by mpirun, not by the leader, so they learn it here.
  char token[kRunTokenSize + 1] = {};
  if (s.rank == 0) std::memcpy(token, run_token().data(), kRunTokenSize);
  check(MPI_Bcast(token, sizeof token, MPI_CHAR, 0, s.comm), "MPI_Bcast");
  if (s.rank != 0) adopt_run_token(std::string(token, kRunTokenSize));

  // Every rank's host, for the names' hosts: segment and for finding the leader's address.
  char mine[256] = {};
  std::string name = host_name();
  std::strncpy(mine, name.c_str(), sizeof mine - 1);
  std::vector<char> all(sizeof mine * static_cast<std::size_t>(s.size));
  check(MPI_Allgather(mine, sizeof mine, MPI_CHAR, all.data(), sizeof mine, MPI_CHAR, s.comm),
        "MPI_Allgather");
  for (int r = 0; r < s.size; ++r)
    s.hosts.emplace_back(&all[sizeof mine * static_cast<std::size_t>(r)]);

  // The leader listens at its address; every rank learns it and connects.
  char where[128] = {};
  Fd listener;
  std::string error;
  if (s.rank == 0) {
    try {
      s.leader_address = choose_leader_address(flag_value(argc, argv, kLeaderAddressFlag));
      int port = 0;
      listener = listen_tcp(s.leader_address, s.size, port);
      std::snprintf(where, sizeof where, "%s %d", s.leader_address.c_str(), port);
    } catch (const std::exception& failure) {
      error = failure.what();  // said after the broadcast, so no rank waits for it
    }
  }
  check(MPI_Bcast(where, sizeof where, MPI_CHAR, 0, s.comm), "MPI_Bcast");
  if (s.rank == 0) {
    if (!error.empty()) throw std::runtime_error(error);
    std::string text = where;
    text[text.find(' ')] = ':';
    accept_ranks(listener.get(), text);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2", "rank watcher");
    s.watcher_wake = Fd(fds[0]);
    s.watcher_stop = Fd(fds[1]);
    s.watcher = std::thread([read_end = fds[0]] { watch_ranks(read_end); });
    return;
  }

  // Another rank: nothing to connect to when the leader failed; it ends the job.
  char address[64] = {};
  int port = 0;
  if (std::sscanf(where, "%63s %d", address, &port) != 2) ::pause();
  s.leader_address = address;
  s.links.resize(1);
  try {
    s.links[0] = connect_tcp(address, port);
    std::int32_t rank = s.rank;
    if (::send(s.links[0].get(), &rank, sizeof rank, MSG_NOSIGNAL) != sizeof rank)
      throw SystemError("send", "leader connection");
  } catch (const std::exception& failure) {
    send_text(0, kReplyTag,
              std::string(kReplyError) + " " + who(s.rank) + " cannot reach the leader at " +
                  address + ":" + std::to_string(port) + ": " + failure.what() + " (give " +
                  kLeaderAddressFlag + "=IPv4 an address it can reach)");
    for (;;) ::pause();  // the leader says so and ends the job
  }
  serve_as_peer();
}

RankSession::~RankSession() {
  State& s = state();
  if (!s.open || s.rank != 0) return;
  s.closing.store(true);
  if (s.watcher.joinable()) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(s.watcher_stop.get(), &byte, 1);
    s.watcher.join();
  }
  // A lost rank cannot take part in MPI_Finalize: leave without it, and mpirun ends the job.
  if (!lost().empty()) return;
  for (int r = 1; r < s.size; ++r) {
    try {
      ring(s.links[r].get());
      send_text(r, kJobTag, kJobExit);
    } catch (const std::exception&) {
      return;  // as lost
    }
  }
  s.links.clear();
  MPI_Comm_free(&s.comm);
  MPI_Finalize();
}

std::string RankSession::lost() {
  State& s = state();
  std::lock_guard lock(s.lost_mutex);
  return s.lost;
}

namespace ranks {

int size() { return state().open ? state().size : 0; }
const std::vector<std::string>& hosts() { return state().hosts; }
const std::string& leader_address() { return state().leader_address; }

std::string mark_lost(const std::string& line) { return record_lost(line); }

void send_job(int rank, const std::string& job) {
  if (std::string lost = RankSession::lost(); !lost.empty())
    throw std::runtime_error("no run on ranks after: " + lost);
  if (!ring(state().links[rank].get()))
    throw std::runtime_error(
        mark_lost(who(rank) + " went away (its connection to the leader closed); the run stops"));
  send_text(rank, kJobTag, job);
}

Ready wait_for_rank(int rank, std::chrono::milliseconds timeout, int also) {
  int link = state().links[rank].get();
  pollfd entries[2] = {{link, POLLIN | POLLRDHUP, 0}, {also, POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int ready =
        ::poll(entries, also >= 0 ? 2 : 1, static_cast<int>(std::max<long>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw SystemError("poll", who(rank));
    if (ready == 0) return Ready::timeout;
    if (entries[0].revents & POLLIN) {
      char byte;
      if (::recv(link, &byte, 1, MSG_DONTWAIT) == 1) return Ready::reply;
    }
    if (entries[0].revents != 0)
      throw std::runtime_error(mark_lost(
          who(rank) + " went away (its process ended or its host is unreachable); the run stops"));
    if (also >= 0 && entries[1].revents != 0) return Ready::also;
  }
}

std::string receive_reply(int rank) { return receive_text(rank, kReplyTag); }

std::string who(int rank) { return ipcmeter::who(rank); }

Fd open_control(int rank) {
  const State& s = state();
  int port = 0;
  Fd listener = listen_tcp(s.leader_address, 1, port);
  // The run's token goes with it (over MPI, as at start-up): each run has a fresh one.
  send_job(rank, std::string(kJobConnect) + " " + s.leader_address + " " + std::to_string(port) +
                     " " + run_token());
  Ready ready = wait_for_rank(rank, kConnectTimeout, listener.get());
  if (ready == Ready::also) return accept_tcp(listener.get());
  if (ready == Ready::timeout)
    throw std::runtime_error(mark_lost(who(rank) + " did not connect to the leader within " +
                                       std::to_string(kConnectTimeout.count()) +
                                       " s; the run stops"));
  std::string reply = receive_reply(rank);  // it could not connect, and says why
  throw std::runtime_error(starts_with(reply, kReplyError)
                               ? reply.substr(std::strlen(kReplyError) + 1)
                               : who(rank) + " answered '" + reply + "'");
}

}  // namespace ranks
}  // namespace ipcmeter
