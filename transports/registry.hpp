// The one list of transports. Adding a transport is one file pair plus one line in registry.cpp.
#pragma once

#include <string>
#include <vector>

#include "transports/transport.hpp"

namespace ipcmeter {

const std::vector<Transport>& all_transports();
// The transport of that name; UsageError listing the known names otherwise.
const Transport& find_transport(const std::string& name);
std::string transport_names();  // "pipe, socketpair, ..." for messages

}  // namespace ipcmeter
