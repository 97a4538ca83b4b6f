// The transport registry: the only place that lists transports.
#include "transports/registry.hpp"

#include "transports/errors.hpp"
#include "transports/pipe_transport.hpp"
#include "transports/socketpair_transport.hpp"
#include "transports/unix_socket_transport.hpp"

namespace ipcmeter {

const std::vector<Transport>& all_transports() {
  static const std::vector<Transport> transports = {
      pipe_transport(),
      socketpair_transport(),
      unix_stream_transport(),
      unix_seqpacket_transport(),
  };
  return transports;
}

std::string transport_names() {
  std::string names;
  for (const auto& transport : all_transports()) {
    if (!names.empty()) names += ", ";
    names += transport.name;
  }
  return names;
}

const Transport& find_transport(const std::string& name) {
  for (const auto& transport : all_transports())
    if (transport.name == name) return transport;
  throw UsageError("unknown transport '" + name + "' (known: " + transport_names() + ")");
}

}  // namespace ipcmeter
