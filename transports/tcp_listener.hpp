// A TCP listener whose port the kernel picks (port 0), bound and listening before anyone
// learns the port: no port is ever found free, let go and bound again, a gap in which
// another local program could take it and receive what a peer sends (its token first).
#pragma once

#include <string>

#include "transports/fd.hpp"

namespace ipcmeter {

struct TcpListener {
  Fd fd;  // close-on-exec
  int port = 0;
};

// Listens on `host` (an IPv4 address: loopback, or the one peers on other hosts reach).
// UsageError for a host that is not an IPv4 address; `transport` names it in errors.
TcpListener listen_on_free_port(const std::string& host, int backlog, const std::string& transport);

}  // namespace ipcmeter
