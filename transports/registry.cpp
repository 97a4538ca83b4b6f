// Lookup in the transport registry (the entries register themselves: see registry.hpp).
#include "transports/registry.hpp"

namespace ipcmeter {

const Transport& find_transport(const std::string& name) {
  if (const Transport* transport = Registry<Transport>::find(name)) return *transport;
  throw UsageError("unknown transport '" + name + "' (known: " + transport_names() + ")");
}

}  // namespace ipcmeter
