// "socketpair": one duplex AF_UNIX stream socketpair, what Python's multiprocessing.Pipe() is.
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport socketpair_transport();
}
