// The test binary's main: it is also its own spawned peer, like the benchmark binary.
#include <gtest/gtest.h>

#include "harness/peer.hpp"
#include "harness/process_guard.hpp"
#include "harness/ranks.hpp"
#include "tests/test_support.hpp"

int main(int argc, char** argv) {
  ipcmeter::testing::register_test_axes();
  ipcmeter::run_peer_if_requested(argc, argv);
  // Under mpirun (the rank tests' own CTest entries), ranks other than 0 serve as peers.
  ipcmeter::RankSession ranks(argc, argv);
  ipcmeter::install_process_guard();
  ipcmeter::testing::make_test_temp_dir();
  ::testing::InitGoogleTest(&argc, argv);
  int result = RUN_ALL_TESTS();
  ipcmeter::testing::remove_test_temp_dir();
  return result;
}
