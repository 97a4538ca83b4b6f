// Lookup in the transport registry (the entries register themselves: see registry.hpp).
#include "transports/registry.hpp"

#include <fmt/core.h>

namespace ipcmeter {

const Transport& find_transport(const std::string& name) {
  if (const Transport* transport = Registry<Transport>::find(name)) return *transport;
  throw UsageError(fmt::format("unknown transport '{}' (known: {})", name, transport_names()));
}

}  // namespace ipcmeter
