// "queue-mutex": a bounded blocking queue (mutex + condition variables) per direction, the
// thread-only baseline, like Python's queue.Queue(maxsize=3).
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport queue_mutex_transport();
}
