// The session's MPI calls, and the one line on MPI for --list and the run's context.
#include <cstring>
#include <stdexcept>

#include "harness/ranks.hpp"
#include "harness/ranks/session_state.hpp"

namespace ipcmeter {
namespace rank_session {
namespace {

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

}  // namespace

Session& session() {
  static Session state;
  return state;
}

void check(int code, const char* call) {
  if (code != MPI_SUCCESS)
    throw std::runtime_error(std::string(call) + ": " + mpi_error_text(code));
}

void send_text(int to, int tag, const std::string& text) {
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, session().comm),
        "MPI_Send");
}

std::string receive_text(int from, int tag) {
  MPI_Message message;
  MPI_Status status;
  check(MPI_Mprobe(from, tag, session().comm, &message, &status), "MPI_Mprobe");
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  check(MPI_Mrecv(text.data(), count, MPI_CHAR, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
  return text;
}

}  // namespace rank_session

std::string mpi_status() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string library(version, static_cast<std::size_t>(length));
  library = library.substr(0, library.find_first_of(",\n"));
  const rank_session::Session& s = rank_session::session();
  if (!s.open)
    return library + "; not started under mpirun (mpirun -np 2 or more places peers on ranks)";
  std::string hosts;
  for (const auto& host : s.hosts) hosts += (hosts.empty() ? "" : ",") + host;
  return library + "; " + std::to_string(s.size) + " rank" + (s.size == 1 ? "" : "s") + " on " +
         hosts + "; the leader at " + s.leader_address;
}

}  // namespace ipcmeter
