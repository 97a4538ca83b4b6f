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

std::optional<unsigned long long> start_ticks_of(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  // Field 22, counted after the command name's closing parenthesis (a name may hold spaces
  // and parentheses; the last ')' ends it). Field 3 comes first.
  std::istringstream fields(line.substr(name_end + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i < 22) continue;
    unsigned long long ticks = 0;
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), ticks);
    if (error != std::errc{} || end != field.data() + field.size()) return std::nullopt;
    return ticks;
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
  if (std::optional<unsigned long long> ticks = start_ticks_of(stamp.pid))
    return *ticks == stamp.start_ticks ? CreatorState::alive : CreatorState::dead;
  // Not in /proc for this user: gone, unless kill() finds it (EPERM: another user's, which
  // a hidepid mount hides); only ESRCH proves it gone.
  if (::kill(stamp.pid, 0) != 0 && errno == ESRCH) return CreatorState::dead;
  return CreatorState::unknowable;
}

}  // namespace ipcmeter
