// The byte-stream floors: pipe, socketpair, unix-stream (a socket at a path) and tcp
// (loopback, TCP_NODELAY). Each message is `size` raw bytes written with write(2) until all
// are out and read with read(2) until all are in: no length prefix, no read-ahead buffer.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "bench/floors.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter::floors {
namespace {

void check(bool ok, const char* call) {
  if (!ok) throw FloorError(std::string(call) + ": " + std::strerror(errno));
}

// One process's end: where it reads and where it writes (one socket, or two pipes).
class FdEnd {
 public:
  FdEnd(int in, int out) : in_(in), out_(out) {}
  void send(std::span<const std::byte> message) {
    for (std::size_t done = 0; done < message.size();) {
      ssize_t n = ::write(out_, message.data() + done, message.size() - done);
      if (n < 0 && errno == EINTR) continue;
      check(n > 0, "write");
      done += static_cast<std::size_t>(n);
    }
  }
  void recv(std::span<std::byte> message) {
    for (std::size_t done = 0; done < message.size();) {
      ssize_t n = ::read(in_, message.data() + done, message.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) throw FloorError("the other side closed");
      check(n > 0, "read");
      done += static_cast<std::size_t>(n);
    }
  }
  void finish() {}

 private:
  int in_, out_;
};

// Two pipes, one each way.
class PipeChannel {
 public:
  explicit PipeChannel(const FloorRun&) {
    check(::pipe2(down_, O_CLOEXEC) == 0 && ::pipe2(up_, O_CLOEXEC) == 0, "pipe2");
  }
  ~PipeChannel() {
    for (int fd : {down_[0], down_[1], up_[0], up_[1]})
      if (fd >= 0) ::close(fd);
  }
  FdEnd child_end() { return {down_[0], up_[1]}; }
  FdEnd parent_end(pid_t) {
    // The child's ends closed here, so that its death is end-of-file.
    ::close(down_[0]);
    ::close(up_[1]);
    down_[0] = up_[1] = -1;
    return {up_[0], down_[1]};
  }

 private:
  int down_[2] = {-1, -1}, up_[2] = {-1, -1};
};

class SocketpairChannel {
 public:
  explicit SocketpairChannel(const FloorRun&) {
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) == 0, "socketpair");
  }
  ~SocketpairChannel() {
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  FdEnd child_end() { return {fds_[1], fds_[1]}; }
  FdEnd parent_end(pid_t) {
    ::close(fds_[1]);
    fds_[1] = -1;
    return {fds_[0], fds_[0]};
  }

 private:
  int fds_[2] = {-1, -1};
};

// A listening socket made before the fork; the child connects, the parent accepts.
class ListenedChannel {
 public:
  ~ListenedChannel() {
    for (int fd : {listener_, accepted_, connected_})
      if (fd >= 0) ::close(fd);
  }
  FdEnd child_end() {
    connected_ = connect_socket();
    return {connected_, connected_};
  }
  FdEnd parent_end(pid_t) {
    do accepted_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    while (accepted_ < 0 && errno == EINTR);
    check(accepted_ >= 0, "accept4");
    return {accepted_, accepted_};
  }

 protected:
  virtual int connect_socket() = 0;
  int listener_ = -1;
  int accepted_ = -1;
  int connected_ = -1;
};

class UnixStreamChannel final : public ListenedChannel {
 public:
  explicit UnixStreamChannel(const FloorRun&) {
    // A private 0700 directory, removed by this process (and by the next run's sweep, were
    // this one killed): the socket's path is the only name the floor makes.
    std::string path = dir_.file("floor");
    address_.sun_family = AF_UNIX;
    std::memcpy(address_.sun_path, path.c_str(), path.size() + 1);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(listener_ >= 0, "socket");
    check(::bind(listener_, reinterpret_cast<sockaddr*>(&address_), sizeof address_) == 0 &&
              ::listen(listener_, 1) == 0,
          "bind/listen");
  }

 private:
  int connect_socket() override {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address_), sizeof address_) == 0,
          "connect");
    return fd;
  }
  PrivateDir dir_;
  sockaddr_un address_{};
};

class TcpChannel final : public ListenedChannel {
 public:
  explicit TcpChannel(const FloorRun&) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(listener_ >= 0, "socket");
    address_.sin_family = AF_INET;
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address_;
    check(::bind(listener_, reinterpret_cast<sockaddr*>(&address_), sizeof address_) == 0 &&
              ::listen(listener_, 1) == 0 &&
              ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address_), &length) == 0,
          "bind/listen");
  }
  FdEnd parent_end(pid_t child) {
    FdEnd end = ListenedChannel::parent_end(child);
    no_delay(accepted_);
    return end;
  }

 private:
  static void no_delay(int fd) {
    int on = 1;
    check(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0, "setsockopt");
  }
  int connect_socket() override {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address_), sizeof address_) == 0,
          "connect");
    no_delay(fd);
    return fd;
  }
  sockaddr_in address_{};
};

const AddFloor pipe_floor{{"pipe", {WaitStrategy::block}, measure<PipeChannel>}};
const AddFloor socketpair_floor{{"socketpair", {WaitStrategy::block}, measure<SocketpairChannel>}};
const AddFloor unix_stream_floor{{"unix-stream", {WaitStrategy::block}, measure<UnixStreamChannel>}};
const AddFloor tcp_floor{{"tcp", {WaitStrategy::block}, measure<TcpChannel>}};

}  // namespace
}  // namespace ipcmeter::floors
