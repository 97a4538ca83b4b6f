// The run's token: 128 random bits that a TCP connection (tcp, zmq-tcp) must present before
// anything else, so that another local program connecting to a run's loopback port first
// fails the run instead of feeding it messages. Neither transport is otherwise authenticated
// (no TLS, no CURVE): loopback only, and this check.
//
// The token never appears in an address or on a command line (which other users can read in
// /proc): threads and forked peers share it through memory, a spawned peer gets it in its
// environment (readable by its owner only) under kRunTokenVariable.
#pragma once

#include <string>

namespace ipcmeter {

constexpr const char* kRunTokenVariable = "IPCMETER_RUN_TOKEN";
constexpr std::size_t kRunTokenSize = 32;  // hex digits

// This process's token: the one it was given in its environment (a spawned peer; the
// variable is then removed), else a fresh random one, made once.
const std::string& run_token();
// Takes the leader's token in a peer that was not started by the leader (an MPI rank: the
// token comes over MPI before any connection is made).
void adopt_run_token(const std::string& token);
// "IPCMETER_RUN_TOKEN=<token>", for a spawned peer's environment.
std::string run_token_environment_entry();

}  // namespace ipcmeter
