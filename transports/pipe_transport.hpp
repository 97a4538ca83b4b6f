// "pipe": two pipe(2)s, one per direction, with length-prefixed framing.
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport pipe_transport();
}
