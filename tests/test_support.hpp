// Shared test helpers: the test-only workload and faulty transports, and the leftover check
// every test that starts peers ends with.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/run.hpp"
#include "transports/errors.hpp"
#include "transports/fd.hpp"
#include "transports/transport.hpp"

namespace ipcmeter::testing {

// Registers the test-only workloads ("exchange", and "polled-exchange", whose leader only
// ever polls before it receives) and faulty transports ("pipe-corrupt", "pipe-drop",
// "pipe-reorder", "pipe-corrupt-leader"; "pipe-slow-start", whose every endpoint's first send
// takes kSlowFirstTouch longer). Called first thing in main(), so spawned peers have them.
void register_test_axes();
constexpr std::chrono::milliseconds kSlowFirstTouch{300};

// Whether both sides of the transport can open in this process: all but mpi, which needs
// MPI running (the test binary under mpirun, where rank 0 then talks to itself).
bool opens_here(const Transport& transport);

// A spec with a 60 s timeout.
RunSpec spec_of(const std::string& workload, const std::string& transport,
                const std::string& placement, std::map<std::string, std::uint64_t> params,
                std::uint64_t count);

// The private temporary directory this test binary's links are created in.
const std::string& test_temp_dir();
void make_test_temp_dir();
void remove_test_temp_dir();

// Counts open fds, lists leftover files, reaps leftover children.
int open_fd_count();
std::string leftover_files();
std::string leftover_shared_memory();  // this process's names in /dev/shm
bool has_children();

// The shared-memory names that begin "ipcm-<kind>-<creator>-": those a process's links made.
std::vector<std::string> shared_memory_names_of(const std::string& kind, pid_t creator);

// Forks a child that calls `take` every millisecond until it returns true, then ends at once
// (_exit(0)) holding whatever it took, as a process killed inside a call would; it ends
// with status 1 if `take` has not succeeded within 10 s. The caller reaps it.
pid_t fork_lock_taker(const std::function<bool()>& take);

// Runs a spec that should fail and returns the RunFailure's message ("(no failure)" if it
// did not fail).
std::string failure_of(const RunSpec& run);
// The UsageError validate() throws for it ("(accepted)" if none).
std::string usage_error_of(const RunSpec& run);

// A pair of fds standing in for a run's control channel: `watched` hangs up once `held`
// is closed, as a peer's liveness does when the peer ends.
struct LivenessPair {
  LivenessPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw SystemError("socketpair", "");
    watched = Fd(fds[0]);
    held = Fd(fds[1]);
  }
  Fd watched;
  Fd held;
};

// What a program run by run_program did.
struct Outcome {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs `path` with `args` (IPCMETER_TMPDIR set to `temp_dir`), capturing stdout and stderr
// through files in `temp_dir` that it removes.
Outcome run_program(const std::string& path, const std::vector<std::string>& args,
                    const std::string& temp_dir);
std::string read_file(const std::string& path);

// A fixture that fails a test which leaves a child, a file or an fd behind.
class NoLeftovers : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

 private:
  int fds_before_ = 0;
};

// The matrix the sanitizer build runs, by capability, never by name (the debug build runs the
// whole of it): under AddressSanitizer, every run costs several times more, so a medium that
// crosses processes is run in the fork placement only (its thread and spawn placements run the
// same transport code, which debug checks), and the conformance suite takes 64 B and 1 MiB,
// blocking at both and spinning at 64 B (the hybrid wait is spinning then blocking).
#ifdef __SANITIZE_ADDRESS__
inline constexpr bool kSanitizerMatrix = true;
#else
inline constexpr bool kSanitizerMatrix = false;
#endif
bool in_sanitizer_matrix(const std::string& placement, bool crosses_processes);
bool in_sanitizer_matrix(WaitStrategy wait, std::size_t size);

}  // namespace ipcmeter::testing
