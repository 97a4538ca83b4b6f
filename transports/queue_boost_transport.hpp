// "queue-boost": a Boost.Interprocess message_queue per direction, in named shared memory.
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport queue_boost_transport();
}
