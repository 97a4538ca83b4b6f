// A rank other than 0: runs the peer side of every run the leader places on it, each on a
// control channel it connects to the leader through the TCP layer, until told to exit.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "harness/control.hpp"
#include "harness/peer.hpp"
#include "harness/process_guard.hpp"
#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"
#include "transports/errors.hpp"
#include "transports/interrupt.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter::rank_session {
namespace {

// A peer still running this long after the leader closed its control channel is woken, as
// a thread peer is: by then a healthy one has long gone.
constexpr std::chrono::milliseconds kPeerStopGrace{200};

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// Wakes the run's peer if it is still running kPeerStopGrace after the leader closed its end
// of the control channel (a peer asleep in the "hang" fault, or waiting on a medium with no
// end of its own), as the thread placement wakes a thread peer.
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

// "run\n<arg>\n<arg>...": the peer's arguments, one a line.
std::vector<std::string> job_arguments(const std::string& job) {
  std::vector<std::string> args;
  std::string::size_type start = job.find('\n');
  while (start != std::string::npos) {
    auto end = job.find('\n', start + 1);
    args.push_back(job.substr(start + 1, end == std::string::npos ? end : end - start - 1));
    start = end;
  }
  return args;
}

// One run's peer side, on the control channel the previous job connected.
int run_one(const std::string& job, Fd control) {
  if (!control.valid()) return kPeerFailed;  // nobody to tell; the leader's connect failed
  PeerSpec spec;
  try {
    spec = PeerSpec::from_args(job_arguments(job));
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

// The control channel of the next run, to the address the leader listens on, presenting
// that run's token (run_token.hpp), which comes with the job.
Fd connect_control(const std::string& job) {
  char address[64] = {};
  char token[kRunTokenSize + 1] = {};
  int port = 0;
  if (std::sscanf(job.c_str(), "connect %63s %d %32s", address, &port, token) != 3)
    throw std::runtime_error("bad job (a connect without its address, port and token)");
  adopt_run_token(token);
  return connect_presenting_token(address, port, kConnectTimeout,
                                  std::string(address) + ":" + std::to_string(port));
}

void reply(const std::string& text) {
  ring(session().links[0].get());
  send_text(0, kReplyTag, text);
}

// The next job, once its wake-up byte arrived; the process leaves at once when the leader
// has gone (mpirun ends the job).
std::string next_job() {
  char byte;
  ssize_t n;
  do {
    n = ::recv(session().links[0].get(), &byte, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) ::_exit(kPeerOrphaned);
  return receive_text(0, kJobTag);
}

}  // namespace

void serve_as_peer() {
  Session& s = session();
  install_process_guard();
  Fd control;
  for (std::string job = next_job(); job != kJobExit; job = next_job()) {
    if (!starts_with(job, kJobConnect)) {
      int code = starts_with(job, kJobRun) ? run_one(job, std::move(control)) : kPeerFailed;
      reply(std::string(kReplyEnded) + " " + std::to_string(code));
      continue;
    }
    try {
      control = connect_control(job);
    } catch (const std::exception& error) {
      control.reset();
      reply(std::string(kReplyError) + " " + who(s.rank) +
            " cannot reach the leader: " + error.what());
    }
  }
  s.links.clear();
  MPI_Comm_free(&s.comm);
  MPI_Finalize();
  std::exit(0);
}

}  // namespace ipcmeter::rank_session
