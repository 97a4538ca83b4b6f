// Nobody else gets in over TCP: tcp and zmq-tcp listen on loopback only, on a port bound
// before any peer learns it; a connection that does not present the run's token within
// kTokenDeadline is dropped while the leader goes on accepting, so an intruder neither joins
// nor holds up the run; tokens are fresh per run and never reach a command line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "harness/peer.hpp"
#include "harness/peer_group.hpp"
#include "harness/placement.hpp"
#include "tests/test_support.hpp"
#include "transports/address.hpp"
#include "transports/fd.hpp"
#include "transports/registry.hpp"
#include "transports/run_token.hpp"

namespace ipcmeter {
namespace {

// Well past the token's deadline: how long a test waits for what must happen before failing.
constexpr std::chrono::seconds kPatience{8};

sockaddr_in loopback_port(const std::string& endpoint_or_port) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  std::string port = endpoint_or_port.substr(endpoint_or_port.rfind(':') + 1);
  where.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return where;
}

// The port a link's peers connect to, from its address.
std::string port_of(const Link& link) {
  Address address = Address::parse(link.address());
  return address.fields.count("port") ? address.field("port") : address.field("endpoint");
}

// An intruder: a plain connection to the port that sends `first` (nothing, if empty).
Fd intrude(const std::string& port, const std::string& first) {
  sockaddr_in where = loopback_port(port);
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&where), sizeof where), 0);
  if (!first.empty()) {
    EXPECT_EQ(::write(fd.get(), first.data(), first.size()), static_cast<ssize_t>(first.size()));
  }
  return fd;
}

// Whether the other end closed the connection within `patience` (the leader dropped it).
bool dropped_within(int fd, std::chrono::milliseconds patience) {
  auto until = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) == 0) return false;
    char byte;
    ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    // Anything else (ZeroMQ's greeting to a raw intruder) is not an end: read on.
  }
}

// The real peer, in a thread: side b of the link, sends "hello" and stays until it arrived
// (ZeroMQ drops what is queued when a socket closes, linger 0).
class HelloPeer {
 public:
  HelloPeer(const Transport& transport, const Link& link)
      : thread_([&transport, &link, arrived = arrived_.get_future()] {
          auto endpoint = transport.open(link.address(), Side::b, Liveness());
          const std::string hello = "hello";
          endpoint->send(std::as_bytes(std::span(hello.data(), hello.size())));
          arrived.wait();
        }) {}
  ~HelloPeer() {
    arrived_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> arrived_;
  std::thread thread_;
};

// Side a, opened while intruders come and go, and what it receives first; "" if it did not
// get through within the test's patience.
std::string first_message_to_leader(const Transport& transport, const Link& link,
                                    const std::function<void()>& intruders) {
  auto leader = std::async(std::launch::async, [&] {
    auto endpoint = transport.open(link.address(), Side::a, Liveness());
    std::vector<std::byte> buffer(64);
    std::size_t size = endpoint->recv(buffer);
    return std::string(reinterpret_cast<const char*>(buffer.data()), size);
  });
  intruders();
  HelloPeer peer(transport, link);
  if (leader.wait_for(kPatience) != std::future_status::ready) {
    ADD_FAILURE() << transport.name << ": the real peer never got through";
    std::abort();  // a leader still blocked cannot be joined: end here rather than hang
  }
  return leader.get();
}

TEST(Intruders, TcpListensOnLoopbackOnly) {
  for (const char* name : {"tcp", "zmq-tcp"}) {
    Link link = find_transport(name).create({});
    int listener = parse_fd(Address::parse(link.address()).field("listen-fd"), link.address());
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length), 0);
    EXPECT_EQ(ntohl(bound.sin_addr.s_addr), INADDR_LOOPBACK) << name;
  }
  Address zmq = Address::parse(find_transport("zmq-tcp").create({}).address());
  EXPECT_EQ(zmq.field("endpoint").rfind("tcp://127.0.0.1:", 0), 0u) << zmq.text;
}

TEST(Intruders, ThePortIsBoundBeforeAnyPeerLearnsIt) {
  // Nobody can take the port between the link's creation and side a's open: it is bound
  // and listening already (a connection is queued before side a exists).
  for (const char* name : {"tcp", "zmq-tcp"}) {
    SCOPED_TRACE(name);
    Link link = find_transport(name).create({});
    sockaddr_in where = loopback_port(port_of(link));
    Fd squatter(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int bound = ::bind(squatter.get(), reinterpret_cast<sockaddr*>(&where), sizeof where);
    int error = errno;
    EXPECT_NE(bound, 0);
    EXPECT_EQ(error, EADDRINUSE);
    Fd early(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::connect(early.get(), reinterpret_cast<sockaddr*>(&where), sizeof where), 0);
  }
}

TEST(Intruders, SilentOrWrongTcpConnectionsAreDroppedAndTheRealPeerGetsThrough) {
  const Transport& tcp = find_transport("tcp");
  Link link = tcp.create({});
  std::string got = first_message_to_leader(tcp, link, [&] {
    Fd silent = intrude(port_of(link), "");
    Fd wrong = intrude(port_of(link), std::string(kRunTokenSize, '0') + "set the result to 42");
    Fd http = intrude(port_of(link), "GET /results/latest HTTP/1.0\r\nHost: localhost\r\n\r\n");
    EXPECT_TRUE(dropped_within(wrong.get(), kPatience));
    EXPECT_TRUE(dropped_within(http.get(), kPatience));
    // The silent one is dropped at its deadline while the leader still waits: the real peer
    // connects only after that, to a leader that went on accepting.
    EXPECT_TRUE(dropped_within(silent.get(), kPatience));
  });
  EXPECT_EQ(got, "hello");
}

TEST(Intruders, SilentOrWrongZmqTcpConnectionsAreDroppedAndTheRealPeerGetsThrough) {
  const Transport& transport = find_transport("zmq-tcp");
  Link link = transport.create({});
  std::string endpoint = Address::parse(link.address()).field("endpoint");
  zmq::context_t context;
  zmq::socket_t plain(context, zmq::socket_type::pair);    // no login at all
  zmq::socket_t guesser(context, zmq::socket_type::pair);  // a login with a wrong token
  std::string got = first_message_to_leader(transport, link, [&] {
    Fd silent = intrude(endpoint, "");
    for (zmq::socket_t* intruder : {&plain, &guesser}) {
      intruder->set(zmq::sockopt::linger, 0);
      if (intruder == &guesser) {
        guesser.set(zmq::sockopt::plain_username, "ipcmeter");
        guesser.set(zmq::sockopt::plain_password, std::string(kRunTokenSize, '0'));
      }
      intruder->connect(endpoint);
      intruder->send(zmq::str_buffer("set the result to 42"), zmq::send_flags::dontwait);
    }
    EXPECT_TRUE(dropped_within(silent.get(), kPatience));
  });
  EXPECT_EQ(got, "hello");
}

TEST(Intruders, ALeaderWaitingForAConnectionSeesItsPeerDie) {
  const Transport& tcp = find_transport("tcp");
  Link link = tcp.create({});
  testing::LivenessPair peer;
  int watched = peer.watched.get();
  auto leader = std::async(std::launch::async, [&] {
    try {
      tcp.open(link.address(), Side::a, Liveness({&watched, 1}));
    } catch (const PeerClosed& error) {
      return std::string(error.what());
    }
    return std::string("(opened)");
  });
  Fd silent = intrude(port_of(link), "");
  peer.held.reset();  // the peer ends without ever connecting
  ASSERT_EQ(leader.wait_for(kPatience), std::future_status::ready);
  EXPECT_NE(leader.get().find("peer gone before it connected"), std::string::npos);
}

TEST(Intruders, TheRightTokenGetsThrough) {
  // The same path as above with a real peer only: what the intruders lacked is all it takes.
  for (const char* name : {"tcp", "zmq-tcp"}) {
    SCOPED_TRACE(name);
    const Transport& transport = find_transport(name);
    Link link = transport.create({});
    EXPECT_EQ(first_message_to_leader(transport, link, [] {}), "hello");
  }
}

TEST(Intruders, EachRunHasAFreshTokenAndAnOldOneGetsNobodyIn) {
  const std::string before = run_token();
  { PeerGroup group(find_placement("thread"), 1); }  // what run() makes for each run
  EXPECT_NE(run_token(), before);
  EXPECT_TRUE(is_run_token(run_token()));
  EXPECT_FALSE(is_run_token(before));
  std::string last_digit_wrong = run_token();
  last_digit_wrong.back() = last_digit_wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(is_run_token(last_digit_wrong));
  EXPECT_FALSE(is_run_token(run_token() + "0"));

  const Transport& tcp = find_transport("tcp");
  Link link = tcp.create({});
  std::string got = first_message_to_leader(tcp, link, [&] {
    Fd stale = intrude(port_of(link), before);
    EXPECT_TRUE(dropped_within(stale.get(), kPatience));
  });
  EXPECT_EQ(got, "hello");
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
