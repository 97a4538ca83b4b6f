// Whole messages over a byte stream (pipe, stream socket): a 4-byte length prefix per message.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transports/transport.hpp"

namespace ipcmeter {

// in and out may be the same fd (a duplex socket) or two (a pipe pair). For spin and hybrid
// the fds are made non-blocking (each fd's open file description belongs to one side).
std::unique_ptr<Endpoint> make_framed_stream_endpoint(Fd in, Fd out, bool is_socket,
                                                      WaitStrategy wait, std::string name);

// Side a of a fan-in over several stream connections (one per producer): recv returns the
// next whole message from whichever connection has one, so no producer can stall another.
// It only receives.
std::unique_ptr<Endpoint> make_fan_in_stream_endpoint(std::vector<Fd> connections,
                                                      WaitStrategy wait, std::string name);

}  // namespace ipcmeter
