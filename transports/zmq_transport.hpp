// ZeroMQ through cppzmq: "zmq-inproc" (threads), "zmq-ipc", "zmq-tcp" (127.0.0.1) with PAIR
// sockets, and "zmq-reqrep" (REQ/REP over ipc, strictly alternating).
#pragma once

#include "transports/transport.hpp"

namespace ipcmeter {
Transport zmq_inproc_transport();
Transport zmq_ipc_transport();
Transport zmq_tcp_transport();
Transport zmq_reqrep_transport();
}  // namespace ipcmeter
