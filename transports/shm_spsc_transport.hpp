// "shm-spsc": a lock-free single-producer/single-consumer byte ring per direction in shared
// memory; spinning, futex-blocking or hybrid waits.
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport shm_spsc_transport();
}
