// The TCP layer (transports/tcp_layer.hpp) on its own: a connect gives up at its deadline,
// which a stray signal neither ends nor extends; the gate admits the token-presenting
// connection only, and waits no longer than its deadline or its wake fd. The transports
// and the ranks over it are checked by the conformance, intruder and rank tests.
#include "transports/tcp_layer.hpp"

#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "transports/errors.hpp"
#include "transports/liveness.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Plain connections that fill a listener's accept queue (backlog 0), never accepted: a
// further connect's SYN is dropped, so that connect can only end at its deadline.
std::vector<Fd> fill_accept_queue(int port) {
  std::vector<Fd> queued;
  sockaddr_in where = ipv4_endpoint("127.0.0.1", port, "test");
  for (int i = 0; i < 4; ++i) {
    queued.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    ::connect(queued.back().get(), reinterpret_cast<sockaddr*>(&where), sizeof where);
  }
  return queued;  // over loopback each handshake is done (or its SYN dropped) within its connect
}

// The error of a connect to a full listener within `deadline`, and how long it took.
std::pair<int, milliseconds> connect_to_full_listener(milliseconds deadline) {
  TcpListener listener = listen_on_free_port("127.0.0.1", 0, "test");
  std::vector<Fd> queued = fill_accept_queue(listener.port);
  auto start = Clock::now();
  int error = 0;
  try {
    connect_presenting_token("127.0.0.1", listener.port, deadline, "full listener");
  } catch (const SystemError& failure) {
    error = failure.code().value();
  }
  return {error, std::chrono::duration_cast<milliseconds>(Clock::now() - start)};
}

TEST(TcpLayer, AConnectGivesUpAtItsDeadline) {
  auto [error, took] = connect_to_full_listener(milliseconds(300));
  EXPECT_EQ(error, ETIMEDOUT);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(3000));
}

void ignore(int) {}

TEST(TcpLayer, AStraySignalNeitherEndsNorExtendsTheDeadline) {
  struct sigaction quiet {
  }, saved{};
  quiet.sa_handler = ignore;  // no SA_RESTART: the connect's poll returns EINTR
  ASSERT_EQ(::sigaction(SIGURG, &quiet, &saved), 0);
  std::atomic<bool> done{false};
  pthread_t connecting = ::pthread_self();
  std::thread nagger([&] {
    while (!done.load()) {
      ::pthread_kill(connecting, SIGURG);
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  auto [error, took] = connect_to_full_listener(milliseconds(400));
  done.store(true);
  nagger.join();
  ::sigaction(SIGURG, &saved, nullptr);
  EXPECT_EQ(error, ETIMEDOUT);
  EXPECT_GE(took, milliseconds(400));
  EXPECT_LT(took, milliseconds(3000));
}

TEST(TcpLayer, RefusesWhatIsNoIPv4AddressOrPort) {
  EXPECT_THROW(ipv4_endpoint("localhost", 1, "test"), UsageError);
  EXPECT_THROW(ipv4_endpoint("127.0.0.1", 0, "test"), UsageError);
  EXPECT_THROW(ipv4_endpoint("127.0.0.1", 65536, "test"), UsageError);
  EXPECT_THROW(listen_on_free_port("::1", 1, "test"), UsageError);
  EXPECT_NO_THROW(ipv4_endpoint("127.0.0.1", 0, "test", /*port_may_be_zero=*/true));
}

TEST(TcpLayer, TheGateWaitsUntilItsDeadlineOrItsWakeFd) {
  TcpListener listener = listen_on_free_port("127.0.0.1", 4, "test");
  const Liveness nobody;
  TokenGate gate(listener.fd.get(), nobody, "test gate");
  // A silent connection is not admitted: the gate gives up at its deadline.
  sockaddr_in where = ipv4_endpoint("127.0.0.1", listener.port, "test");
  Fd silent(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(silent.get(), reinterpret_cast<sockaddr*>(&where), sizeof where), 0);
  auto start = Clock::now();
  EXPECT_FALSE(gate.next_until(start + milliseconds(200)).has_value());
  EXPECT_GE(Clock::now() - start, milliseconds(200));
  // A readable wake fd ends the wait at once, deadline or not.
  int wake[2];
  ASSERT_EQ(::pipe(wake), 0);
  Fd wake_read(wake[0]), wake_write(wake[1]);
  ASSERT_EQ(::write(wake_write.get(), "x", 1), 1);
  start = Clock::now();
  EXPECT_FALSE(gate.next_until(start + std::chrono::seconds(10), wake_read.get()).has_value());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(TcpLayer, TheGateAdmitsTheTokenAndLeavesWhatFollowsIt) {
  TcpListener listener = listen_on_free_port("127.0.0.1", 4, "test");
  const Liveness nobody;
  TokenGate gate(listener.fd.get(), nobody, "test gate");
  Fd peer = connect_presenting_token("127.0.0.1", listener.port, milliseconds(2000), "test");
  ASSERT_EQ(::send(peer.get(), "after", 5, MSG_NOSIGNAL), 5);
  std::optional<Fd> admitted = gate.next_until(Clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(admitted.has_value());
  int no_delay = 0;
  socklen_t length = sizeof no_delay;
  ASSERT_EQ(::getsockopt(admitted->get(), IPPROTO_TCP, TCP_NODELAY, &no_delay, &length), 0);
  EXPECT_NE(no_delay, 0);
  char first[5] = {};
  ASSERT_EQ(::recv(admitted->get(), first, sizeof first, MSG_WAITALL), 5);
  EXPECT_EQ(std::string(first, 5), "after");
  EXPECT_EQ(gate.dropped(), 0);
}

}  // namespace
}  // namespace ipcmeter
