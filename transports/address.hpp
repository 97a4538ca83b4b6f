// Transport addresses: "scheme:key=value;key=value", short enough for a command line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "transports/wait.hpp"

namespace ipcmeter {

struct Address {
  std::string text;    // the whole address, for error messages
  std::string scheme;  // the transport name
  std::map<std::string, std::string> fields;

  static Address parse(const std::string& text);
  // The field's value; a UsageError naming the address if it is missing.
  const std::string& field(const std::string& key) const;
  // A comma-separated field parsed as fds.
  std::vector<int> fds(const std::string& key) const;
  // The "wait" field; block when absent.
  WaitStrategy wait() const;
  // A decimal field.
  std::size_t number(const std::string& key) const;
  // A field naming an object in this process (threads-only transports); never null.
  void* pointer(const std::string& key) const;
};

std::string format_address(const std::string& scheme,
                           const std::vector<std::pair<std::string, std::string>>& fields);
std::string join_fds(const std::vector<int>& fds);
// The text of a pointer field (see Address::pointer).
std::string pointer_text(const void* pointer);

}  // namespace ipcmeter
