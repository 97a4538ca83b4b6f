// sched_setaffinity wrappers with checked input.
#include "harness/pinning.hpp"

#include <fmt/core.h>

#include <charconv>

#include "transports/errors.hpp"

namespace ipcmeter {
namespace {

int parse_cpu(const std::string& text, const std::string& whole) {
  int cpu = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpu);
  if (error != std::errc{} || end != text.data() + text.size() || cpu < 0)
    throw UsageError(
        fmt::format("bad --pin '{}' (expected auto, none or LEADER,PEER such as 0,1)", whole));
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
    throw SystemError("sched_getaffinity", "");
  if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
    throw UsageError(fmt::format("--pin names CPU {}, which this process may not use", text));
  return cpu;
}

}  // namespace

std::string Pinning::describe() const {
  if (leader_cpu < 0) return "none";
  return fmt::format("{},{}", leader_cpu, peer_cpu);
}

Pinning parse_pinning(const std::string& text) {
  if (text == "none" || text.empty()) return {};
  if (text == "auto") {
    cpu_set_t allowed;
    if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
      throw SystemError("sched_getaffinity", "");
    Pinning pinning;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &allowed)) continue;
      if (pinning.leader_cpu < 0) {
        pinning.leader_cpu = cpu;
      } else {
        pinning.peer_cpu = cpu;
        return pinning;
      }
    }
    return {};
  }
  auto comma = text.find(',');
  if (comma == std::string::npos)
    throw UsageError(
        fmt::format("bad --pin '{}' (expected auto, none or LEADER,PEER such as 0,1)", text));
  return {parse_cpu(text.substr(0, comma), text), parse_cpu(text.substr(comma + 1), text)};
}

void pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0)
    throw SystemError("sched_setaffinity", fmt::format("cpu {}", cpu));
}

ScopedPin::ScopedPin(int cpu) {
  if (cpu < 0) return;
  if (::sched_getaffinity(0, sizeof previous_, &previous_) != 0)
    throw SystemError("sched_getaffinity", "");
  pin_current_thread(cpu);
  pinned_ = true;
}

ScopedPin::~ScopedPin() {
  if (pinned_) ::sched_setaffinity(0, sizeof previous_, &previous_);
}

}  // namespace ipcmeter
