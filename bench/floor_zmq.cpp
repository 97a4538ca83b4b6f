// The ZeroMQ floors (zmq-ipc's and zmq-tcp's): a cppzmq PAIR socket each side, the parent
// bound, the child connected with a context of its own (a context never crosses a fork),
// plain blocking send and receive of one frame per message.
#include <fmt/core.h>

#include <memory>
#include <optional>
#include <zmq.hpp>

#include "bench/floors.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter::floors {
namespace {

// A receive looks at the child this often, so that its death ends the floor.
constexpr int kWaitCheckMs = 100;
// The parent's socket keeps its goodbye this long on close (a dead child never takes it).
constexpr int kGoodbyeLingerMs = 1000;

class ZmqEnd {
 public:
  // The child connects to `endpoint`; the parent's socket is already bound.
  ZmqEnd(std::unique_ptr<zmq::context_t> context, std::unique_ptr<zmq::socket_t> socket, pid_t child)
      : context_(std::move(context)), socket_(std::move(socket)), child_(child) {}
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
  // The parent says goodbye once it holds every message, and the child leaves only then: a
  // child that sent its last message and closed at once could lose messages still on their
  // way (seen under a CPU hog: the parent's receive then timed out with the child gone).
  void finish() {
    std::byte goodbye{0};
    if (child_ > 0) {
      if (!socket_->send(zmq::const_buffer(&goodbye, 1))) throw FloorError("zmq send failed");
    } else if (!socket_->recv(zmq::mutable_buffer(&goodbye, 1))) {
      throw FloorError("no goodbye from the parent");
    }
    socket_.reset();
    context_.reset();
  }

 private:
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  pid_t child_;
};

// tcp: the parent binds to a port the kernel picks before the fork, so the child knows it;
// the child never touches the parent's context (it only inherits the listening fd).
// ipc: a socket file in a private directory.
class ZmqChannel {
 public:
  ZmqChannel(const FloorRun&, bool tcp) {
    context_ = std::make_unique<zmq::context_t>(1);
    socket_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::pair);
    socket_->set(zmq::sockopt::linger, kGoodbyeLingerMs);
    socket_->set(zmq::sockopt::rcvtimeo, kWaitCheckMs);
    if (tcp) {
      socket_->bind("tcp://127.0.0.1:*");
      endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
    } else {
      dir_.emplace();
      endpoint_ = fmt::format("ipc://{}", dir_->file("floor"));
      socket_->bind(endpoint_);
    }
  }
  ZmqEnd child_end() {
    auto context = std::make_unique<zmq::context_t>(1);
    auto socket = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pair);
    socket->connect(endpoint_);
    return {std::move(context), std::move(socket), 0};
  }
  ZmqEnd parent_end(pid_t child) { return {std::move(context_), std::move(socket_), child}; }

 private:
  std::optional<PrivateDir> dir_;
  std::unique_ptr<zmq::context_t> context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::string endpoint_;
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
