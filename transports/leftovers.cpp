// The sweep of dead runs' names: see leftovers.hpp.
#include "transports/leftovers.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <system_error>

#include "transports/named_resources.hpp"

namespace ipcmeter {
namespace {

// The dash-separated fields of a name after "ipcm-".
std::vector<std::string> fields_of(const std::string& name) {
  std::vector<std::string> fields;
  std::string::size_type start = 5;
  while (start <= name.size()) {
    auto end = name.find('-', start);
    if (end == std::string::npos) end = name.size();
    fields.push_back(name.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

// `text` (after `prefix`) as a whole decimal number.
template <typename Number>
bool parse_number(const std::string& text, std::size_t prefix, Number& value) {
  const char* first = text.data() + prefix;
  const char* last = text.data() + text.size();
  if (text.size() <= prefix) return false;
  auto [stop, error] = std::from_chars(first, last, value);
  return error == std::errc{} && stop == last;
}

bool has_digit(const std::string& text) {
  return text.find_first_of("0123456789") != std::string::npos;
}

// Why a stamped creator that is not known alive is not known dead either; empty when dead.
std::string doubt_about(const CreatorStamp& creator) {
  switch (creator_state(creator)) {
    case CreatorState::dead:
      return "";
    case CreatorState::alive:
      return "alive";
    case CreatorState::other_namespace:
      return "made in another pid namespace, whose processes this one cannot see";
    case CreatorState::unknowable:
      return "its creator's pid is in use by a process whose start this user cannot read";
  }
  return "alive";
}

// Entries of `dir` that are the suite's, of this user, whose creator is dead (`dead`) or
// cannot be judged (`kept`). lstat, not stat: a symlink planted under an ipcm name is never
// followed.
void judge_entries(const std::string& dir, bool directories, std::vector<std::string>& dead,
                   std::vector<KeptName>& kept) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return;  // no such place here: nothing of ours in it
  while (dirent* entry = ::readdir(stream)) {
    std::string name = entry->d_name;
    NameOwner owner = owner_of_name(name);
    if (owner.form == NameOwner::Form::not_ours) continue;
    std::string path = dir + "/" + name;
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0 || status.st_uid != ::geteuid()) continue;
    if (S_ISDIR(status.st_mode) != directories) continue;
    if (owner.form == NameOwner::Form::unstamped) {
      kept.push_back({path, "made by an older ipcmeter, with no creator's start time to check"});
      continue;
    }
    std::string doubt = doubt_about(owner.creator);
    if (doubt.empty())
      dead.push_back(path);
    else if (doubt != "alive")
      kept.push_back({path, doubt});
  }
  ::closedir(stream);
}

}  // namespace

NameOwner owner_of_name(const std::string& name) {
  NameOwner owner;
  if (name.rfind("ipcm-", 0) != 0) return owner;
  std::vector<std::string> fields = fields_of(name);
  // A kind (a word) or none, then the pid: the first field with a digit in it.
  std::size_t at = 0;
  while (at < fields.size() && !has_digit(fields[at])) ++at;
  // Nothing after the pid (no random part), or pid 1, which never created a run's name.
  if (at + 1 >= fields.size() || !parse_number(fields[at], 0, owner.creator.pid) ||
      owner.creator.pid <= 1)
    return owner;
  CreatorStamp& creator = owner.creator;
  if (at + 3 < fields.size() && fields[at + 1].rfind("ns", 0) == 0 &&
      fields[at + 2].rfind("t", 0) == 0 && parse_number(fields[at + 1], 2, creator.pid_namespace) &&
      parse_number(fields[at + 2], 1, creator.start_ticks)) {
    owner.form = NameOwner::Form::stamped;
    return owner;
  }
  owner.form = NameOwner::Form::unstamped;
  return owner;
}

SweepResult remove_dead_owners_leftovers(const SweepPlaces& places) {
  SweepResult result;
  std::vector<std::string> dead;
  judge_entries(places.shared_memory, false, dead, result.kept);
  for (const auto& path : dead)
    if (::unlink(path.c_str()) == 0) result.removed.push_back(path);
  if (places.temp.empty()) return result;
  dead.clear();
  judge_entries(places.temp, true, dead, result.kept);
  for (const auto& path : dead) {
    // A private dir holds only socket files, never a directory or a link to follow;
    // remove_all does not follow symlinks either.
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (!error) result.removed.push_back(path);
  }
  return result;
}

SweepResult remove_dead_owners_leftovers() {
  return remove_dead_owners_leftovers({"/dev/shm", temp_base()});
}

}  // namespace ipcmeter
