// Parsing and formatting of transport addresses.
#include "transports/address.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <set>

#include "transports/errors.hpp"
#include "transports/fd.hpp"

namespace ipcmeter {
namespace {
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}
}  // namespace

Address Address::parse(const std::string& text) {
  Address address{text, {}, {}};
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    throw UsageError(fmt::format("malformed address '{}' (expected scheme:key=value;...)", text));
  address.scheme = text.substr(0, colon);
  std::string body = text.substr(colon + 1);
  if (body.empty()) return address;
  for (const auto& part : split(body, ';')) {
    auto equals = part.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(fmt::format("malformed field '{}' in address '{}'", part, text));
    address.fields[part.substr(0, equals)] = part.substr(equals + 1);
  }
  return address;
}

const std::string& Address::field(const std::string& key) const {
  auto it = fields.find(key);
  if (it == fields.end())
    throw UsageError(fmt::format("address '{}' has no '{}' field", text, key));
  return it->second;
}

std::vector<int> Address::fds(const std::string& key) const {
  std::vector<int> result;
  for (const auto& part : split(field(key), ',')) result.push_back(parse_fd(part, text));
  return result;
}

WaitStrategy Address::wait() const {
  auto it = fields.find("wait");
  return it == fields.end() ? WaitStrategy::block : parse_wait(it->second);
}

std::size_t Address::number(const std::string& key) const {
  const std::string& value = field(key);
  std::size_t result = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (error != std::errc{} || end != value.data() + value.size())
    throw UsageError(fmt::format("bad number '{}' for {} in address '{}'", value, key, text));
  return result;
}

std::string format_address(const std::string& scheme,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string text = fmt::format("{}:", scheme);
  for (std::size_t i = 0; i < fields.size(); ++i)
    fmt::format_to(std::back_inserter(text), "{}{}={}", i > 0 ? ";" : "", fields[i].first,
                   fields[i].second);
  return text;
}

std::string join_fds(const std::vector<int>& fds) { return fmt::format("{}", fmt::join(fds, ",")); }

namespace {

// The pointers this process has written into addresses. An address is input (a spawned
// peer's command line), so a pointer is honoured only if this process issued it: another
// process's (or a made-up) pointer is refused instead of dereferenced.
std::mutex issued_mutex;
std::set<const void*>& issued_pointers() {
  static std::set<const void*> pointers;
  return pointers;
}

}  // namespace

void* Address::pointer(const std::string& key) const {
  void* value = nullptr;
  if (std::sscanf(field(key).c_str(), "%p", &value) != 1 || value == nullptr)
    throw UsageError(fmt::format("bad pointer for {} in address '{}'", key, text));
  std::lock_guard lock(issued_mutex);
  if (issued_pointers().count(value) == 0)
    throw UsageError(fmt::format("address '{}' names an object of another process ({}): only "
                                 "threads of the process that created it can open it", text, key));
  return value;
}

std::string pointer_text(const void* pointer) {
  {
    std::lock_guard lock(issued_mutex);
    issued_pointers().insert(pointer);
  }
  return fmt::format("{}", fmt::ptr(pointer));
}

}  // namespace ipcmeter
