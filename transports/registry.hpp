// The one list of transports. Adding a transport is one file pair plus one line in registry.cpp.
#pragma once

#include <string>
#include <vector>

#include "transports/transport.hpp"

namespace ipcmeter {

const std::vector<Transport>& all_transports();
// For tests only (a deliberately faulty transport, say): adds a transport to the list. Call
// before any peer starts, in every process, e.g. first thing in a test binary's main().
void add_transport_for_tests(Transport transport);
// The transport of that name; UsageError listing the known names otherwise.
const Transport& find_transport(const std::string& name);
std::string transport_names();  // "pipe, socketpair, ..." for messages

}  // namespace ipcmeter
