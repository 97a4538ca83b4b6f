// Nobody else gets in over TCP: tcp and zmq-tcp listen on loopback only, and a connection
// that does not start with the run's token fails the run instead of joining it. The token
// itself never reaches a command line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "harness/peer.hpp"
#include "transports/address.hpp"
#include "transports/fd.hpp"
#include "transports/registry.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

// An intruder: connects to the link's port with a plain socket and sends `first`.
Fd intrude(const Address& address, const std::string& first) {
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<std::uint16_t>(address.number("port")));
  EXPECT_EQ(::inet_pton(AF_INET, address.field("host").c_str(), &peer.sin_addr), 1);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer), 0);
  EXPECT_EQ(::write(fd.get(), first.data(), first.size()), static_cast<ssize_t>(first.size()));
  return fd;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

TEST(Intruders, TcpListensOnLoopbackOnly) {
  Link link = find_transport("tcp").create({});
  EXPECT_EQ(Address::parse(link.address()).field("host"), "127.0.0.1");
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  int listener = parse_fd(Address::parse(link.address()).field("listen-fd"), link.address());
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length), 0);
  EXPECT_EQ(ntohl(bound.sin_addr.s_addr), INADDR_LOOPBACK);
  Address zmq = Address::parse(find_transport("zmq-tcp").create({}).address());
  EXPECT_EQ(zmq.field("endpoint").rfind("tcp://127.0.0.1:", 0), 0u) << zmq.text;
}

TEST(Intruders, ATcpConnectionWithoutTheTokenFailsTheRun) {
  const Transport& tcp = find_transport("tcp");
  for (const std::string& first : {std::string(kRunTokenSize, '0'), std::string("GET /results/latest HTTP/1.0\r\nHost: localhost\r\n\r\n")}) {
    Link link = tcp.create({});
    Address address = Address::parse(link.address());
    Fd intruder;
    std::thread connect([&] { intruder = intrude(address, first); ::shutdown(intruder.get(), SHUT_WR); });
    std::string error = error_of([&] { tcp.open(link.address(), Side::a, Liveness()); });
    connect.join();
    EXPECT_NE(error.find("did not present the run's token"), std::string::npos) << error;
  }
}

TEST(Intruders, AZmqTcpConnectionWithoutTheTokenFailsTheRun) {
  const Transport& transport = find_transport("zmq-tcp");
  Link link = transport.create({});
  std::string endpoint = Address::parse(link.address()).field("endpoint");
  auto leader = transport.open(link.address(), Side::a, Liveness());
  zmq::context_t context;
  zmq::socket_t intruder(context, zmq::socket_type::pair);
  intruder.set(zmq::sockopt::linger, 0);
  intruder.connect(endpoint);
  intruder.send(zmq::str_buffer("set the result to 42"));
  std::vector<std::byte> buffer(64);
  std::string error = error_of([&] { leader->recv(buffer); });
  EXPECT_NE(error.find("did not present the run's token"), std::string::npos) << error;
}

TEST(Intruders, TheRightTokenGetsThrough) {
  // The same path as above with a real peer: what the intruders lacked is all it takes.
  for (const char* name : {"tcp", "zmq-tcp"}) {
    SCOPED_TRACE(name);
    const Transport& transport = find_transport(name);
    Link link = transport.create({});
    std::promise<void> received;
    std::thread peer([&] {
      auto endpoint = transport.open(link.address(), Side::b, Liveness());
      const std::string hello = "hello";
      endpoint->send(std::as_bytes(std::span(hello.data(), hello.size())));
      // ZeroMQ drops what is queued when a socket closes (linger 0): stay until it arrived.
      received.get_future().wait();
    });
    auto leader = transport.open(link.address(), Side::a, Liveness());
    std::vector<std::byte> buffer(64);
    std::size_t size = leader->recv(buffer);
    received.set_value();
    peer.join();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.data()), size), "hello") << name;
  }
}

TEST(Intruders, TheTokenIsNeverOnACommandLine) {
  PeerSpec spec;
  spec.run.workload = "pingpong";
  spec.run.transport = "tcp";
  spec.run.placement = "spawn";
  spec.address = find_transport("tcp").create({}).address();
  ASSERT_EQ(run_token().size(), kRunTokenSize);
  for (const auto& arg : spec.to_args()) EXPECT_EQ(arg.find(run_token()), std::string::npos) << arg;
  EXPECT_NE(run_token_environment_entry().find(run_token()), std::string::npos);
}

}  // namespace
}  // namespace ipcmeter
