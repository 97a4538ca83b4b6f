// The run's token: 128 random bits that a TCP connection (tcp, zmq-tcp) must present before
// anything else, so that another local program connecting to a run's loopback port is never
// taken for a peer. Neither transport is otherwise authenticated (no TLS, no CURVE): loopback
// only, and this check. A connection that does not present it within kTokenDeadline is
// dropped and the leader goes on accepting, so an intruder holds up nobody (token_gate.hpp,
// zmq_token_check.hpp).
//
// The token never appears in an address or on a command line (which other users can read in
// /proc): threads and forked peers share it through memory, a spawned peer gets it in its
// environment (readable by its owner only) under kRunTokenVariable, an MPI rank over MPI.
// Each run has its own (renew_run_token), so a token that leaked serves no later run.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ipcmeter {

constexpr const char* kRunTokenVariable = "IPCMETER_RUN_TOKEN";
constexpr std::size_t kRunTokenSize = 32;  // hex digits
// How long an accepted connection has to present the token. A peer sends it in its first
// write, right after its connect returns; 1 s leaves room for a peer descheduled on a loaded
// machine, and costs nothing meanwhile: the leader reads every connection side by side.
constexpr std::chrono::milliseconds kTokenDeadline{1000};

// This process's token: the one it was given in its environment (a spawned peer; the
// variable is then removed), else a fresh random one, made once, until renewed.
const std::string& run_token();
// A fresh token for the next run, made by the leader before it starts that run's peers
// (which then share it: forked, spawned or told over MPI).
void renew_run_token();
// Takes the leader's token in a peer that was not started by the leader (an MPI rank: the
// token comes over MPI before any connection is made).
void adopt_run_token(const std::string& token);
// Whether `presented` is this process's token, in a time that does not depend on where it
// differs (a byte-by-byte compare that stops early tells a prober how much was right).
bool is_run_token(std::string_view presented);
// "IPCMETER_RUN_TOKEN=<token>", for a spawned peer's environment.
std::string run_token_environment_entry();

}  // namespace ipcmeter
