// Where the other ranks reach the leader: --leader-address, or the source address of the
// route to another rank's host.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"
#include "transports/errors.hpp"

namespace ipcmeter::rank_session {
namespace {

// The local address of the route to `host`: where that host reaches this one. The leader's
// own name is no guide (Debian maps it to 127.0.1.1), the route to a peer's host is.
std::string route_source_to(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(host.c_str(), "9", &hints, &found); error != 0)
    throw UsageError("cannot resolve the host name '" + host + "' of a rank (" +
                     ::gai_strerror(error) + "): give " + kLeaderAddressFlag + "=IPv4");
  // A UDP socket's connect sends nothing: it only picks the route and its source address.
  Fd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int connected = probe.valid() ? ::connect(probe.get(), found->ai_addr, found->ai_addrlen) : -1;
  ::freeaddrinfo(found);
  if (connected != 0) throw SystemError("connect(udp route probe)", host);
  sockaddr_in local{};
  socklen_t length = sizeof local;
  if (::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
    throw SystemError("getsockname", host);
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
  return text;
}

}  // namespace

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

std::string choose_leader_address(const std::string& given) {
  const auto& hosts = session().hosts;
  if (!given.empty()) {
    ipv4_endpoint(given, 0, kLeaderAddressFlag, /*port_may_be_zero=*/true);  // checks it
    return given;
  }
  for (std::size_t r = 1; r < hosts.size(); ++r)
    if (hosts[r] != hosts[0]) return route_source_to(hosts[r]);
  return "127.0.0.1";  // every rank on this host
}

std::string flag_value(int argc, char** argv, const std::string& flag) {
  std::string value;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind(flag + "=", 0) == 0)
      value = arg.substr(flag.size() + 1);
    else if (arg == flag && i + 1 < argc)
      value = argv[i + 1];
  }
  return value;
}

}  // namespace ipcmeter::rank_session
