// The sweep of dead runs' names: see leftovers.hpp.
#include "transports/leftovers.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

// When the process with this pid started, in seconds since the epoch; 0 if unknown.
double process_start_time(int pid) {
  static const double boot = [] {
    std::ifstream stat("/proc/stat");
    std::string key;
    double value = 0;
    while (stat >> key)
      if (key == "btime" && stat >> value) return value;
    return 0.0;
  }();
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (boot == 0 || !std::getline(stat, line)) return 0;
  // Field 22, counted after the command name's closing parenthesis (the name may hold spaces).
  std::istringstream fields(line.substr(line.rfind(')') + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return boot + std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return 0;
}

}  // namespace

bool creator_is_dead(int pid, const struct stat& name) {
  // EPERM: it exists, as another user's process. Only ESRCH says it is gone.
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  double started = process_start_time(pid);
  double changed = static_cast<double>(std::max(name.st_mtim.tv_sec, name.st_ctim.tv_sec));
  return started > 0 && started > changed + 1.0;  // a second of slack for btime's rounding
}

namespace {

// Entries of `dir` that look like the suite's and whose owner is dead, owned by this user.
// lstat, not stat: a symlink planted under an ipcm name is never followed.
std::vector<std::string> dead_entries(const std::string& dir, bool want_directories) {
  std::vector<std::string> found;
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return found;  // no such place here: nothing of ours in it
  while (dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    int owner = owner_of_name(name);
    if (owner <= 0 || owner == ::getpid()) continue;
    std::string path = dir + "/" + name;
    struct stat status{};
    if (::lstat(path.c_str(), &status) != 0 || status.st_uid != ::geteuid()) continue;
    if (S_ISDIR(status.st_mode) != want_directories) continue;
    if (creator_is_dead(owner, status)) found.push_back(path);
  }
  ::closedir(stream);
  return found;
}

}  // namespace

int owner_of_name(const std::string& name) {
  // "ipcm-" then dash-separated fields; the first all-digit one is the pid (a kind is a word,
  // and the random part comes after the pid).
  if (name.rfind("ipcm-", 0) != 0) return 0;
  std::string::size_type start = 5;
  while (start < name.size()) {
    auto end = name.find('-', start);
    if (end == std::string::npos) end = name.size();
    const char* first = name.data() + start;
    const char* last = name.data() + end;
    int pid = 0;
    auto [stop, error] = std::from_chars(first, last, pid);
    if (first != last && error == std::errc{} && stop == last) return pid > 1 ? pid : 0;
    // A field with a digit in it that is not a number (the random part): not a pid field,
    // and nothing after it is the pid either.
    for (const char* c = first; c != last; ++c)
      if (*c >= '0' && *c <= '9') return 0;
    start = end + 1;
  }
  return 0;
}

std::vector<std::string> remove_dead_owners_leftovers(const SweepPlaces& places) {
  std::vector<std::string> removed;
  for (const auto& path : dead_entries(places.shared_memory, false))
    if (::unlink(path.c_str()) == 0) removed.push_back(path);
  if (!places.temp.empty())
    for (const auto& path : dead_entries(places.temp, true)) {
      // A private dir holds only socket files, never a directory or a link to follow;
      // remove_all does not follow symlinks either.
      std::error_code error;
      std::filesystem::remove_all(path, error);
      if (!error) removed.push_back(path);
    }
  return removed;
}

std::vector<std::string> remove_dead_owners_leftovers() {
  return remove_dead_owners_leftovers({"/dev/shm", temp_base()});
}

}  // namespace ipcmeter
