// The one TCP connection layer: every TCP connection the suite makes itself (the tcp
// transport's, so also a dict or queue manager's over tcp, and the MPI ranks' links and
// control channels) is listened for, made and admitted here, under the same three rules.
//
// - Listen: on one IPv4 address (loopback, or the one peers on other hosts reach; never
//   every interface), on a port the kernel picks (port 0), bound and listening before anyone
//   learns the port: no port is ever found free, let go and bound again, a gap in which
//   another local program could take it and receive what a peer sends (its token first).
// - Connect: a non-blocking connect and a poll, within a deadline that EINTR does not extend
//   (the watchdog's interrupt ends the wait: Interrupted); then TCP_NODELAY (a small message
//   goes at once, not after Nagle's wait for an ACK) and the run's token (run_token.hpp),
//   the connection's first bytes.
// - Accept: TokenGate (token_gate.hpp) reads every new connection side by side and admits
//   only one that presents the run's token (compared in constant time) within
//   kTokenDeadline; any other is dropped and the gate goes on accepting.
//
// zmq-tcp takes only the listener from here: ZeroMQ connects and accepts by itself, and
// carries the token in its own PLAIN handshake (zmq_token_check.hpp).
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <string>

#include "transports/fd.hpp"
#include "transports/token_gate.hpp"

namespace ipcmeter {

// How long a connect may take before it counts as failed (ETIMEDOUT): a peer on another
// host that cannot reach the leader in this time is told so rather than left waiting.
constexpr std::chrono::seconds kConnectDeadline{20};

struct TcpListener {
  Fd fd;  // close-on-exec
  int port = 0;
};

// Listens on `host` (an IPv4 address). UsageError for a host that is not an IPv4 address;
// `name` (the transport, or what the listener is for) names it in errors.
TcpListener listen_on_free_port(const std::string& host, int backlog, const std::string& name);

// host:port as a socket address; UsageError naming `name` for a host that is not an IPv4
// address or a port outside 1-65535 (0 allowed only where `port_may_be_zero`).
sockaddr_in ipv4_endpoint(const std::string& host, int port, const std::string& name,
                          bool port_may_be_zero = false);

void set_no_delay(int fd, const std::string& name);

// A blocking, close-on-exec connection to host:port, made within `deadline` (SystemError
// with ETIMEDOUT past it), with TCP_NODELAY, the run's token already sent on it.
Fd connect_presenting_token(const std::string& host, int port, std::chrono::milliseconds deadline,
                            const std::string& name);

}  // namespace ipcmeter
