// Workload parts that more than one workload uses.
#pragma once

#include <memory>

#include "harness/workloads/workload.hpp"

namespace ipcmeter {

// A peer that receives each message, verifies it and sends it straight back (pingpong's
// peer; the paced loop's too).
std::unique_ptr<Follow> make_echo(PeerSide& side);

}  // namespace ipcmeter
