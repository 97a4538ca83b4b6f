// The raw ZeroMQ reference: an 8-byte PAIR ping-pong over ipc:// between two forked
// processes, blocking sends and receives, nothing else. zmq-ipc's pingpong is compared to it.
#include <fmt/core.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <zmq.hpp>

#include "bench/baselines.hpp"
#include "transports/named_resources.hpp"

namespace ipcmeter {

void baseline_zmq_raw(benchmark::State& state, Pinning pinning) {
  PrivateDir dir;
  std::string endpoint = fmt::format("ipc://{}", dir.file("zmq"));
  ScopedPin leader_pin(pinning.leader_cpu);
  pid_t child = ::fork();
  if (child == 0) {
    // The child's own context: a context never crosses a fork.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pinning.peer_cpu >= 0) pin_current_thread(pinning.peer_cpu);
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::pair);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
    std::uint64_t value;
    while (socket.recv(zmq::mutable_buffer(&value, sizeof value)) &&
           socket.send(zmq::const_buffer(&value, sizeof value))) {
      if (value == 0) break;  // the parent's goodbye
    }
    ::_exit(0);
  }
  {
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::pair);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(endpoint);
    std::uint64_t value = 1;
    for (auto _ : state) {
      if (child < 0 || !socket.send(zmq::const_buffer(&value, sizeof value)) ||
          !socket.recv(zmq::mutable_buffer(&value, sizeof value))) {
        state.SkipWithError("raw zmq ping-pong failed");
        break;
      }
      ++value;
    }
    value = 0;
    if (child > 0) socket.send(zmq::const_buffer(&value, sizeof value), zmq::send_flags::dontwait);
  }
  if (child > 0) {
    ::kill(child, SIGKILL);  // it may be blocked in recv after the goodbye was dropped
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace ipcmeter
