// The Boost.Interprocess message_queue floor (queue-boost's): two queues of `depth` slots
// (the depth of the suite figure it pairs with) made before the fork, one each way, plain
// send and receive, as a C++ program uses them.
// Its warm-up is traffic alone: a queue hands out its slots in turn, so the floor's first
// lap (depth + 1 messages, more than the suite's 16) touches every slot before timing.
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <memory>
#include <optional>

#include "bench/floors.hpp"
#include "transports/shm_create.hpp"

namespace ipcmeter::floors {
namespace {

namespace bip = boost::interprocess;

// A receive looks at the child this often, so that its death ends the floor.
const auto kWaitCheck = boost::posix_time::milliseconds(100);

class QueueEnd {
 public:
  QueueEnd(const std::string& out, const std::string& in, pid_t child)
      : out_(bip::open_only, out.c_str()), in_(bip::open_only, in.c_str()), child_(child) {}
  void send(std::span<const std::byte> message) { out_.send(message.data(), message.size(), 0); }
  void recv(std::span<std::byte> message) {
    bip::message_queue::size_type got = 0;
    unsigned priority = 0;
    if (child_ == 0) {
      in_.receive(message.data(), message.size(), got, priority);
    } else {
      while (!in_.timed_receive(message.data(), message.size(), got, priority,
                                boost::posix_time::microsec_clock::universal_time() + kWaitCheck))
        if (child_ended(child_)) throw FloorError("the child ended early");
    }
    if (got != message.size()) throw FloorError("a message of the wrong size");
  }
  void finish() {}

 private:
  bip::message_queue out_;
  bip::message_queue in_;
  pid_t child_;
};

class QueueChannel {
 public:
  explicit QueueChannel(const FloorRun& run) {
    // Each made exclusively under a fresh name and owned (removed by the parent on every
    // path) once made.
    auto create = [&](const std::string& name) {
      bip::message_queue(bip::create_only, name.c_str(), run.depth, run.size, owner_only());
    };
    down_ = create_shared_memory("floor", create);
    up_ = create_shared_memory("floor", create);
  }
  QueueEnd child_end() { return {up_->name(), down_->name(), 0}; }
  QueueEnd parent_end(pid_t child) { return {down_->name(), up_->name(), child}; }

 private:
  std::unique_ptr<SharedMemoryName> down_;
  std::unique_ptr<SharedMemoryName> up_;
};

const AddFloor queue_boost_floor{
    {"queue-boost", {WaitStrategy::block}, measure<QueueChannel>}};

}  // namespace
}  // namespace ipcmeter::floors
