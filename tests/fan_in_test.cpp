// Fan-in: several producers into one consumer, per transport that allows it, and the pipe
// trap the documents warn about (a pipe end shared by writers corrupts large messages).
#include <chrono>
#include <string>
#include <tuple>

#include "harness/run.hpp"
#include "harness/placement.hpp"
#include "tests/test_support.hpp"
#include "transports/errors.hpp"
#include "transports/registry.hpp"

namespace ipcmeter {
namespace {

RunSpec fan_in(const std::string& transport, const std::string& placement, int producers,
               std::size_t size, std::uint64_t count) {
  return testing::spec_of("fanin", transport, placement,
                          {{"producers", static_cast<std::uint64_t>(producers)}, {"size", size}},
                          count);
}

// transport, placement, producers, size
using Param = std::tuple<std::string, std::string, int, std::size_t>;

class FanIn : public testing::NoLeftovers, public ::testing::WithParamInterface<Param> {};

TEST_P(FanIn, EveryProducersMessagesArriveInTheirOrder) {
  auto [transport, placement, producers, size] = GetParam();
  std::uint64_t count = size > 4096 ? 400 : 6001;  // not a multiple of the producers
  RunResult result = run(fan_in(transport, placement, producers, size, count));
  EXPECT_EQ(result.peer_iterations, count);  // sent by the producers together
}

std::vector<Param> fan_in_params() {
  std::vector<Param> params;
  for (const auto& transport : all_transports()) {
    // Fan-in over MPI ranks takes more ranks than the mpi_conformance test's two.
    if (!transport.many_senders || transport.ranks_only) continue;
    for (const auto& placement : all_placements()) {
      if (placement.separate_process && !transport.crosses_processes) continue;
      if (placement.remote || placement.peerless) continue;
      if (!testing::in_sanitizer_matrix(placement.name, transport.crosses_processes)) continue;
      for (int producers : {2, 4})
        for (std::size_t size : {std::size_t{64}, std::size_t{65536}})
          params.emplace_back(transport.name, placement.name, producers, size);
    }
  }
  return params;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_x" +
                     std::to_string(std::get<2>(info.param)) + "_" +
                     std::to_string(std::get<3>(info.param));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(ManySenders, FanIn, ::testing::ValuesIn(fan_in_params()), param_name);

class SharedPipe : public testing::NoLeftovers,
                   public ::testing::WithParamInterface<std::string> {};

TEST_P(SharedPipe, WritersOfSmallMessagesAreSafe) {
  // At most PIPE_BUF bytes per write: the kernel keeps each write whole.
  RunResult result = run(fan_in("pipe", GetParam(), 4, 64, 20000));
  EXPECT_EQ(result.peer_iterations, 20000u);  // the writers' own count, all together
}

TEST_P(SharedPipe, WritersOfLargeMessagesAreCaughtCorrupting) {
  RunSpec shared = fan_in("pipe", GetParam(), 4, 65536, 400);
  shared.timeout = std::chrono::seconds(20);
  shared.allow_shared_writers = true;
  std::string what = testing::failure_of(shared);
  // Caught by the integrity check (a broken frame, a bad checksum, a wrong size or a gap),
  // with the message number, in the warm-up or the timed section, whichever the writers'
  // interleaving reaches first; not a hang, not a silent pass.
  bool timed = what.find(shared.describe() + ": message ") != std::string::npos;
  bool warm_up = what.find(shared.describe() + ": warm-up message ") != std::string::npos;
  EXPECT_TRUE(timed || warm_up) << what;
  EXPECT_EQ(what.find("timed out"), std::string::npos) << what;
}

TEST(SharedPipeValidation, LargeMessagesFromSeveralWritersAreListedUnsupported) {
  RunSpec large = fan_in("pipe", "fork", 2, 65536, 10);
  try {
    large.validate();
    FAIL() << "accepted";
  } catch (const Unsupported& error) {
    EXPECT_NE(std::string(error.what()).find("PIPE_BUF"), std::string::npos) << error.what();
  }
  large.params["size"] = 64;
  EXPECT_NO_THROW(large.validate());
  // A point-to-point link cannot fan in at all.
  EXPECT_NE(testing::usage_error_of(fan_in("socketpair", "fork", 1, 64, 10)).find("point-to-point"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Placements, SharedPipe, ::testing::Values("thread", "fork", "spawn"));

}  // namespace
}  // namespace ipcmeter
