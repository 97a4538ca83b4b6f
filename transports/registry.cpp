// The transport registry: the only place that lists transports.
#include "transports/registry.hpp"

#include "transports/errors.hpp"
#include "transports/pipe_transport.hpp"
#include "transports/queue_boost_transport.hpp"
#include "transports/queue_mutex_transport.hpp"
#include "transports/shm_spsc_transport.hpp"
#include "transports/socketpair_transport.hpp"
#include "transports/unix_socket_transport.hpp"
#include "transports/zmq_transport.hpp"

namespace ipcmeter {

namespace {
std::vector<Transport>& transport_list() {
  static std::vector<Transport> transports = {
      pipe_transport(),
      socketpair_transport(),
      unix_stream_transport(),
      unix_seqpacket_transport(),
      queue_mutex_transport(),
      queue_boost_transport(),
      shm_spsc_transport(),
      zmq_inproc_transport(),
      zmq_ipc_transport(),
      zmq_tcp_transport(),
      zmq_reqrep_transport(),
  };
  return transports;
}
}  // namespace

const std::vector<Transport>& all_transports() { return transport_list(); }

void add_transport_for_tests(Transport transport) {
  transport_list().push_back(std::move(transport));
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
