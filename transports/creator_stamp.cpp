// Reading a creator's stamp from /proc: see creator_stamp.hpp.
#include "transports/creator_stamp.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

unsigned long long own_pid_namespace() {
  struct stat status {};
  if (::stat("/proc/self/ns/pid", &status) != 0) throw SystemError("stat", "/proc/self/ns/pid");
  return status.st_ino;
}

}  // namespace

std::optional<ProcessStat> process_stat(pid_t pid) {
  std::ifstream file(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  // Fields counted after the command name's closing parenthesis (a name may hold spaces and
  // parentheses; the last ')' ends it): field 3 is the state, field 22 the start time.
  std::istringstream fields(line.substr(name_end + 1));
  ProcessStat stat;
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 3) stat.state = field[0];
    if (i < 22) continue;
    auto [end, error] =
        std::from_chars(field.data(), field.data() + field.size(), stat.start_ticks);
    if (error != std::errc{} || end != field.data() + field.size()) return std::nullopt;
    return stat;
  }
  return std::nullopt;
}

CreatorStamp own_creator_stamp() {
  CreatorStamp stamp;
  stamp.pid = ::getpid();
  stamp.pid_namespace = own_pid_namespace();
  std::optional<unsigned long long> ticks = start_ticks_of(stamp.pid);
  if (!ticks) throw SystemError("read", fmt::format("/proc/{}/stat", stamp.pid), EIO);
  stamp.start_ticks = *ticks;
  return stamp;
}

std::string stamp_text(const CreatorStamp& stamp) {
  return fmt::format("{}-ns{}-t{}", stamp.pid, stamp.pid_namespace, stamp.start_ticks);
}

CreatorState creator_state(const CreatorStamp& stamp) {
  if (stamp.pid <= 1) return CreatorState::unknowable;  // kill(0 or -1) means others entirely
  if (stamp.pid_namespace != own_pid_namespace()) return CreatorState::other_namespace;
  if (std::optional<ProcessStat> stat = process_stat(stamp.pid))
    return stat->start_ticks == stamp.start_ticks && stat->state != 'Z' && stat->state != 'X'
               ? CreatorState::alive
               : CreatorState::dead;
  // Not in /proc for this user: gone, unless kill() finds it (EPERM: another user's, which
  // a hidepid mount hides); only ESRCH proves it gone.
  if (::kill(stamp.pid, 0) != 0 && errno == ESRCH) return CreatorState::dead;
  return CreatorState::unknowable;
}

}  // namespace ipcmeter
