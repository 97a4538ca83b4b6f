// "unix-stream" and "unix-seqpacket": AF_UNIX sockets at a named path in a private 0700
// directory, a listener and a client as in multiprocessing.connection's Listener/Client.
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport unix_stream_transport();
Transport unix_seqpacket_transport();
}  // namespace ipcmeter
