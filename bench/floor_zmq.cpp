// The ZeroMQ floors (zmq-ipc's and zmq-tcp's): a cppzmq PAIR socket each side, the parent
// bound, the child connected, plain blocking send and receive of one frame per message.
//
// Each side makes its context after the fork: a context runs threads, and a fork while they
// run copies whatever lock they hold into the child (under AddressSanitizer the child hung in
// its allocator's lock). So only names cross the fork: ipc's socket path, and for tcp a
// listening socket the parent's ZeroMQ socket then adopts (ZMQ_USE_FD), bound to a port the
// kernel picked, so the child knows it.
#include <fmt/core.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <zmq.hpp>

#include "bench/floors.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter::floors {
namespace {

// A receive looks at the child this often, so that its death ends the floor.
constexpr int kWaitCheckMs = 100;
// How long the parent waits for the child to take its goodbye and leave.
constexpr auto kGoodbyeDeadline = std::chrono::seconds(30);

// Whether the child has exited, without reaping it (the driver reaps and judges it).
bool child_has_left(pid_t child) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child;
}

class ZmqEnd {
 public:
  // The parent binds (adopting `listen_fd` when it is one), the child connects.
  ZmqEnd(const std::string& endpoint, int listen_fd, pid_t child)
      : context_(std::make_unique<zmq::context_t>(1)),
        socket_(std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::pair)),
        child_(child) {
    if (child_ > 0) {
      socket_->set(zmq::sockopt::rcvtimeo, kWaitCheckMs);
      if (listen_fd >= 0) socket_->set(zmq::sockopt::use_fd, listen_fd);
      socket_->bind(endpoint);
    } else {
      if (listen_fd >= 0) ::close(listen_fd);  // the parent's
      socket_->set(zmq::sockopt::reconnect_ivl, 1);  // ipc: the parent may not have bound yet
      socket_->connect(endpoint);
    }
  }
  void send(std::span<const std::byte> message) {
    if (!socket_->send(zmq::const_buffer(message.data(), message.size())))
      throw FloorError("zmq send failed");
  }
  void recv(std::span<std::byte> message) {
    for (;;) {
      auto got = socket_->recv(zmq::mutable_buffer(message.data(), message.size()));
      if (got) {
        if (got->size != message.size()) throw FloorError("a message of the wrong size");
        return;
      }
      if (child_ > 0 && child_ended(child_)) throw FloorError("the child ended early");
    }
  }
  // The parent says goodbye once it holds every message, and keeps its socket open until the
  // child has taken it and left; the child leaves only then. A child that sent its last
  // message and closed at once could lose messages still on their way (seen under a CPU hog:
  // the parent's receive timed out with the child gone), and a parent that closed at once
  // could drop its goodbye.
  void finish() {
    std::byte goodbye{0};
    if (child_ == 0) {
      if (!socket_->recv(zmq::mutable_buffer(&goodbye, 1))) throw FloorError("no goodbye from the parent");
    } else {
      if (!socket_->send(zmq::const_buffer(&goodbye, 1))) throw FloorError("zmq send failed");
      auto deadline = std::chrono::steady_clock::now() + kGoodbyeDeadline;
      while (!child_has_left(child_)) {
        if (std::chrono::steady_clock::now() > deadline) throw FloorError("the child never took its goodbye");
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      socket_->set(zmq::sockopt::linger, 0);
    }
    socket_.reset();
    context_.reset();
  }

 private:
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  pid_t child_;
};

// A TCP socket listening on 127.0.0.1 at a port the kernel picks.
int listen_on_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw FloorError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw FloorError("cannot listen on 127.0.0.1");
  }
  port = ntohs(address.sin_port);
  return fd;
}

class ZmqChannel {
 public:
  ZmqChannel(const FloorRun&, bool tcp) {
    if (tcp) {
      int port = 0;
      listen_fd_ = listen_on_loopback(port);
      endpoint_ = fmt::format("tcp://127.0.0.1:{}", port);
    } else {
      dir_.emplace();
      endpoint_ = fmt::format("ipc://{}", dir_->file("floor"));
    }
  }
  ~ZmqChannel() {
    if (listen_fd_ >= 0 && !adopted_) ::close(listen_fd_);
  }
  ZmqChannel(const ZmqChannel&) = delete;
  ZmqChannel& operator=(const ZmqChannel&) = delete;

  ZmqEnd child_end() { return {endpoint_, listen_fd_, 0}; }
  ZmqEnd parent_end(pid_t child) {
    adopted_ = listen_fd_ >= 0;  // the ZeroMQ socket closes it
    return {endpoint_, listen_fd_, child};
  }

 private:
  std::optional<PrivateDir> dir_;
  std::string endpoint_;
  int listen_fd_ = -1;
  bool adopted_ = false;
};

struct ZmqIpcChannel : ZmqChannel {
  explicit ZmqIpcChannel(const FloorRun& run) : ZmqChannel(run, false) {}
};
struct ZmqTcpChannel : ZmqChannel {
  explicit ZmqTcpChannel(const FloorRun& run) : ZmqChannel(run, true) {}
};

const AddFloor zmq_ipc_floor{{"zmq-ipc", {WaitStrategy::block}, measure<ZmqIpcChannel>}};
const AddFloor zmq_tcp_floor{{"zmq-tcp", {WaitStrategy::block}, measure<ZmqTcpChannel>}};

}  // namespace
}  // namespace ipcmeter::floors
