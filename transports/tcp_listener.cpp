// Binding port 0 and reading back the port: see tcp_listener.hpp.
#include "transports/tcp_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "transports/errors.hpp"

namespace ipcmeter {

TcpListener listen_on_free_port(const std::string& host, int backlog,
                                const std::string& transport) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) throw SystemError("socket", transport);
  sockaddr_in address{};
  address.sin_family = AF_INET;  // port 0: the kernel picks a free one
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
    throw UsageError(fmt::format("{}: bad host '{}' (expected an IPv4 address)", transport, host));
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw SystemError("bind", fmt::format("{} {}:0", transport, host));
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw SystemError("getsockname", transport + " listener");
  if (::listen(listener.get(), backlog) != 0) throw SystemError("listen", transport + " listener");
  return {std::move(listener), ntohs(address.sin_port)};
}

}  // namespace ipcmeter
