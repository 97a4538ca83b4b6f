// A build without MPI: no rank placement, and a launch under mpirun says so once.
#include <unistd.h>

#include "harness/placement.hpp"
#include "harness/ranks.hpp"
#include "transports/errors.hpp"

namespace ipcmeter {

std::string mpi_status() {
  return "not built (no MPI library was found at configure time: install libopenmpi-dev and "
         "reconfigure)";
}

RankSession::RankSession(int, char**) {
  if (launched_ranks() < 2) return;
  // Every rank would run the whole suite on its own: rank 0 says why not, the others go.
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (!rank) rank = std::getenv("PMI_RANK");
  if (rank && std::atoi(rank) != 0) ::_exit(2);
  throw UsageError(
      "started under mpirun, but this build has no MPI (none was found at "
      "configure time): install libopenmpi-dev and rebuild");
}

RankSession::~RankSession() = default;

const Placement* rank_placement() { return nullptr; }

}  // namespace ipcmeter
